"""A MikroTik RouterOS API server for tests and demos.

It speaks the real wire protocol (length-prefixed words, sentences ended by
an empty word), the real login exchanges (plain ``/login =name= =password=``
of RouterOS 6.43+ and the older MD5 challenge), and answers with ``!re``,
``!done``, ``!trap`` and ``!fatal`` the way a router does, so the unmodified
librouteros client works against it.

It shares no code with ``drivers/`` on purpose: the device is modelled from
the RouterOS documentation and captures, not from the driver's assumptions.

Menus kept: /ppp/secret, /ppp/active, /ppp/profile,
/ip/firewall/address-list and /queue/simple, with print (``=.proplist=``,
``=count-only=``, ``?`` queries), add, set, remove, enable and disable, and
the router's own refusals (``failure: already have such entry``, ``no such
item``, ``input does not match any value of profile``, ``unknown parameter``).

Faults are ``simulator.core.Faults``, read per API sentence (the sentence as
one line, ``/ppp/secret/set =.id=*1 =disabled=yes``): ``drop_after_commands``,
``drop_pattern`` (the sentence is not run), ``drop_after_pattern`` (it runs, the
connection closes before ``!done``), ``late_pattern`` + ``late_delay`` (it runs
at once, its answer is written ``late_delay`` s later), ``fault_count`` /
``fault_skip`` / ``inject()`` as for the OLTs, ``reject_pattern`` (+
``reject_text``, default ``failure: simulated fault``), ``latency`` +
``jitter``, ``slow_pattern`` + ``slow_extra`` and ``reject_login``.  RouterOS
has no "busy" answer and no alarm lines: those faults are ignored here.

Words are bytes without a charset, as on the router (it keeps what it is
sent; WinBox shows bytes above 127 in the PC's code page): they go in and
out unchanged (UTF-8 where they are UTF-8, other bytes kept as they came).
"""

import base64
import contextlib
import copy
import datetime
import hashlib
import ipaddress
import json
import os
import re
import socket
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass, field

from .core import Faults, write_state_file

# -- wire protocol ------------------------------------------------------------


def encode_length(length):
    if length < 0x80:
        return length.to_bytes(1, "big")
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + length.to_bytes(4, "big")


def encode_sentence(words):
    data = b""
    for word in words:
        raw = word.encode("utf-8", "surrogateescape")
        data += encode_length(len(raw)) + raw
    return data + b"\x00"


class _Closed(Exception):
    """The client went away."""


def _read_exact(sock, length):
    data = b""
    while len(data) < length:
        chunk = sock.recv(length - len(data))
        if not chunk:
            raise _Closed()
        data += chunk
    return data


def _read_length(sock):
    first = _read_exact(sock, 1)[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | _read_exact(sock, 1)[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(_read_exact(sock, 2), "big")
    if first < 0xF0:
        return ((first & 0x0F) << 24) | int.from_bytes(_read_exact(sock, 3), "big")
    return int.from_bytes(_read_exact(sock, 4), "big")


def read_sentence(sock):
    words = []
    while True:
        length = _read_length(sock)
        if length == 0:
            return words
        words.append(_read_exact(sock, length).decode("utf-8", errors="surrogateescape"))


class Trap(Exception):
    """A command refused: becomes ``!trap =message=...``."""

    def __init__(self, message, category=None):
        super().__init__(message)
        self.message = message
        self.category = category


# -- the configuration model ------------------------------------------------


_RATE = re.compile(r"^(\d+(?:\.\d+)?)([kKMG]?)$")
_MULTIPLIER = {"": 1, "k": 1000, "K": 1000, "M": 1000000, "G": 1000000000}


def _rate_bps(token, argument):
    match = _RATE.match(token)
    if not match:
        raise Trap(f"invalid value for argument {argument}")
    return int(float(match.group(1)) * _MULTIPLIER[match.group(2)])


def _rate_pair(value, argument):
    """'10M/20M' or '10M' -> '10000000/20000000' as RouterOS prints it."""
    parts = value.split("/")
    if len(parts) > 2 or not value:
        raise Trap(f"invalid value for argument {argument}")
    up = _rate_bps(parts[0], argument)
    down = _rate_bps(parts[-1], argument)
    return f"{up}/{down}"


def _time_pair(value, argument):
    parts = value.split("/")
    if len(parts) > 2:
        raise Trap(f"invalid value for argument {argument}")
    out = []
    for part in parts:
        match = re.match(r"^(\d+)s?$", part)
        if not match:
            raise Trap(f"invalid value for argument {argument}")
        out.append(f"{int(match.group(1))}s")
    return "/".join(out if len(out) == 2 else out * 2)


def _priority_pair(value, argument):
    parts = value.split("/")
    if len(parts) > 2 or not all(p.isdigit() and 1 <= int(p) <= 8 for p in parts):
        raise Trap(f"invalid value for argument {argument}")
    return "/".join(parts if len(parts) == 2 else parts * 2)


def _rate_limit(value, argument):
    """A PPP profile rate-limit: kept as written, but checked token by token."""
    if not value:
        return value
    groups = value.split(" ")
    if len(groups) > 6:
        raise Trap(f"invalid value for argument {argument}")
    for number, group in enumerate(groups):
        for token in group.split("/"):
            if number == 3:
                _time_pair(token, argument)
            elif number == 4:
                _priority_pair(token, argument)
            else:
                _rate_bps(token, argument)
    return value


def _bool(value, argument):
    lowered = value.lower()
    if lowered in ("yes", "true"):
        return "true"
    if lowered in ("no", "false"):
        return "false"
    raise Trap(f"invalid value for argument {argument}")


def _ipv4(value, argument):
    if value == "":
        return value
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise Trap(f"invalid value for argument {argument}") from None


def _address(value, argument):
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise Trap(f"invalid value for argument {argument}") from None
    return str(network.network_address) if network.prefixlen == 32 else str(network)


def _queue_target(value, argument):
    targets = []
    for item in value.split(","):
        try:
            targets.append(str(ipaddress.IPv4Network(item, strict=False)))
        except ValueError:
            raise Trap("input does not match any value of interface") from None
    return ",".join(targets)


@dataclass
class Menu:
    """One RouterOS menu: its fields, their defaults and its rules."""

    path: str
    defaults: dict
    required: tuple = ()
    #: fields whose values together must be unique, and the message if not
    unique: tuple = ()
    duplicate_message: str = "failure: already have such entry"
    #: field -> menu whose 'name' values it must be one of
    references: dict = field(default_factory=dict)
    #: field -> normaliser(value, argument) -> stored value (raises Trap)
    types: dict = field(default_factory=dict)
    can_add: bool = True
    can_set: bool = True
    #: fields computed by the router; refused in add/set
    read_only: tuple = ()


MENUS = {
    menu.path: menu
    for menu in (
        Menu(
            "/ppp/secret",
            {
                "name": "",
                "service": "any",
                "caller-id": "",
                "password": "",
                "profile": "default",
                "local-address": "",
                "remote-address": "",
                "routes": "",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "last-logged-out": "jan/01/1970 00:00:00",
                "disabled": "false",
                "comment": "",
            },
            required=("name",),
            unique=("name",),
            duplicate_message="failure: secret with the same name already exists",
            references={"profile": "/ppp/profile"},
            types={
                "disabled": _bool,
                "remote-address": _ipv4,
                "local-address": _ipv4,
            },
            read_only=("last-logged-out",),
        ),
        Menu(
            "/ppp/profile",
            {
                "name": "",
                "local-address": "",
                "remote-address": "",
                "rate-limit": "",
                "only-one": "default",
                "change-tcp-mss": "default",
                "use-encryption": "default",
                "address-list": "",
                "default": "false",
                "comment": "",
            },
            required=("name",),
            unique=("name",),
            duplicate_message="failure: profile with the same name already exists",
            types={"rate-limit": _rate_limit},
            read_only=("default",),
        ),
        Menu(
            "/ppp/active",
            {
                "name": "",
                "service": "pppoe",
                "caller-id": "",
                "encoding": "",
                "address": "",
                "uptime": "0s",
                "session-id": "",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "radius": "false",
            },
            can_add=False,
            can_set=False,
        ),
        Menu(
            "/ip/firewall/address-list",
            {
                "list": "",
                "address": "",
                "timeout": "",
                "creation-time": "",
                "dynamic": "false",
                "disabled": "false",
                "comment": "",
            },
            required=("list", "address"),
            unique=("list", "address"),
            duplicate_message="failure: already have such entry",
            types={"address": _address, "disabled": _bool},
            read_only=("creation-time", "dynamic"),
        ),
        Menu(
            "/queue/simple",
            {
                "name": "",
                "target": "",
                "parent": "none",
                "packet-marks": "",
                "priority": "8/8",
                "queue": "default-small/default-small",
                "limit-at": "0/0",
                "max-limit": "0/0",
                "burst-limit": "0/0",
                "burst-threshold": "0/0",
                "burst-time": "0s/0s",
                "bucket-size": "0.1/0.1",
                "dynamic": "false",
                "disabled": "false",
                "comment": "",
            },
            required=("target",),
            unique=("name",),
            duplicate_message="failure: already have such name",
            types={
                "target": _queue_target,
                "max-limit": _rate_pair,
                "limit-at": _rate_pair,
                "burst-limit": _rate_pair,
                "burst-threshold": _rate_pair,
                "burst-time": _time_pair,
                "priority": _priority_pair,
                "disabled": _bool,
            },
            read_only=("dynamic",),
        ),
    )
}

_DEFAULT_PROFILES = (
    ("*0", {"name": "default", "default": "true"}),
    ("*FFFFFFFE", {"name": "default-encryption", "use-encryption": "yes", "default": "true"}),
)


def _format_uptime(seconds):
    seconds = int(seconds)
    weeks, seconds = divmod(seconds, 604800)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "".join(f"{v}{u}" for v, u in ((weeks, "w"), (days, "d"), (hours, "h"), (minutes, "m")) if v)
    return text + (f"{seconds}s" if seconds or not text else "")


class RouterState:
    """The router's configuration: rows of each menu, keyed by ``.id``.

    Every method is called with the simulator's lock held.
    """

    def __init__(self):
        self.tables = {path: [] for path in MENUS}
        self._next_id = 1
        self._session_started = {}  # .id of an active session -> monotonic start
        for row_id, values in _DEFAULT_PROFILES:
            row = dict(MENUS["/ppp/profile"].defaults, **values)
            row[".id"] = row_id
            self.tables["/ppp/profile"].append(row)

    def new_id(self):
        row_id = f"*{self._next_id:X}"
        self._next_id += 1
        return row_id

    def rows(self, path):
        rows = self.tables[path]
        if path == "/ppp/active":
            now = time.monotonic()
            for row in rows:
                row["uptime"] = _format_uptime(now - self._session_started.get(row[".id"], now))
        return rows

    def find(self, path, item):
        """A row by .id, or by name where the menu has names (as RouterOS allows)."""
        for row in self.rows(path):
            if row[".id"] == item or (item and row.get("name") == item):
                return row
        raise Trap("no such item")

    # -- commands ------------------------------------------------------------
    def add(self, path, attrs):
        menu = MENUS[path]
        if not menu.can_add:
            raise Trap("no such command")
        row = dict(menu.defaults)
        self._apply(menu, row, attrs)
        for name in menu.required:
            if not row.get(name):
                raise Trap(f"failure: {name} must be specified")
        if menu.path == "/queue/simple" and not row["name"]:
            row["name"] = f"queue{len(self.tables[path]) + 1}"
        self._check_unique(menu, row, None)
        if path == "/ip/firewall/address-list":
            row["creation-time"] = datetime.datetime.now().strftime("%b/%d/%Y %H:%M:%S").lower()
        row[".id"] = self.new_id()
        self.tables[path].append(row)
        return row[".id"]

    def set(self, path, items, attrs):
        menu = MENUS[path]
        if not menu.can_set:
            raise Trap("no such command")
        rows = [self.find(path, item) for item in items]
        for row in rows:
            updated = dict(row)
            self._apply(menu, updated, attrs)
            self._check_unique(menu, updated, row[".id"])
            row.update(updated)

    def remove(self, path, items):
        rows = [self.find(path, item) for item in items]
        for row in rows:
            if path == "/ppp/profile" and row.get("default") == "true":
                raise Trap("failure: can not remove default profile")
            if path == "/ppp/profile" and any(s["profile"] == row["name"] for s in self.tables["/ppp/secret"]):
                raise Trap("failure: profile is in use")
        for row in rows:
            self.tables[path].remove(row)
            self._session_started.pop(row[".id"], None)

    def _apply(self, menu, row, attrs):
        for name, value in attrs.items():
            if name not in menu.defaults or name in menu.read_only:
                raise Trap("unknown parameter")
            if name in menu.types:
                value = menu.types[name](value, name)
            if name in menu.references:
                names = [r["name"] for r in self.tables[menu.references[name]]]
                if value not in names:
                    raise Trap(f"input does not match any value of {name}")
            row[name] = value

    def _check_unique(self, menu, row, own_id):
        if not menu.unique or not all(row.get(name) for name in menu.unique):
            return
        key = tuple(row[name] for name in menu.unique)
        for other in self.tables[menu.path]:
            if other[".id"] != own_id and tuple(other.get(name) for name in menu.unique) == key:
                raise Trap(menu.duplicate_message)

    # -- events that do not come over the API -----------------------------------
    def dial_in(self, name, address="", caller_id="", service="pppoe"):
        secret = next((s for s in self.tables["/ppp/secret"] if s["name"] == name), None)
        if secret is None or secret["disabled"] == "true":
            return None
        if any(a["name"] == name for a in self.tables["/ppp/active"]):
            raise ValueError(f"{name} already has an active session")
        row = dict(MENUS["/ppp/active"].defaults)
        row.update(
            name=name,
            service=service,
            address=address or secret["remote-address"] or self._pool_address(),
            **{"caller-id": caller_id or "AA:BB:CC:00:00:01", "session-id": f"0x{0x81000000 + self._next_id:X}"},
        )
        row[".id"] = self.new_id()
        self.tables["/ppp/active"].append(row)
        self._session_started[row[".id"]] = time.monotonic()
        return row

    def _pool_address(self):
        used = {a["address"] for a in self.tables["/ppp/active"]}
        for host in ipaddress.IPv4Network("100.64.0.0/24").hosts():
            if str(host) not in used:
                return str(host)
        raise ValueError("address pool exhausted")

    def reboot(self):
        """Sessions end and every .id changes, as after a real reboot."""
        self.tables["/ppp/active"] = []
        self._session_started = {}
        self._next_id += 0x40
        for path, rows in self.tables.items():
            for row in rows:
                if not (path == "/ppp/profile" and row.get("default") == "true"):
                    row[".id"] = self.new_id()

    def snapshot(self):
        snap = {}
        for path in self.tables:
            snap[path] = [dict(row) for row in self.rows(path)]
        return snap


# -- queries ------------------------------------------------------------------


def _matches(row, query_words):
    """Evaluate RouterOS '?' query words (a small stack machine)."""
    stack = []
    for word in query_words:
        body = word[1:]
        if body.startswith("#"):
            for op in body[1:]:
                if op == "!":
                    stack.append(not stack.pop())
                elif op in "&|":
                    right, left = stack.pop(), stack.pop()
                    stack.append(left and right if op == "&" else left or right)
                elif op == ".":
                    stack = stack[:1] or [True]
            continue
        if body.startswith("-"):
            stack.append(body[1:] not in row)
        elif body.startswith(("<", ">")):
            name, _, value = body[1:].partition("=")
            try:
                have, want = float(row.get(name, "")), float(value)
            except ValueError:
                have, want = row.get(name, ""), value
            stack.append(have < want if body[0] == "<" else have > want)
        else:
            body = body.removeprefix("=")
            name, sep, value = body.partition("=")
            if not sep:
                stack.append(name in row)
            else:
                stored = row.get(name)
                if value.lower() in ("yes", "no", "true", "false") and stored in ("true", "false"):
                    value = "true" if value.lower() in ("yes", "true") else "false"
                stack.append(stored == value)
    return all(stack)


# -- the server -----------------------------------------------------------------


def _self_signed_certificate(common_name):
    """(certificate PEM, key PEM) made with the cryptography package."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class RouterOsSimulator:
    """A stateful RouterOS API endpoint on a TCP port, plain ('api') or TLS ('api-ssl').

    Same in-process API as the OLT simulators (see ``simulator/__init__.py``)::

        with simulator.start(platform="mikrotik", protocol="api-ssl", password="pw") as sim:
            sim.host, sim.port, sim.host_key_fingerprint   # TLS certificate, 'SHA256:...'
            sim.dial_in("u1")                # the subscriber's PPPoE client connects
            sim.state()["/ppp/secret"]       # rows as the API prints them, with '.id'
            sim.faults.reject_pattern = r"^/queue/simple/add"
            sim.reboot()                     # sessions end, every .id changes

    ``sim.commands`` holds every API sentence received after login, as one line
    (``/ppp/secret/set =.id=*1 =disabled=yes``), in order.
    """

    platform = "mikrotik"

    def __init__(
        self,
        username="admin",
        password="admin",
        protocol="api",
        host="127.0.0.1",
        port=0,
        latency=0.0,
        host_key=None,
        state_file=None,
        options=None,
        name=None,
    ):
        if protocol not in ("api", "api-ssl"):
            raise ValueError(f"protocol {protocol!r}: mikrotik speaks 'api' or 'api-ssl'")
        options = dict(options or {})
        self.users = {username: password, **options.get("users", {})}
        self.protocol = protocol
        self.host = host
        self.port = port
        self.name = name or "MikroTik"
        self.host_key_file = host_key
        self.state_file = state_file
        self.faults = Faults(latency=latency)
        self.router = RouterState()
        self.lock = threading.RLock()
        #: every sentence received after login, as one line
        self.commands = []
        self.logins = {"attempted": 0, "succeeded": 0, "failed": 0}
        #: TCP connections accepted (a refused input must leave this at 0)
        self.connections = 0
        self.certificate_pem = b""
        self.host_key_fingerprint = None
        self._listener = None
        self._ssl_context = None
        self._threads = []
        self._clients = set()
        self._running = False
        self._stopped = threading.Event()
        if state_file and os.path.exists(state_file) and os.path.getsize(state_file):
            self._load_state(state_file)
        else:
            # Seeded rows are the router's first configuration: a saved state already holds them.
            for path, rows in options.get("rows", {}).items():
                for row in rows:
                    self.add(path, **row)

    # -- lifetime ----------------------------------------------------------------
    def start(self):
        if self.protocol == "api-ssl":
            self._ssl_context = self._make_ssl_context()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._running = True
        thread = threading.Thread(target=self._accept_loop, name=f"routeros-sim-{self.port}", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self):
        self._running = False
        self._stopped.set()
        if self._listener is not None:
            _close_quietly(self._listener)
        with self.lock:
            clients = list(self._clients)
        for client in clients:
            _close_quietly(client)
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<RouterOsSimulator {self.protocol} {self.host}:{self.port}>"

    def _make_ssl_context(self):
        cert_pem, key_pem = self._certificate()
        self.certificate_pem = cert_pem
        der = ssl.PEM_cert_to_DER_cert(cert_pem.decode("ascii"))
        digest = hashlib.sha256(der).digest()
        self.host_key_fingerprint = "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # load_cert_chain only reads files: hand it a private temporary copy.
        with tempfile.TemporaryDirectory() as directory:
            chain = os.path.join(directory, "chain.pem")
            with open(chain, "wb") as handle:
                handle.write(key_pem + cert_pem)
            context.load_cert_chain(chain)
        return context

    def _certificate(self):
        """The TLS certificate: from ``host_key`` (created there when missing) or new."""
        path = self.host_key_file
        if path and os.path.exists(path):
            with open(path, "rb") as handle:
                data = handle.read()
            cert = data[data.index(b"-----BEGIN CERTIFICATE-----") :]
            key = data[: data.index(b"-----BEGIN CERTIFICATE-----")]
            return cert, key
        cert, key = _self_signed_certificate(self.name)
        if path:
            with open(path, "wb") as handle:
                handle.write(key + cert)
        return cert, key

    # -- state, for tests and demos --------------------------------------------------
    def state(self):
        """Deep-copied JSON-able snapshot: {'platform', 'name', '/ppp/secret': [rows], ...}.

        Rows hold the values as the API prints them (strings, '.id' included).
        """
        with self.lock:
            data = {"platform": self.platform, "name": self.name}
            data.update(self.router.snapshot())
            return copy.deepcopy(data)

    def rows(self, path, **where):
        """Rows of ``path`` whose fields equal ``where`` (``remote_address`` for 'remote-address')."""
        wanted = {key.replace("_", "-"): value for key, value in where.items()}
        return [row for row in self.state()[path] if all(row.get(k) == v for k, v in wanted.items())]

    def add(self, path, **fields):
        """Configure the router directly, as an operator on the console would; returns the .id."""
        attrs = {key.replace("_", "-"): str(value) for key, value in fields.items()}
        with self.lock:
            row_id = self.router.add(path, attrs)
            self.changed()
            return row_id

    def dial_in(self, name, address="", caller_id=""):
        """The subscriber's PPPoE client connects: the /ppp/active row, or None when the
        router refuses it (no such secret, or the secret is disabled)."""
        with self.lock:
            row = self.router.dial_in(name, address, caller_id)
            self.changed()
            return dict(row) if row else None

    def reboot(self):
        with self.lock:
            self.router.reboot()
            self.changed()

    def restore(self, state, next_id=None):
        """Put the router back into a ``state()`` (tests replay one starting
        state many times): rows and ``.id`` counter; sessions keep their start."""
        with self.lock:
            router = self.router
            for menu in MENUS:
                router.tables[menu] = [dict(row) for row in state.get(menu, [])]
            ids = [
                int(row[".id"][1:], 16) for rows in router.tables.values() for row in rows if row[".id"] != "*FFFFFFFE"
            ]
            router._next_id = next_id if next_id is not None else max(ids, default=0) + 1
            self.changed()

    def changed(self):
        if self.state_file:
            write_state_file(self.state_file, self.state())

    def _load_state(self, path):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        for menu in MENUS:
            if menu in data:
                self.router.tables[menu] = data[menu]
        ids = [
            int(row[".id"][1:], 16) for rows in self.router.tables.values() for row in rows if row[".id"] != "*FFFFFFFE"
        ]
        self.router._next_id = max(ids, default=0) + 1
        # Sessions do not survive a simulator restart, as on a router reboot.
        self.router.tables["/ppp/active"] = []

    # -- connections -------------------------------------------------------------
    def _accept_loop(self):
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                self._clients.add(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, client):
        sock = client
        try:
            if self._ssl_context is not None:
                sock = self._ssl_context.wrap_socket(client, server_side=True)
                with self.lock:
                    self._clients.add(sock)
            session = {"user": None, "challenge": None, "count": 0}
            while self._running:
                words = read_sentence(sock)
                if not words:
                    continue
                replies = self._handle(session, words)
                if replies is None:  # a fault: close unanswered
                    return
                if session.pop("late", False):
                    # Interruptible, so stop() does not wait for a long injected delay.
                    self._stopped.wait(self.faults.late_delay)
                sock.sendall(b"".join(encode_sentence(reply) for reply in replies))
                if replies and replies[-1][0] == "!fatal":
                    return
        except (_Closed, OSError, ssl.SSLError):
            return
        finally:
            _close_quietly(sock)
            with self.lock:
                self._clients.discard(client)
                self._clients.discard(sock)

    def _handle(self, session, words):
        """The reply sentences to one received sentence; None to close unanswered."""
        command = words[0]
        tag = next((w[len(".tag=") :] for w in words[1:] if w.startswith(".tag=")), None)
        attrs, api_attrs, queries = {}, {}, []
        for word in words[1:]:
            if word.startswith("=."):
                key, _, value = word[1:].partition("=")
                api_attrs[key] = value
            elif word.startswith("="):
                key, _, value = word[1:].partition("=")
                attrs[key] = value
            elif word.startswith("?"):
                queries.append(word)
        if command == "/login":
            replies = self._login(session, attrs)
        elif session["user"] is None:
            replies = [["!trap", "=message=not logged in"], ["!done"]]
        else:
            replies = self._command(session, " ".join(words), command, attrs, api_attrs, queries)
            if replies is None:
                return None
        if tag is not None:
            replies = [[*reply, f".tag={tag}"] for reply in replies]
        return replies

    def _command(self, session, text, command, attrs, api_attrs, queries):
        faults = self.faults
        session["count"] += 1
        with self.lock:
            self.commands.append(text)
        if faults.drop_after_commands is not None and session["count"] > faults.drop_after_commands:
            return None
        if faults.fires("drop_pattern", text):
            return None
        delay = faults.delay()
        if faults.slow_pattern and re.search(faults.slow_pattern, text):
            delay += faults.slow_extra
        if delay > 0:
            # Interruptible, so stop() does not wait for a long injected delay.
            self._stopped.wait(delay)
        if faults.reject_pattern and re.search(faults.reject_pattern, text):
            message = faults.reject_text if faults.reject_text is not None else "failure: simulated fault"
            return [["!trap", f"=message={message}"], ["!done"]]
        drop_after = faults.fires("drop_after_pattern", text)
        session["late"] = not drop_after and faults.fires("late_pattern", text)
        with self.lock:
            replies = self._dispatch(command, attrs, api_attrs, queries)
            if command.rpartition("/")[2] != "print":
                self.changed()
        if drop_after:
            return None  # it ran; the answer never leaves
        return replies

    def _login(self, session, attrs):
        name = attrs.get("name")
        if name is None:
            # Pre-6.43 clients ask for a challenge first.
            session["challenge"] = os.urandom(16)
            return [["!done", f"=ret={session['challenge'].hex()}"]]
        password = self.users.get(name)
        if self.faults.login_delay > 0:
            self._stopped.wait(self.faults.login_delay)
        accepted = password is not None and not self.faults.reject_login
        if accepted and "response" in attrs:
            challenge = session.get("challenge") or b""
            digest = hashlib.md5(b"\x00" + password.encode() + challenge, usedforsecurity=False).hexdigest()
            accepted = attrs["response"] == "00" + digest
        elif accepted:
            accepted = attrs.get("password") == password
        with self.lock:
            self.logins["attempted"] += 1
            self.logins["succeeded" if accepted else "failed"] += 1
        if not accepted:
            return [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
        session["user"] = name
        return [["!done"]]

    def _dispatch(self, command, attrs, api_attrs, queries):
        if command == "/quit":
            return [["!fatal", "session terminated on request"]]
        if command == "/cancel":
            return [["!done"]]
        path, _, verb = command.rpartition("/")
        if path not in MENUS:
            return [["!trap", "=category=0", "=message=no such command prefix"], ["!done"]]
        router = self.router
        verbs = ("print", "add", "set", "remove") + (
            ("enable", "disable") if "disabled" in MENUS[path].defaults else ()
        )
        if verb not in verbs:
            return [["!trap", "=category=0", "=message=no such command"], ["!done"]]
        try:
            if verb == "print":
                return self._print(path, api_attrs, queries, attrs)
            if verb == "add":
                return [["!done", f"=ret={router.add(path, attrs)}"]]
            items = self._items(api_attrs, attrs)
            if verb == "set":
                router.set(path, items, attrs)
            elif verb == "remove":
                if attrs:
                    raise Trap("unknown parameter")
                router.remove(path, items)
            else:
                router.set(path, items, {"disabled": "true" if verb == "disable" else "false"})
        except Trap as trap:
            reply = ["!trap"]
            if trap.category is not None:
                reply.append(f"=category={trap.category}")
            return [[*reply, f"=message={trap.message}"], ["!done"]]
        return [["!done"]]

    @staticmethod
    def _items(api_attrs, attrs):
        value = api_attrs.pop(".id", None)
        if value is None:
            value = attrs.pop("numbers", None)
        if not value:
            raise Trap("no such item")
        return value.split(",")

    def _print(self, path, api_attrs, queries, attrs):
        proplist = api_attrs.get(".proplist")
        keys = proplist.split(",") if proplist else None
        rows = [row for row in self.router.rows(path) if _matches(row, queries)]
        if attrs.get("count-only") is not None:
            return [["!done", f"=ret={len(rows)}"]]
        replies = []
        for row in rows:
            shown = [".id", *row.keys()] if keys is None else keys
            words = ["!re"]
            for key in dict.fromkeys(shown):
                if key in row:
                    words.append(f"={key}={row[key]}")
            replies.append(words)
        return [*replies, ["!done"]]


def _close_quietly(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def start(
    platform="mikrotik",
    protocol="api",
    host="127.0.0.1",
    port=0,
    username="admin",
    password="admin",
    latency=0.0,
    host_key=None,
    state_file=None,
    options=None,
    name=None,
    **unused,
):
    """``simulator.start(platform="mikrotik", ...)`` lands here; returns a started simulator.

    OLT-only arguments (secret, onus, registered, seed) are accepted and ignored.
    ``options``: ``{"users": {name: password}, "rows": {"/ppp/profile": [{...}], ...}}``.
    """
    del platform, unused
    if protocol == "ssh":
        # simulator.start's default is the OLTs' protocol.
        protocol = "api"
    return RouterOsSimulator(
        username=username,
        password=password,
        protocol=protocol,
        host=host,
        port=port,
        latency=latency,
        host_key=host_key,
        state_file=state_file,
        options=options,
        name=name,
    ).start()
