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


def _pinned_class(base, policy):
    """A subclass of the Netmiko class that installs our host-key policy."""

    def _build_ssh_client(self):
        client = base._build_ssh_client(self)
        client.set_missing_host_key_policy(policy)
        return client

    return type(f"Pinned{base.__name__}", (base,), {"_build_ssh_client": _build_ssh_client})


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
        connection_class = _pinned_class(base_class, policy) if target.protocol == "ssh" else base_class
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
            self.conn = connection_class(**params)
            if not self.conn.check_enable_mode():
                self.conn.enable()
        except HostKeyMismatch:
            self.transcript.note(f"host key {policy.seen} does not match the pinned {target.host_key}: refused")
            raise
        except NetmikoAuthenticationException as error:
            raise AuthenticationError(f"{target.host}: authentication failed for user {target.username}") from error
        except (NetmikoTimeoutException, socket.timeout) as error:
            # Netmiko reports a refused TCP connection as a timeout too.
            refused = (ConnectionRefusedError, paramiko.ssh_exception.NoValidConnectionsError)
            if isinstance(error.__context__, refused):
                raise ConnectError(f"{target.host}:{target.port}: connection refused") from error
            raise ConnectTimeout(f"{target.host}:{target.port}: connection timed out") from error
        except ReadTimeout as error:
            raise ConnectError(f"{target.host}: the device stopped answering during login") from error
        except (OSError, EOFError, paramiko.SSHException, ValueError) as error:
            raise ConnectError(f"{target.host}:{target.port}: {error or type(error).__name__}") from error
        driver.seen_host_key = policy.seen
        if policy.seen and not target.host_key:
            self.transcript.note(f"host key not pinned; the device presented {policy.seen}")
        base = re.escape(self.conn.base_prompt)
        self.prompt = re.compile(rf"(?:^|\n)[^\n]*{base}[^\n]*[>#]\s*$")
        self.transcript.note(f"logged in ({time.monotonic() - started:.2f} s)")
        return self

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
        conn = self.conn
        if conn is None:
            raise ConnectError("the session is closed")
        self.transcript.send(command)
        started = time.monotonic()
        deadline = started + self.target.command_timeout
        buffer, answered = "", 0
        driver = self.driver
        try:
            conn.write_channel(command + conn.RETURN)
            while True:
                chunk = conn.read_channel()
                if chunk:
                    buffer += chunk
                    pending = buffer[answered:]
                    if _first_match(driver.pager_patterns, pending):
                        conn.write_channel(" ")
                        answered = len(buffer)
                        # A long output that keeps paging is progress, not a hang.
                        deadline = time.monotonic() + self.target.command_timeout
                    elif _first_match(driver.completion_patterns, pending[-80:]):
                        conn.write_channel(conn.RETURN)
                        answered = len(buffer)
                    elif _first_match(driver.confirm_patterns, pending[-80:]):
                        conn.write_channel("y" + conn.RETURN)
                        answered = len(buffer)
                    elif self.prompt.search(clean_output(pending[-300:])):
                        break
                elif _channel_closed(conn):
                    raise EOFError("the device closed the connection")
                else:
                    time.sleep(driver.poll_interval)
                # Checked on every pass: a device that never stops talking
                # (an alarm flood) must time out too.
                if time.monotonic() > deadline:
                    self.transcript.receive(clean_output(buffer), time.monotonic() - started)
                    raise CommandTimeout(f"no prompt after {self.target.command_timeout:.0f} s (command: {command})")
        except (OSError, EOFError, paramiko.SSHException) as error:
            self.conn = None
            raise ConnectError(f"connection lost during '{command}': {error or type(error).__name__}") from error
        elapsed = time.monotonic() - started
        text = self._strip_echo_and_prompt(command, clean_output(buffer, driver.async_patterns))
        self.transcript.receive(text, elapsed)
        return text, elapsed

    def _strip_echo_and_prompt(self, command, text):
        lines = text.split("\n")
        if lines and command.strip() and command.strip()[:20] in lines[0]:
            lines = lines[1:]
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


def _hang_up(conn):
    """Close the transport under a Netmiko connection without its logout dialogue."""
    for name in ("remote_conn", "remote_conn_pre"):
        handle = getattr(conn, name, None)
        if handle is not None and hasattr(handle, "close"):
            handle.close()


def _channel_closed(conn):
    """An SSH channel the device closed reads as empty forever: notice it."""
    channel = getattr(conn, "remote_conn", None)
    if isinstance(channel, paramiko.Channel):
        return channel.closed or channel.eof_received
    return False


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
