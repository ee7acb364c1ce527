"""CLI sessions to OLTs over SSH or Telnet, on Netmiko.

Netmiko logs in and prepares the session (paging, enable mode); from then
on CliSession drives the channel itself, because OLT output needs more than
a prompt match: pagers to page through, completion prompts and confirmations
to answer, alarm and syslog lines to drop, cursor escapes used as spaces.

A platform is a CliOltDriver subclass that only changes these class
attributes and writes its plans, the way Netmiko vendor classes only change
defaults.
"""

import base64
import contextlib
import hashlib
import re
import socket
import time

import paramiko
from netmiko.exceptions import (
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
    ReadTimeout,
)
from netmiko.ssh_dispatcher import CLASS_MAPPER

from .base import OltDriver
from .engine import Reply
from .errors import (
    AuthenticationError,
    CommandRejected,
    CommandTimeout,
    ConnectError,
    ConnectTimeout,
    DeviceBusy,
    DriverError,
    HostKeyMismatch,
    LoginLockedOut,
    SessionLimit,
)
from .parsing import render_cursor_columns

_ESC = "\x1b"
# ESC[25C moves the cursor 25 columns right: devices use it as column padding.
_CURSOR_FORWARD = re.compile(_ESC + r"\[(\d+)C")
# Huawei writes a space then ESC[1D (cursor left) in the middle of words.
_SPACE_CURSOR_BACK = re.compile(" " + _ESC + r"\[\d+D")
_OTHER_ESCAPES = re.compile(_ESC + r"\[[0-9;?]*[A-Za-z]")


def fingerprint(key):
    """OpenSSH 'SHA256:...' fingerprint of a paramiko public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def fetch_host_key(host, port, timeout=10.0):
    """The fingerprint a device presents, without logging in (to pin it)."""
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except OSError as error:
        raise ConnectError(f"cannot reach {host}:{port}: {error}") from error
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return fingerprint(transport.get_remote_server_key())
    except (paramiko.SSHException, EOFError, OSError) as error:
        raise ConnectError(f"no SSH server at {host}:{port}: {error}") from error
    finally:
        transport.close()


class _PinnedKeyPolicy(paramiko.MissingHostKeyPolicy):
    """Checks the server key against the pinned fingerprint before any password is sent."""

    def __init__(self, expected):
        self.expected = expected
        self.seen = ""

    def missing_host_key(self, client, hostname, key):
        self.seen = fingerprint(key)
        if self.expected and self.seen != self.expected:
            raise HostKeyMismatch(
                f"SSH host key of {hostname} is {self.seen}, not the pinned {self.expected}: refused",
                seen=self.seen,
                expected=self.expected,
            )


#: what a login heard is kept up to this many characters (to name a refusal)
_HEARD_LIMIT = 16384


def _session_class(base, policy, holder):
    """A subclass of the Netmiko class that installs our host-key policy (SSH)
    and keeps what the device said during login, so that a refusal in the
    device's words (a session limit, a lockout) can be told from a wrong
    password, and a half-open connection can be closed when login fails."""

    def __init__(self, *args, **kwargs):
        holder["conn"] = self
        self._heard = ""
        base.__init__(self, *args, **kwargs)

    def read_channel(self):
        data = base.read_channel(self)
        if data and len(self._heard) < _HEARD_LIMIT:
            self._heard += data
        if not data and _channel_closed(self):
            # A closed SSH channel reads as empty forever: Netmiko would wait
            # for its read timeout (a refused session would cost 30 s).
            raise EOFError("the device closed the connection")
        return data

    attributes = {"__init__": __init__, "read_channel": read_channel}
    if policy is not None:

        def _build_ssh_client(self):
            client = base._build_ssh_client(self)
            client.set_missing_host_key_policy(policy)
            return client

        attributes["_build_ssh_client"] = _build_ssh_client
    return type(f"Session{base.__name__}", (base,), attributes)


def clean_output(text, async_patterns=()):
    """Terminal output -> plain text: escapes resolved, pagers and alarms removed."""
    text = text.replace("\r\n", "\n")
    # Cells placed with "\r ESC[nC" (V-SOL V1.4.8R) are drawn first: deleting
    # the carriage returns below would glue them together.
    text = render_cursor_columns(text)
    text = _SPACE_CURSOR_BACK.sub("", text)
    text = _CURSOR_FORWARD.sub(lambda m: " " * int(m.group(1)), text)
    text = _OTHER_ESCAPES.sub("", text)
    # A pager line is erased with carriage returns and spaces once answered.
    text = re.sub(r"-+ ?More[^\n\r]*?-+", "", text)
    text = re.sub(r"--More--", "", text)
    text = re.sub(r"\{ ?<cr>[^\n]*\}:", "", text)
    text = text.replace("\x08", "")
    text = re.sub(r"\r+[ ]*\r*", "", text)
    for pattern in async_patterns:
        text = re.sub(pattern, "", text, flags=re.MULTILINE | re.DOTALL)
    return text


def prompt_pattern(base_prompt):
    """The device's prompt as a whole last line: the host name, an optional
    mode in parentheses, '>' or '#'.  A line that only ends like a prompt
    (a WiFi key or a description ending 'ZXAN#') is not one."""
    base = re.escape(base_prompt.strip())
    return re.compile(rf"(?:^|\n)[ \t]*{base}(?:\([^()\n]*\))?[>#][ \t]*$")


class CliSession:
    """One logged-in CLI session: runs commands in modes and classifies answers."""

    def __init__(self, driver, transcript):
        self.driver = driver
        self.transcript = transcript
        self.target = driver.target
        self.conn = None
        self.mode = ()
        self.prompt = None

    # -- connect -----------------------------------------------------------
    def open(self):
        target, driver = self.target, self.driver
        device_type = driver.device_types[target.protocol]
        base_class = driver.netmiko_classes.get(target.protocol) or CLASS_MAPPER[device_type]
        policy = _PinnedKeyPolicy(target.host_key)
        holder = {}
        connection_class = _session_class(base_class, policy if target.protocol == "ssh" else None, holder)
        params = {
            "device_type": device_type,
            "host": target.host,
            "port": target.port,
            "username": target.username,
            "password": target.password,
            # Netmiko's Huawei enable() types the secret as a command when no
            # password is asked: a platform without one must never get it.
            "secret": target.secret if driver.enable_secret else "",
            "conn_timeout": target.connect_timeout,
            "auth_timeout": target.connect_timeout,
            "banner_timeout": target.connect_timeout,
            "read_timeout_override": target.command_timeout,
            "fast_cli": True,
        }
        self.transcript.note(f"connecting to {target.host}:{target.port} over {target.protocol} as {target.username}")
        started = time.monotonic()
        try:
            try:
                self.conn = connection_class(**params)
                if not self.conn.check_enable_mode():
                    self.conn.enable()
            except Exception:
                # A login that failed half-way holds a session on the device:
                # release it now, the device counts it against its limit.
                half_open = holder.get("conn")
                if half_open is not None:
                    # The refusal may still sit unread in the channel.
                    half_open._heard += _leftover(half_open)
                    with contextlib.suppress(Exception):
                        _hang_up(half_open)
                self.conn = None
                raise
        except HostKeyMismatch:
            self.transcript.note(f"host key {policy.seen} does not match the pinned {target.host_key}: refused")
            raise
        except Exception as error:
            self._raise_login_error(error, getattr(holder.get("conn"), "_heard", ""))
        driver.seen_host_key = policy.seen
        driver.logins += 1
        if policy.seen and not target.host_key:
            self.transcript.note(f"host key not pinned; the device presented {policy.seen}")
        self.prompt = prompt_pattern(self.conn.base_prompt)
        self.transcript.note(f"logged in ({time.monotonic() - started:.2f} s)")
        return self

    def _raise_login_error(self, error, heard):
        """A failed login as a DriverError: the device's own refusal words first
        (lockout, session limit), then what Netmiko saw."""
        target, driver = self.target, self.driver
        words = clean_output(heard)
        locked = _first_match(driver.lockout_patterns, words)
        if locked:
            raise LoginLockedOut(f"{target.host}: logins are locked out: {locked}") from error
        limit = _first_match(driver.session_limit_patterns, words)
        if limit:
            raise SessionLimit(f"{target.host}: the device refused another session: {limit}") from error
        if isinstance(error, DriverError):
            raise error
        if isinstance(error, NetmikoAuthenticationException):
            raise AuthenticationError(f"{target.host}: authentication failed for user {target.username}") from error
        if isinstance(error, (NetmikoTimeoutException, socket.timeout)):
            # Netmiko reports a refused TCP connection as a timeout too.
            refused = (ConnectionRefusedError, paramiko.ssh_exception.NoValidConnectionsError)
            if isinstance(error.__context__, refused):
                raise ConnectError(f"{target.host}:{target.port}: connection refused") from error
            raise ConnectTimeout(f"{target.host}:{target.port}: connection timed out") from error
        if isinstance(error, ReadTimeout):
            raise ConnectError(f"{target.host}: the device stopped answering during login") from error
        if isinstance(error, (OSError, EOFError, paramiko.SSHException, ValueError)):
            raise ConnectError(f"{target.host}:{target.port}: {error or type(error).__name__}") from error
        raise error

    def close(self):
        if self.conn is None:
            return
        polite = True
        try:
            self._switch_mode(())
        except DriverError:
            # A device that refuses to leave a mode would keep Netmiko's logout
            # waiting for its own timeout: hang up instead.
            polite = False
        conn, self.conn = self.conn, None
        if conn is None:  # the connection was lost while leaving the modes
            return
        # Logging out of a broken session must not hide the error that broke it.
        with contextlib.suppress(Exception):
            if polite:
                conn.disconnect()
            else:
                _hang_up(conn)
        self.transcript.note("logged out" if polite else "connection closed without logging out")

    def note(self, text):
        self.transcript.note(text)

    # -- commands ----------------------------------------------------------
    def execute(self, command, mode=(), done_patterns=()):
        """Run ``command`` in ``mode``; Reply, or a DriverError with the device's words."""
        self._switch_mode(tuple(mode))
        return self._command(command, done_patterns)

    # Not an Odoo model: pylint-odoo's check for overrides does not apply.
    def read(self, command, mode=()):  # pylint: disable=method-required-super
        """Run a display command and return its cleaned text."""
        return self.execute(command, mode).text

    def _command(self, command, done_patterns=()):
        driver = self.driver
        attempts = 1 + driver.busy_retries
        for attempt in range(1, attempts + 1):
            text, elapsed = self._send(command)
            reply = Reply(command, text, elapsed=elapsed)
            for pattern in tuple(done_patterns) + driver.done_patterns:
                if re.search(pattern, text):
                    reply.already = True
                    return reply
            busy = _first_match(driver.busy_patterns, text)
            if busy:
                if attempt < attempts:
                    self.note(f"device busy, retry {attempt} of {driver.busy_retries}")
                    time.sleep(float(self.target.options.get("busy_delay", driver.busy_delay)))
                    continue
                raise DeviceBusy(command, busy)
            error = _first_match(driver.error_patterns, text)
            if error:
                raise CommandRejected(command, error)
            return reply
        raise AssertionError("unreachable")

    def _send(self, command):
        """Send ``command``; its answer, from its own echo to the prompt after it.

        Whatever the device printed before (a prompt left by session
        preparation, a late line) is discarded into the transcript as a note:
        an answer is never taken from a prompt that was already waiting.  A
        command that is not answered in time leaves the session out of step
        (its answer may still come): the session hangs up and the caller
        treats the outcome as unknown.
        """
        conn = self.conn
        if conn is None:
            raise ConnectError("the session is closed")
        driver, timeout = self.driver, self.target.command_timeout
        try:
            self._drain(command)
            self.transcript.send(command)
            started = time.monotonic()
            deadline = started + timeout
            echo = _echo_pattern(command)
            # ``answered``: where the device's output stops being answered
            # input (the echo's end, then each pager or question answered).
            buffer, answered, echoed = "", 0, echo is None
            conn.write_channel(command + conn.RETURN)
            while True:
                chunk = conn.read_channel()
                if chunk:
                    buffer += chunk
                    if not echoed:
                        found = echo.search(buffer)
                        if found:
                            self._note_before_echo(command, buffer[: found[0]])
                            buffer, answered, echoed = buffer[found[1] :], 0, True
                    pending = buffer[answered:]
                    if not echoed:
                        pass  # nothing before the echo is this command's answer
                    elif _waiting_at(driver.pager_patterns, pending[-200:]):
                        conn.write_channel(" ")
                        answered = len(buffer)
                        # A long output that keeps paging is progress, not a hang.
                        deadline = time.monotonic() + timeout
                    elif _first_match(driver.completion_patterns, pending[-80:]):
                        conn.write_channel(conn.RETURN)
                        answered = len(buffer)
                    elif _first_match(driver.confirm_patterns, pending[-80:]):
                        conn.write_channel("y" + conn.RETURN)
                        answered = len(buffer)
                    elif self.prompt.search(clean_output(pending[-300:])):
                        # A prompt is the last thing a device prints: text
                        # after it means the match was inside the output.
                        more = conn.read_channel()
                        if not more:
                            break
                        buffer += more
                elif _channel_closed(conn):
                    raise EOFError("the device closed the connection")
                else:
                    time.sleep(driver.poll_interval)
                # Checked on every pass: a device that never stops talking
                # (an alarm flood) must time out too.
                if time.monotonic() > deadline:
                    self.transcript.receive(clean_output(buffer), time.monotonic() - started)
                    self._hang_up("no answer in time")
                    raise CommandTimeout(
                        f"no answer within {timeout:g} s (command: {command}); the session was closed, "
                        "the command may still take effect"
                    )
        except (OSError, EOFError, paramiko.SSHException) as error:
            self._hang_up("")
            raise ConnectError(f"connection lost during '{command}': {error or type(error).__name__}") from error
        elapsed = time.monotonic() - started
        text = self._strip_prompt(clean_output(buffer, driver.async_patterns))
        self.transcript.receive(text, elapsed)
        return text, elapsed

    def _drain(self, command):
        """Read what the device printed since the last answer (non-blocking)."""
        stale = ""
        for _ in range(100):
            chunk = self.conn.read_channel()
            if not chunk:
                break
            stale += chunk
        text = clean_output(stale).strip()
        if text:
            self.note(f"discarded what the device printed before '{command}': {text}")

    def _note_before_echo(self, command, raw):
        text = clean_output(raw).strip()
        if text:
            self.note(f"discarded what the device printed before the echo of '{command}': {text}")

    def _hang_up(self, reason):
        """Close the connection at once: it is out of step or gone."""
        conn, self.conn = self.conn, None
        if conn is None:
            return
        with contextlib.suppress(Exception):
            _hang_up(conn)
        if reason:
            self.note(f"{reason}: connection closed (a late answer must not be read as the next one)")

    def _strip_prompt(self, text):
        lines = text.split("\n")
        if lines and self.prompt.search("\n" + lines[-1]):
            lines = lines[:-1]
        return "\n".join(lines).strip("\n")

    # -- modes -------------------------------------------------------------
    def _switch_mode(self, wanted):
        common = 0
        while common < min(len(self.mode), len(wanted)) and self.mode[common] == wanted[common]:
            common += 1
        while len(self.mode) > common:
            self._command(self.driver.exit_command)
            self.mode = self.mode[:-1]
        for enter in wanted[common:]:
            self._command(enter)
            self.mode = self.mode + (enter,)


#: what may stand between two characters of an echoed command: spacing
#: changed, a line wrapped, cursor movements, backspaces
_ECHO_NOISE = re.compile(r"\s+|\x1b\[[0-9;?]*[A-Za-z]|\x08")


class _Echo:
    """Finds the device's echo of one command in what it printed, in whatever
    spacing or wrapping: the command and the output are compared with the
    noise taken out (a plain search, no regex to build per command)."""

    def __init__(self, command):
        self.typed = _ECHO_NOISE.sub("", command)

    def search(self, raw):
        """(start, end) of the echo in ``raw``, or None.

        The echo is nearly always at the start of what arrives, often in one
        chunk with a long answer: the start is looked at first, so a table of
        thousands of lines is not walked character by character per command.
        """
        window = 4 * len(self.typed) + 512
        if len(raw) > window:
            found = self._search(raw[:window])
            if found is not None:
                return found
        return self._search(raw)

    def _search(self, raw):
        kept, where, position = [], [], 0
        for noise in _ECHO_NOISE.finditer(raw):
            kept.append(raw[position : noise.start()])
            where.extend(range(position, noise.start()))
            position = noise.end()
        kept.append(raw[position:])
        where.extend(range(position, len(raw)))
        found = "".join(kept).find(self.typed)
        if found < 0:
            return None
        return where[found], where[found + len(self.typed) - 1] + 1


def _echo_pattern(command):
    """The echo finder of ``command``; None for an empty line (no echo to anchor on)."""
    return _Echo(command) if _ECHO_NOISE.sub("", command) else None


def _hang_up(conn):
    """Close the transport under a Netmiko connection without its logout dialogue."""
    for name in ("remote_conn", "remote_conn_pre"):
        handle = getattr(conn, name, None)
        if handle is not None and hasattr(handle, "close"):
            handle.close()


def _leftover(conn):
    """What the device sent that was not read yet (best effort, never blocks)."""
    channel, text = getattr(conn, "remote_conn", None), ""
    with contextlib.suppress(Exception):
        if isinstance(channel, paramiko.Channel):
            while channel.recv_ready():
                text += channel.recv(65536).decode("utf-8", "replace")
        elif channel is not None and hasattr(channel, "read_very_eager"):
            text += channel.read_very_eager().decode("utf-8", "replace")
    return text


def _channel_closed(conn):
    """An SSH channel the device closed reads as empty forever: notice it."""
    channel = getattr(conn, "remote_conn", None)
    if isinstance(channel, paramiko.Channel):
        return channel.closed or channel.eof_received
    return False


def _waiting_at(patterns, text):
    """A pager is what the device waits at: the last thing in the buffer (the
    same words inside a value, a description ``CT--More--1``, are output)."""
    text = _OTHER_ESCAPES.sub("", text)
    return any(re.search(rf"(?:{pattern})[ \t\x08]*\Z", text) for pattern in patterns)


def _first_match(patterns, text):
    """The line of ``text`` matching one of ``patterns``, stripped; '' if none."""
    for pattern in patterns:
        match = re.search(pattern, text, re.MULTILINE)
        if match:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.end())
            return text[start : end if end != -1 else len(text)].strip()
    return ""


class CliOltDriver(OltDriver):
    """An OLT driven through its CLI.  Platforms change these defaults."""

    #: Netmiko device_type per protocol
    device_types = {}
    #: Netmiko classes of our own per protocol, where Netmiko has none
    netmiko_classes = {}
    #: leaves one CLI level
    exit_command = "exit"
    #: the platform asks a password for 'enable' (Target.secret)
    enable_secret = True
    #: the device's failure lines
    error_patterns = ()
    #: answers that mean the wanted state already exists (idempotent success)
    done_patterns = ()
    busy_patterns = ()
    #: a login refused because the device holds as many sessions as it allows
    #: (platforms add their own words): waited for and retried, bounded
    session_limit_patterns = (
        r"[Tt]oo many (?:users|sessions|connections)",
        r"Reenter times have reached the upper limit",
        r"(?:number|count) of (?:users|sessions|connections|online users)[^\n]*(?:limit|maximum)",
        r"[Uu]sers? (?:number|count)[^\n]*(?:limit|maximum)",
    )
    #: a login refused because of earlier failures: never retried, a retry
    #: would only keep the device locked
    lockout_patterns = (
        r"(?:[Uu]ser|IP|[Aa]ccount|[Tt]erminal|[Ll]ogin)[^\n]*\b(?:is |are |has been |been )?[Ll]ocked\b",
        r"[Tt]oo many (?:failed|failures|login failures|authentication failures)",
    )
    busy_retries = 3
    busy_delay = 2.0
    pager_patterns = (r"---- More \( Press 'Q' to break \) ----", r"--More--")
    completion_patterns = (r"\{ ?<cr>[^\n]*\}:\s*$",)
    confirm_patterns = (r"\(y/n\)\[n\]:\s*$", r"\[yes/no\]:\s*$")
    #: asynchronous lines (alarms, syslog) removed from every answer
    async_patterns = ()
    poll_interval = 0.002

    def _open(self):
        return CliSession(self, self.transcript).open()

    def _close(self, connection):
        connection.close()

    @property
    def session(self):
        return self.connection
