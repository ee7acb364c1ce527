"""MikroTik RouterOS over its API (librouteros): PPPoE subscribers.

A subscriber is a ``/ppp/secret`` plus its rate limit, either a
``/queue/simple`` named after it or the ``rate-limit`` of its PPP profile
(``target.options['rate_limit_method']``: ``queue`` or ``profile``).

Suspension (``target.options['suspend_method']``, overridable per call):

- ``disable_secret``: the secret is disabled and its ``/ppp/active`` session dropped;
- ``address_list``: the subscriber's address goes into a firewall address list
  (``options['address_list']``, default ``CORTADOS``) that a filter rule uses;
- ``profile``: the secret moves to ``options['suspend_profile']`` (default
  ``CORTADO``) and its session is dropped so the new profile applies.

What suspend changed is written into the secret's comment as a marker,
``CT-0042 [suspended=profile:plan-20M]``, in the same API sentence as the
change itself (before the address-list entry it records is added), so resume
restores exactly that (the original profile, the one address-list entry it
added) and nothing else, even from another process or after a reboot; resume
clears it last.

Every operation is one ``engine.converge``: it reads the secret, its queue or
profile, the cut-off list entries and the sessions into one view, and one
diff sends what differs.  A sentence answered late (``!done`` after the
command timeout) or a connection lost is an unknown outcome: the session is
closed, the driver logs in again and reads the router back, then finishes or
takes back; a re-run after any interruption ends as an uninterrupted run.

``.id`` values change after a reboot: every command that needs one finds it
by name just before it is sent (:class:`ApiCommand` ``find``).

``target.options``:

=====================  ===================  ==========================================
key                    default              meaning
=====================  ===================  ==========================================
suspend_method         ``disable_secret``   or ``address_list``, ``profile``
address_list           ``CORTADOS``         firewall address list of cut-off clients
suspend_profile        ``CORTADO``          PPP profile of suspended secrets
rate_limit_method      ``queue``            or ``profile`` (the plan profile's rate-limit)
queue_prefix           ``""``               queue name = prefix + subscriber name
login                  ``plain``            ``token`` for RouterOS older than 6.43
tls_ca_file            (none)               verify the api-ssl certificate chain with it;
                                            without it the certificate is pinned by
                                            ``target.host_key`` ('SHA256:...')
tls_check_hostname     ``False``            with ``tls_ca_file``: also check the name
encoding               ``ascii``            how comments are written: ``cp1252`` (what
                                            WinBox shows on a Spanish Windows),
                                            ``latin-1``, ``utf-8``; the API has no charset
=====================  ===================  ==========================================
"""

import base64
import contextlib
import hashlib
import re
import ssl
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import ClassVar

import librouteros
from librouteros.api import Api
from librouteros.exceptions import ConnectionClosed, FatalError, LibRouterosError, MultiTrapError, TrapError
from librouteros.query import Key

from . import validation as v
from .base import RouterDriver
from .engine import Reply, Step, converge
from .errors import (
    AuthenticationError,
    CommandRejected,
    CommandTimeout,
    ConnectError,
    ConnectTimeout,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
)
from .models import SubscriberStatus

DEFAULT_PORTS = {"api": 8728, "api-ssl": 8729}

SECRET = "/ppp/secret"
ACTIVE = "/ppp/active"
PROFILE = "/ppp/profile"
ADDRESS_LIST = "/ip/firewall/address-list"
QUEUE = "/queue/simple"

#: fields written back when a removed item is restored by a rollback
_RESTORABLE = {
    SECRET: (
        "name",
        "service",
        "caller-id",
        "password",
        "profile",
        "local-address",
        "remote-address",
        "routes",
        "limit-bytes-in",
        "limit-bytes-out",
        "disabled",
        "comment",
    ),
    QUEUE: (
        "name",
        "target",
        "parent",
        "packet-marks",
        "priority",
        "queue",
        "limit-at",
        "max-limit",
        "burst-limit",
        "burst-threshold",
        "burst-time",
        "disabled",
        "comment",
    ),
    ADDRESS_LIST: ("list", "address", "disabled", "comment"),
    PROFILE: ("name", "local-address", "remote-address", "rate-limit", "comment"),
}

_MARKER = re.compile(r"^(?P<base>.*?)\s*\[suspended=(?P<method>[a-z_]+)(?::(?P<arg>[^\]]*))?\]$", re.DOTALL)
_RATE_TOKEN = re.compile(r"^(\d+(?:\.\d+)?)([kKMG]?)$")
_MULTIPLIER = {"": 1, "k": 1000, "K": 1000, "M": 1000000, "G": 1000000000}


# -- RouterOS value formats --------------------------------------------------------


def format_rate(mbit):
    """Mbit/s -> RouterOS rate: 10 -> '10M', 1.5 -> '1500k', 0 -> '0'."""
    if not mbit:
        return "0"
    if float(mbit).is_integer():
        return f"{int(mbit)}M"
    return f"{round(mbit * 1000)}k"


def profile_rate_limit(rate):
    """A PPP profile ``rate-limit``: rx/tx from the router's side, i.e. upload/download."""
    text = f"{format_rate(rate.up)}/{format_rate(rate.down)}"
    if rate.burst_up or rate.burst_down or rate.priority != 8:
        text += (
            f" {format_rate(rate.burst_up)}/{format_rate(rate.burst_down)}"
            f" {format_rate(rate.threshold_up)}/{format_rate(rate.threshold_down)}"
            f" {rate.burst_time_up}/{rate.burst_time_down} {rate.priority}"
        )
    return text


def queue_limits(rate):
    """The /queue/simple fields of a plan (target upload/download order)."""
    return {
        "max-limit": f"{format_rate(rate.up)}/{format_rate(rate.down)}",
        "burst-limit": f"{format_rate(rate.burst_up)}/{format_rate(rate.burst_down)}",
        "burst-threshold": f"{format_rate(rate.threshold_up)}/{format_rate(rate.threshold_down)}",
        "burst-time": f"{rate.burst_time_up}s/{rate.burst_time_down}s",
        "priority": f"{rate.priority}/{rate.priority}",
    }


def _bps(token):
    match = _RATE_TOKEN.match(token.strip())
    if not match:
        return token
    return int(float(match.group(1)) * _MULTIPLIER[match.group(2)])


def _seconds(token):
    token = token.strip()
    if re.match(r"^\d+s?$", token):
        return int(token.rstrip("s"))
    if re.match(r"^\d+:\d\d:\d\d$", token):
        hours, minutes, seconds = (int(part) for part in token.split(":"))
        return hours * 3600 + minutes * 60 + seconds
    return token


def _normal_pair(value, parse):
    parts = str(value).split("/")
    return tuple(parse(part) for part in (parts if len(parts) == 2 else parts * 2))


def _normal_queue_value(name, value):
    """Compare queue values as numbers: the router prints '10M' back as '10000000'."""
    if name in ("max-limit", "burst-limit", "burst-threshold", "limit-at"):
        return _normal_pair(value, _bps)
    if name == "burst-time":
        return _normal_pair(value, _seconds)
    if name == "priority":
        return _normal_pair(value, str)
    return str(value)


def _normal_rate_limit(value):
    groups = str(value or "").split()
    defaults = ["0/0", "0/0", "0/0", "0/0", "8", "0/0"]
    groups = groups + defaults[len(groups) :]
    return (
        _normal_pair(groups[0], _bps),
        _normal_pair(groups[1], _bps),
        _normal_pair(groups[2], _bps),
        _normal_pair(groups[3], _seconds),
        groups[4],
        _normal_pair(groups[5], _bps),
    )


def split_marker(comment):
    """'CT-1 [suspended=profile:plan]' -> ('CT-1', 'profile', 'plan'); no marker: (comment, '', '')."""
    match = _MARKER.match(comment or "")
    if not match:
        return comment or "", "", ""
    return match.group("base"), match.group("method"), match.group("arg") or ""


def join_marker(base, method, arg=""):
    marker = f"[suspended={method}{':' + arg if arg else ''}]"
    return f"{base} {marker}" if base else marker


# -- the API session ------------------------------------------------------------


@dataclass
class ApiCommand:
    """One API sentence, as the command of an engine Step.

    ``find`` names the item (``{"name": "u1"}``); its ``.id`` is looked up in
    the same session just before the sentence is sent, never earlier.
    """

    path: str
    verb: str
    attrs: dict = field(default_factory=dict)
    find: dict = field(default_factory=dict)

    @property
    def word(self):
        return f"{self.path}/{self.verb}"

    def __str__(self):
        parts = [self.word]
        if self.find:
            parts.append(f"[find {_find_text(self.find)}]")
        parts.extend(_show(k, v) for k, v in self.attrs.items())
        return " ".join(parts)


def _find_text(find):
    return " ".join(_show(key, value) for key, value in find.items())


def _show(key, value):
    value = str(value)
    if value == "" or any(ch.isspace() for ch in value):
        value = '"' + value + '"'
    return f"{key}={value}"


class _StringApi(Api):
    """librouteros' Api keeping every value as the string the router sent.

    Its default parsing turns 'yes' into True and '0123' into '0123' but '123'
    into 123, which would change names, passwords and comments on the way back.
    """

    def readSentence(self):  # librouteros' name
        reply_word, words = self.protocol.readSentence()
        values = {}
        for word in words:
            key, _, value = word.removeprefix("=").partition("=")
            values[key] = value
        return reply_word, values


def certificate_fingerprint(der):
    """'SHA256:...' of a DER certificate, in the OpenSSH form used for SSH host keys."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode("ascii").rstrip("=")


class ApiSession:
    """One logged-in API session; runs ApiCommands for the plan engine."""

    def __init__(self, driver, transcript):
        self.driver = driver
        self.transcript = transcript
        self.target = driver.target
        self.api = None

    # -- connect -----------------------------------------------------------
    def open(self):
        target = self.target
        port = self.driver.port
        self.transcript.note(f"connecting to {target.host}:{port} over {target.protocol} as {target.username}")
        started = time.monotonic()
        try:
            api = librouteros.connect(
                target.host,
                target.username,
                target.password,
                port=port,
                timeout=target.connect_timeout,
                subclass=_StringApi,
                login_method=self._login_method(),
                ssl_wrapper=self._tls_wrapper() if target.protocol == "api-ssl" else None,
                encoding=self.driver.encoding,
            )
        except HostKeyMismatch:
            raise
        except (TrapError, MultiTrapError) as error:
            raise AuthenticationError(f"{target.host}: login refused for user {target.username}: {error}") from error
        except TimeoutError as error:
            raise ConnectTimeout(f"{target.host}:{port}: connection timed out") from error
        except ssl.SSLError as error:
            raise ConnectError(f"{target.host}:{port}: TLS handshake failed: {error}") from error
        except (OSError, LibRouterosError, UnicodeError) as error:
            raise ConnectError(f"{target.host}:{port}: {error or type(error).__name__}") from error
        # librouteros uses one socket timeout for connect and commands.
        api.protocol.transport.sock.settimeout(target.command_timeout)
        self.api = api
        self.driver.logins += 1
        self.transcript.note(f"logged in ({time.monotonic() - started:.2f} s)")
        return self

    def _login_method(self):
        """RouterOS before 6.43 only knows the MD5 challenge login (options['login']='token')."""
        method = self.target.options.get("login", "plain")
        return librouteros.token if method == "token" else librouteros.plain

    def _tls_wrapper(self):
        """Wraps the socket in TLS and checks the certificate before any password is sent.

        With ``options['tls_ca_file']`` the chain is verified; otherwise (RouterOS
        routers mostly carry self-signed certificates) the certificate's
        fingerprint is checked against ``target.host_key`` when pinned, and
        reported in the transcript when not, so it can be pinned.
        """
        target, driver = self.target, self.driver
        options = target.options
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if options.get("tls_ca_file"):
            context.load_verify_locations(options["tls_ca_file"])
            context.check_hostname = bool(options.get("tls_check_hostname", False))
        else:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE

        def wrap(sock):
            try:
                tls = context.wrap_socket(sock, server_hostname=target.host)
            except OSError:
                sock.close()  # librouteros does not close a socket it never got back
                raise
            seen = certificate_fingerprint(tls.getpeercert(binary_form=True))
            driver.seen_host_key = seen
            if target.host_key and seen != target.host_key:
                tls.close()
                self.transcript.note(f"certificate {seen} does not match the pinned {target.host_key}: refused")
                raise HostKeyMismatch(
                    f"TLS certificate of {target.host} is {seen}, not the pinned {target.host_key}: refused",
                    seen=seen,
                    expected=target.host_key,
                )
            if not target.host_key:
                self.transcript.note(f"certificate not pinned; the router presented {seen}")
            return tls

        return wrap

    def close(self):
        api, self.api = self.api, None
        if api is None:
            return
        with contextlib.suppress(OSError, LibRouterosError):
            api.close()
        self.transcript.note("logged out")

    def note(self, text):
        self.transcript.note(text)

    # -- commands ------------------------------------------------------------
    def execute(self, command, mode=(), done_patterns=()):
        """Send one ApiCommand; Reply, or a DriverError with the router's words.

        ``mode`` is the engine's CLI context: the API has none.
        """
        del mode
        attrs = dict(command.attrs)
        if command.find:
            ids = [row[".id"] for row in self.query(command.path, command.find, (".id",))]
            if not ids:
                if command.verb == "remove":
                    self.note(f"{command.path} [find {_find_text(command.find)}]: already absent")
                    return Reply(str(command), "no such item (already absent)", already=True)
                raise CommandRejected(self.transcript.mask(str(command)), "no such item")
            attrs = {".id": ",".join(ids), **attrs}
        try:
            rows, elapsed = self._call(command.word, [f"={k}={val}" for k, val in attrs.items()])
        except CommandRejected as error:
            patterns = tuple(done_patterns) + self.driver.done_patterns
            if any(re.search(pattern, error.device_message) for pattern in patterns):
                self.note("the router already has it: counted as done")
                return Reply(str(command), error.device_message, already=True)
            raise CommandRejected(self.transcript.mask(str(command)), error.device_message) from error
        return Reply(str(command), _rows_text(rows), elapsed=elapsed)

    def query(self, path, where=None, proplist=()):
        """``print`` with a query: the matching rows, values as strings."""
        words = []
        if proplist:
            words.append(f"=.proplist={','.join(proplist)}")
        for key, value in (where or {}).items():
            words.extend(Key(key) == value)
        rows, _ = self._call(f"{path}/print", words)
        return rows

    def _call(self, word, words):
        if self.api is None:
            # Lost earlier (or hung up after a timeout): logging in again is the
            # engine's decision (bounded, then the router is read back).
            raise ConnectError("the session is closed")
        self.transcript.send(_sentence_text(word, words))
        started = time.monotonic()
        try:
            rows = list(self.api.rawCmd(word, *words))
        except (TrapError, MultiTrapError) as error:
            elapsed = time.monotonic() - started
            self.transcript.receive(f"!trap message={error}", elapsed)
            raise CommandRejected(word, str(error)) from error
        except TimeoutError as error:
            # A late '!done' would be read as the answer to the next sentence:
            # the session is closed, the outcome is unknown until read back.
            self._lost()
            self.transcript.receive("(no answer)", time.monotonic() - started)
            raise CommandTimeout(
                f"no answer within {self.target.command_timeout:g} s (command: {word}); "
                "the session was closed, the command may still take effect"
            ) from error
        except (FatalError, ConnectionClosed, OSError, LibRouterosError) as error:
            self._lost()
            raise ConnectError(f"connection lost during {word}: {error or type(error).__name__}") from error
        elapsed = time.monotonic() - started
        for row in rows:
            # A secret read back (for a rollback) must be masked from here on.
            if row.get("password"):
                self.driver.add_secrets(row["password"])
        self.transcript.receive(_rows_text(rows), elapsed)
        return rows, elapsed

    def _lost(self):
        api, self.api = self.api, None
        with contextlib.suppress(OSError, LibRouterosError):
            api.close()


def _sentence_text(word, words):
    shown = []
    for item in words:
        if item.startswith("="):
            key, _, value = item[1:].partition("=")
            shown.append(_show(key, value))
        else:
            shown.append(item)
    return " ".join([word, *shown])


def _rows_text(rows):
    lines = ["!re " + " ".join(_show(k, val) for k, val in row.items()) for row in rows if "ret" not in row]
    ret = next((row["ret"] for row in rows if "ret" in row), None)
    lines.append(f"!done ret={ret}" if ret is not None else "!done")
    return "\n".join(lines)


# -- the driver -----------------------------------------------------------------


class MikrotikDriver(RouterDriver):
    """PPPoE subscribers on a MikroTik router, over the RouterOS API."""

    platform = "mikrotik"
    protocols = ("api", "api-ssl")
    #: router answers that mean the wanted state already exists
    done_patterns = (r"already have such entry",)
    rate_limit_methods = ("queue", "profile")
    #: what options['encoding'] may name: the API's bytes carry no charset
    encodings = ("ascii", "cp1252", "latin-1", "utf-8")
    default_options: ClassVar[dict] = {
        "suspend_method": "disable_secret",
        "address_list": "CORTADOS",
        "suspend_profile": "CORTADO",
        "rate_limit_method": "queue",
        "queue_prefix": "",
    }

    # -- session ---------------------------------------------------------------
    @property
    def port(self):
        return self.target.port or DEFAULT_PORTS.get(self.target.protocol, 8728)

    def option(self, name):
        return self.target.options.get(name, self.default_options[name])

    def _open(self):
        return ApiSession(self, self.transcript).open()

    def _close(self, connection):
        connection.close()

    @property
    def session(self):
        return self.connection

    # -- validation --------------------------------------------------------------
    def check_target(self):
        target = self.target
        if target.protocol not in self.protocols:
            raise InvalidInput("protocol", f"{target.protocol!r} is not one of {', '.join(self.protocols)}")
        if not target.host or any(ch.isspace() for ch in target.host):
            raise InvalidInput("host", "is required and may not hold spaces")
        v.check_int("port", self.port, 1, 65535)
        if not target.username:
            raise InvalidInput("username", "is required")
        v.check_choice(self.option("suspend_method"), "options.suspend_method", self.suspend_methods)
        v.check_choice(self.option("rate_limit_method"), "options.rate_limit_method", self.rate_limit_methods)
        v.check_name(self.option("address_list"), "options.address_list")
        v.check_name(self.option("suspend_profile"), "options.suspend_profile")
        v.check_choice(target.options.get("login", "plain"), "options.login", ("plain", "token"))
        v.check_choice(self.encoding, "options.encoding", self.encodings)
        self.check_session_options()
        prefix = self.option("queue_prefix")
        if prefix:
            v.check_name(prefix, "options.queue_prefix")

    def check_name(self, name, field="name"):
        return v.check_pppoe_user(name, field)

    def check_method(self, method):
        if method is None:
            return self.option("suspend_method")
        return v.check_choice(method, "method", self.suspend_methods)

    @property
    def encoding(self):
        return self.target.options.get("encoding", "ascii")

    def check_subscriber(self, subscriber):
        """Checks ``subscriber``; returns it in the canonical form that is sent."""
        self.check_name(subscriber.name)
        v.check_password(subscriber.password, "password")
        v.check_name(subscriber.profile, "profile")
        if subscriber.remote_address:
            v.check_ipv4(subscriber.remote_address, "remote_address")
        check_comment(subscriber.comment, encoding=self.encoding)
        rate = subscriber.rate_limit
        if rate is not None:
            rate = check_rate_limit(rate)
            if self.option("rate_limit_method") == "queue" and not subscriber.remote_address:
                raise InvalidInput(
                    "remote_address",
                    "is required for a /queue/simple rate limit (its target); "
                    "or set options.rate_limit_method to 'profile'",
                )
            shared = ("default", "default-encryption")
            if self.option("rate_limit_method") == "profile" and subscriber.profile in shared:
                raise InvalidInput("profile", "a plan's rate limit needs a profile of its own, not a default one")
        if subscriber.profile == self.option("suspend_profile"):
            raise InvalidInput("profile", "is the suspension profile")
        return replace(subscriber, rate_limit=rate)

    # -- operations ------------------------------------------------------------------
    def ensure_subscriber(self, subscriber):
        """Create or update the PPPoE secret and its rate limit, as one plan."""
        self.check_target()
        subscriber = self.check_subscriber(subscriber)
        self.add_secrets(subscriber.password)
        with self._operation("ensure_subscriber"):
            return self._result("ensure_subscriber", self._ensure_subscriber(subscriber))

    def remove_subscriber(self, name):
        self.check_target()
        self.check_name(name)
        with self._operation("remove_subscriber"):
            return self._result("remove_subscriber", self._remove_subscriber(name))

    def suspend_subscriber(self, name, method=None):
        self.check_target()
        self.check_name(name)
        method = self.check_method(method)
        with self._operation("suspend_subscriber"):
            return self._result("suspend_subscriber", self._suspend_subscriber(name, method))

    def resume_subscriber(self, name, method=None, enable=False):
        self.check_target()
        self.check_name(name)
        if method is not None:
            self.check_method(method)
        with self._operation("resume_subscriber"):
            return self._result("resume_subscriber", self._resume_subscriber(name, method, enable=enable))

    def subscriber_status(self, name):
        self.check_target()
        self.check_name(name)
        with self._operation("subscriber_status"):
            return self._result("subscriber_status", self._subscriber_status(name))

    # -- reads ---------------------------------------------------------------------------
    def _secret(self, name):
        rows = self.session.query(SECRET, {"name": name}, (".id", *_RESTORABLE[SECRET]))
        return rows[0] if rows else None

    def _active(self, name):
        return self.session.query(ACTIVE, {"name": name}, (".id", "name", "address", "uptime", "caller-id"))

    def queue_name(self, name):
        return f"{self.option('queue_prefix')}{name}"

    def _observe(self, name, queue=False, profile="", addresses=(), active=False):
        """What the router holds for subscriber ``name``: a view keyed by object.

        ``secret`` (its fields but the comment), ``marker`` (the comment, which
        carries the suspension marker), ``queue``, ``profile:NAME``,
        ``address:A`` (entries of the cut-off list) and ``active`` (sessions).
        ``addresses`` may be a callable of the secret and the sessions read.
        """
        view = {}
        secret = self._secret(name)
        if secret is not None:
            view["secret"] = _item(SECRET, {"name": name}, secret, exclude=("comment",))
            view["marker"] = secret.get("comment", "")
        if queue:
            rows = self.session.query(QUEUE, {"name": self.queue_name(name)}, (".id", *_RESTORABLE[QUEUE]))
            if rows:
                view["queue"] = _item(QUEUE, {"name": self.queue_name(name)}, rows[0])
        if profile:
            rows = self.session.query(PROFILE, {"name": profile}, (".id", *_RESTORABLE[PROFILE]))
            if rows:
                view[f"profile:{profile}"] = _item(PROFILE, {"name": profile}, rows[0])
        sessions = self._active(name) if active or callable(addresses) else []
        if sessions:
            view["active"] = {"count": len(sessions), "addresses": [row.get("address", "") for row in sessions]}
        if callable(addresses):
            addresses = addresses(secret, sessions)
        for address in addresses:
            key = {"list": self.option("address_list"), "address": address}
            rows = self.session.query(ADDRESS_LIST, key, (".id", *_RESTORABLE[ADDRESS_LIST]))
            if rows:
                view[f"address:{address}"] = _item(ADDRESS_LIST, key, rows[0])
        return view

    def _converge(self, name, observe, wanted):
        return converge(self, observe, wanted, partial(_diff, name=name))

    # -- ensure ---------------------------------------------------------------------------
    def _ensure_subscriber(self, subscriber):
        name = subscriber.name
        by_profile = subscriber.rate_limit is not None and self.option("rate_limit_method") == "profile"
        by_queue = subscriber.rate_limit is not None and self.option("rate_limit_method") == "queue"
        profile = subscriber.profile if by_profile else ""

        def observe():
            return self._observe(name, queue=by_queue, profile=profile)

        def wanted(before, context):
            return self._ensure_view(before, subscriber, by_queue, profile)

        done = self._converge(name, observe, wanted)
        return {"name": name, "created": "secret" not in done.before, "changed": _changed(done.before, done.after)}

    def _ensure_view(self, before, subscriber, by_queue, profile):
        target = dict(before)
        if profile:
            key = f"profile:{profile}"
            target[key] = _wanted_item(
                before.get(key), PROFILE, {"name": profile}, {"rate-limit": profile_rate_limit(subscriber.rate_limit)}
            )
        fields = {"password": subscriber.password}
        if "secret" not in before:
            fields["service"] = "pppoe"
        fields.update({"profile": subscriber.profile, "remote-address": subscriber.remote_address})
        comment = subscriber.comment
        if "secret" in before:
            _, method, arg = split_marker(before.get("marker", ""))
            if method:
                # Suspended: the marker stays, and a new plan profile waits in
                # it for resume instead of lifting the suspension.
                if method == "profile":
                    comment = join_marker(comment, method, subscriber.profile)
                    fields["profile"] = before["secret"]["values"].get("profile", "")
                else:
                    comment = join_marker(comment, method, arg)
        target["secret"] = _wanted_item(before.get("secret"), SECRET, {"name": subscriber.name}, fields)
        target["marker"] = comment
        if by_queue:
            queue_name = self.queue_name(subscriber.name)
            fields = {"target": f"{subscriber.remote_address}/32", **queue_limits(subscriber.rate_limit)}
            if subscriber.comment:
                fields["comment"] = subscriber.comment
            target["queue"] = _wanted_item(before.get("queue"), QUEUE, {"name": queue_name}, fields)
        return target

    # -- remove ---------------------------------------------------------------------------
    def _remove_subscriber(self, name):
        def observe():
            return self._observe(name, queue=True, addresses=self._marked_addresses)

        def wanted(before, context):
            # Nothing of it: the address-list entry a suspension added goes with
            # the secret (one listed before the suspension is not in the view).
            return {}

        done = self._converge(name, observe, wanted)
        removed = any(key in done.before for key in ("secret", "queue"))
        if not removed:
            self.session.note(f"no secret or queue named {name}: nothing to remove")
        return {"name": name, "removed": removed}

    def _marked_addresses(self, secret, sessions):
        """The address a suspension marker says it added to the cut-off list."""
        _, method, arg = split_marker((secret or {}).get("comment", ""))
        if method == "address_list" and arg and not arg.endswith(":present"):
            return [arg.split(":")[0]]
        return []

    # -- suspend and resume ---------------------------------------------------------------------
    def _suspend_subscriber(self, name, method):
        def observe():
            return self._observe(name, active=True, addresses=self._suspension_addresses)

        def wanted(before, context):
            return self._suspended_view(name, method, before)

        done = self._converge(name, observe, wanted)
        return {"name": name, "method": method, "changed": done.changed}

    def _suspension_addresses(self, secret, sessions):
        addresses = self._marked_addresses(secret, sessions)
        if secret is not None and secret.get("remote-address"):
            addresses.append(secret["remote-address"])
        addresses += [row["address"] for row in sessions if row.get("address")]
        return list(dict.fromkeys(addresses))

    def _suspended_view(self, name, method, before):
        """The view of ``name`` suspended by ``method``: the marker is the
        record of what suspension changed, so an interrupted suspend is
        completed from it."""
        if "secret" not in before:
            raise CommandRejected(f"{SECRET}/print ?name={name}", "no such item")
        secret = before["secret"]["values"]
        base, marked, arg = split_marker(before["marker"])
        if marked and marked != method:
            raise DriverError(f"{name} is suspended by {marked}; resume it before suspending by {method}")
        target = dict(before)
        if method == "disable_secret":
            if not marked and _flag(secret.get("disabled")):
                self.session.note(f"{name} was disabled before: left as it is, not marked as suspended")
                return target
            target["secret"] = _with(before["secret"], disabled="yes")
            target["marker"] = join_marker(base, method)
            target.pop("active", None)  # a disabled secret has no lawful session
        elif method == "address_list":
            if not marked:
                address = secret.get("remote-address") or next(iter(self._session_addresses(before)), "")
                if not address:
                    raise DriverError(f"{name} has no remote-address and no active session: no address to cut off")
                arg = f"{address}:present" if f"address:{address}" in before else address
            target["marker"] = join_marker(base, method, arg)
            address = arg.split(":")[0]
            if not arg.endswith(":present"):
                target[f"address:{address}"] = _wanted_item(
                    before.get(f"address:{address}"),
                    ADDRESS_LIST,
                    {"list": self.option("address_list"), "address": address},
                    {"comment": name},
                )
        else:
            original = arg if marked else secret.get("profile", "")
            target["secret"] = _with(before["secret"], profile=self.option("suspend_profile"))
            target["marker"] = join_marker(base, method, original)
            # The session redials under the suspension profile.
            target.pop("active", None)
        if marked and not _diff(before, target, {}, name):
            self.session.note(f"{name} is already suspended by {method}: nothing to do")
        return target

    @staticmethod
    def _session_addresses(view):
        return [address for address in view.get("active", {}).get("addresses", []) if address]

    def _resume_subscriber(self, name, method, enable=False):
        """Restore what the suspension marker records; with ``enable`` (an active
        contract converged) a secret disabled by hand, with no marker, is enabled too."""

        def observe():
            return self._observe(name, active=True, addresses=self._marked_addresses)

        marked_by = {}

        def wanted(before, context):
            if "secret" not in before:
                raise CommandRejected(f"{SECRET}/print ?name={name}", "no such item")
            base, marked, arg = split_marker(before["marker"])
            marked_by["method"] = marked
            by_hand = enable and _flag(before["secret"]["values"].get("disabled")) and marked != "disable_secret"
            if not marked:
                if by_hand:
                    self.session.note(f"{name} was disabled with no suspension marker: enabled (converged as active)")
                    return {**before, "secret": _with(before["secret"], disabled="no")}
                self.session.note(f"{name} carries no suspension marker: nothing to restore")
                return before
            if method is not None and method != marked:
                raise DriverError(f"{name} is suspended by {marked}, not by {method}: resume it by {marked}")
            target = dict(before)
            target["marker"] = base
            if marked == "disable_secret":
                target["secret"] = _with(before["secret"], disabled="no")
            elif marked == "address_list":
                target = {key: item for key, item in target.items() if not key.startswith("address:")}
            elif marked == "profile":
                target["secret"] = _with(before["secret"], profile=arg)
                # The session still runs under the suspension profile: it must redial.
                target.pop("active", None)
            else:
                raise DriverError(f"{name} carries an unknown suspension marker {marked!r}: left as it is")
            if by_hand:
                target["secret"] = _with(target["secret"], disabled="no")
            return target

        done = self._converge(name, observe, wanted)
        return {"name": name, "method": marked_by.get("method") or method or "", "changed": done.changed}

    def _subscriber_status(self, name):
        secret = self._secret(name)
        status = SubscriberStatus(name=name)
        if secret is None:
            return status
        status.exists = True
        status.enabled = secret.get("disabled") not in ("true", "yes")
        status.suspended = bool(split_marker(secret.get("comment", ""))[1])
        active = self._active(name)
        if active:
            status.online = True
            status.address = active[0].get("address", "")
            status.uptime = active[0].get("uptime", "")
        return status

    def _inventory(self):
        """Every PPPoE secret and every active session: two API calls, whatever their
        number (the secrets' passwords are not asked for)."""
        secrets = self.session.query(SECRET, None, ("name", "disabled", "comment"))
        active = {row.get("name"): row for row in self.session.query(ACTIVE, None, ("name", "address", "uptime"))}
        found = []
        for secret in secrets:
            name = secret.get("name", "")
            session = active.get(name)
            found.append(
                SubscriberStatus(
                    name=name,
                    exists=True,
                    enabled=secret.get("disabled") not in ("true", "yes"),
                    suspended=bool(split_marker(secret.get("comment", ""))[1]),
                    online=session is not None,
                    address=(session or {}).get("address", ""),
                    uptime=(session or {}).get("uptime", ""),
                )
            )
        return found


# -- views and the one diff ---------------------------------------------------------------
#
# A view item is ``{"path", "find", "values"}``: where the object lives, how it
# is found by name (never by a remembered ``.id``), and its fields as the
# router prints them.  ``marker`` is the secret's comment on its own, because
# the suspension marker it carries is the record resume works from: set in the
# same sentence as the change it records, cleared only after what it records
# has been taken back.


def _item(path, find, row, exclude=()):
    values = {key: row.get(key, "") for key in _RESTORABLE[path] if key not in find and key not in exclude}
    return {"path": path, "find": dict(find), "values": values}


def _wanted_item(current, path, find, fields):
    """``current`` with ``fields`` set, or a new item of just ``fields``."""
    if current is None:
        return {"path": path, "find": dict(find), "values": dict(fields)}
    return _with(current, **fields)


def _with(item, **fields):
    return {**item, "values": {**item["values"], **fields}}


def _flag(value):
    return str(value).lower() in ("true", "yes")


def _normal(path, key, value):
    if key == "disabled":
        return _flag(value)
    if path == QUEUE:
        return _normal_queue_value(key, value)
    if path == PROFILE and key == "rate-limit":
        return _normal_rate_limit(value)
    return str(value)


def _differences(current, target):
    """Fields of ``target`` whose value ``current`` does not hold."""
    path = target["path"]
    held = current["values"]
    return {
        key: value
        for key, value in target["values"].items()
        if _normal(path, key, held.get(key, "")) != _normal(path, key, value)
    }


def _put(current, target, comment=None):
    """The step that makes ``target`` exist as wanted (add or set), or []."""
    path, find = target["path"], target["find"]
    if current is None:
        attrs = {**find, **{key: value for key, value in target["values"].items() if value != ""}}
        if comment:
            attrs["comment"] = comment
        return [Step(ApiCommand(path, "add", attrs))]
    changes = _differences(current, target)
    if comment is not None:
        changes["comment"] = comment
    return [Step(ApiCommand(path, "set", changes, dict(find)))] if changes else []


def _remove(item):
    return Step(ApiCommand(item["path"], "remove", find=dict(item["find"])))


def _diff(current, target, context, name):
    """The API sentences that turn ``current`` into ``target``, in an order
    from which a re-run can always finish: what the secret refers to, the
    secret (a marker being set goes in the same sentence as the change it
    records), what hangs on it, the removals, the sessions, and last the
    clearing of a marker (once what it records has been taken back)."""
    del context
    steps = []
    for key in sorted(k for k in target if k.startswith("profile:")):
        steps += _put(current.get(key), target[key])
    lift = False
    if "secret" in target:
        had, wants = current.get("marker", ""), target.get("marker", "")
        lift = "secret" in current and bool(split_marker(had)[1]) and not split_marker(wants)[1] and had != wants
        if "secret" not in current:
            steps += _put(None, target["secret"], comment=wants)
        else:
            steps += _put(current["secret"], target["secret"], comment=wants if had != wants and not lift else None)
    if "queue" in target:
        steps += _put(current.get("queue"), target["queue"])
    for key in sorted(k for k in target if k.startswith("address:")):
        steps += _put(current.get(key), target[key])
    for prefix in ("address:", "queue", "secret", "profile:"):
        steps += [_remove(current[key]) for key in sorted(current) if key.startswith(prefix) and key not in target]
    if "active" in current and "active" not in target:
        # A session cannot be restored: dropped only when wanted gone, never
        # brought back by an undo (the subscriber redials).
        steps.append(Step(ApiCommand(ACTIVE, "remove", find={"name": name})))
    if lift:
        steps.append(Step(ApiCommand(SECRET, "set", {"comment": target["marker"]}, {"name": name})))
    return steps


def _changed(before, after):
    """What an ensure changed, in the names callers know: 'profile', 'secret',
    'queue' for new objects, field names for a changed secret, 'queue.FIELD'
    and 'profile.rate-limit' for the others."""
    changed = []
    for key in sorted(k for k in after if k.startswith("profile:")):
        if key not in before:
            changed.append("profile")
        elif _differences(before[key], after[key]):
            changed.append("profile.rate-limit")
    if "secret" in after:
        if "secret" not in before:
            changed.append("secret")
        else:
            fields = set(_differences(before["secret"], after["secret"]))
            if before.get("marker", "") != after.get("marker", ""):
                fields.add("comment")
            changed += sorted(fields)
    if "queue" in after:
        if "queue" not in before:
            changed.append("queue")
        else:
            changed += [f"queue.{key}" for key in sorted(_differences(before["queue"], after["queue"]))]
    return changed


# -- input checks that are RouterOS's own -----------------------------------------------


def check_comment(value, field="comment", encoding="ascii"):
    """Free text for the contract reference; '[' and ']' are kept for the suspension marker.

    The API carries bytes without a charset (RouterOS itself keeps 7-bit text;
    WinBox shows other bytes in the PC's code page): a character the chosen
    ``options['encoding']`` cannot write is refused here, naming the field,
    rather than failing half-way through a plan.
    """
    value = value or ""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InvalidInput(field, "contains a newline or control character")
    try:
        value.encode(encoding)
    except UnicodeEncodeError as error:
        bad = value[error.start : error.end]
        raise InvalidInput(
            field,
            f"{bad!r} cannot be sent to the router in {encoding} "
            "(options.encoding: cp1252 writes the characters WinBox shows on a Spanish Windows)",
        ) from None
    if len(value) > 128:
        raise InvalidInput(field, "may hold up to 128 characters")
    if "[" in value or "]" in value:
        raise InvalidInput(field, "may not hold '[' or ']' (kept for the suspension marker)")
    return value


def _check_mbit(value, field, allow_zero):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(field, f"{value!r} is not a number of Mbit/s")
    if value < 0 or (value == 0 and not allow_zero) or value > 100000:
        raise InvalidInput(field, f"{value} is out of range {'0' if allow_zero else '0.001'}..100000 Mbit/s")
    if value and round(value * 1000) < 1:
        raise InvalidInput(field, f"{value} is below 1 kbit/s")
    return value


def check_rate_limit(rate, prefix="rate_limit"):
    _check_mbit(rate.up, f"{prefix}.up", allow_zero=False)
    _check_mbit(rate.down, f"{prefix}.down", allow_zero=False)
    canonical = {"priority": v.check_int(f"{prefix}.priority", rate.priority, 1, 8)}
    for side in ("up", "down"):
        limit = getattr(rate, side)
        burst = _check_mbit(getattr(rate, f"burst_{side}"), f"{prefix}.burst_{side}", allow_zero=True)
        threshold = _check_mbit(getattr(rate, f"threshold_{side}"), f"{prefix}.threshold_{side}", allow_zero=True)
        burst_time = v.check_int(f"{prefix}.burst_time_{side}", getattr(rate, f"burst_time_{side}"), 0, 3600)
        canonical[f"burst_time_{side}"] = burst_time
        if burst:
            if burst <= limit:
                raise InvalidInput(f"{prefix}.burst_{side}", f"must be above the {side} rate ({limit} Mbit/s)")
            if not 0 < threshold <= limit:
                raise InvalidInput(f"{prefix}.threshold_{side}", f"must be above 0 and at most {limit} Mbit/s")
            if not burst_time:
                raise InvalidInput(f"{prefix}.burst_time_{side}", "is required with a burst")
        elif threshold or burst_time:
            raise InvalidInput(f"{prefix}.burst_{side}", "is required with a burst threshold or time")
    return replace(rate, **canonical)
