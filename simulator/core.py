"""Core of the OLT simulator: device state, terminal I/O, faults, the CLI session loop.

A *dialect* (one module per platform: huawei.py, vsol.py, zte.py) plugs in by
subclassing two classes and registering the device class in
``simulator.PLATFORMS``:

``Device`` (one per simulated OLT, shared by all its connections)
    Class attributes to set:

    - ``platform``: the registry key (``"huawei"``).
    - ``session_class``: the dialect's ``CliSession`` subclass.
    - ``default_pons``: PON addresses as the platform writes them (``"0/1/0"``).
    - ``first_onu_id`` / ``max_onu_id``: the id range of one PON port.
    - ``vendor_mix``: vendor ids used for generated serials (``("HWTC",)``).

    Hooks to override:

    - ``setup(options)``: build platform state (profiles, ...) from the device
      options dict; called once before the ONUs are generated.
    - ``new_registered_onu(pon, onu_id, facts)``: the ONU-table entry for an ONU
      registered at start-up (``--registered R``); call ``super()`` and add fields.
    - ``platform_state()``: extra JSON-able keys merged into ``state()``.

    Helpers every dialect uses (call them with ``self.lock`` held; sessions do
    that for you around ``CliSession.handle``):

    - ``self.autofind`` (list of ONU facts dicts), ``take_autofind(serial)``.
    - ``self.onus`` ``{pon: {onu_id: onu_dict}}``, ``add_onu(pon, onu_id, facts, **fields)``,
      ``find_onu(pon, onu_id)``, ``find_serial(serial)``, ``free_onu_id(pon)``,
      ``remove_onu(pon, onu_id)`` (puts the ONU back into auto-find, as a real
      OLT re-discovers an ONU that is still plugged in).
    - ``self.service_ports`` ``{index: dict}``, ``self.saved`` (count of saves),
      ``self.extra`` (free dict for platform state, included in ``state()``).
    - ``changed()``: call after every state change (writes ``--state-file``).

``CliSession`` (one per connection, runs in the connection's thread)
    Class attributes: ``username_prompt``, ``password_prompt``,
    ``login_failed_text``, ``banner``, ``max_login_attempts``, ``pager_text``,
    ``pager_erase``, ``newline``.

    Methods to implement:

    - ``prompt()``: the current prompt string (mode dependent).
    - ``handle(line)``: answer one command line (already stripped of the line
      end; the echo has been written). Write with ``self.out(text)`` (paged,
      ``\\n`` becomes ``\\r\\n``) or ``self.write(text)`` (raw, unpaged). Return
      ``False`` to close the connection.
    - ``rejected(line)``: the text a command rejected by the ``reject_pattern``
      fault gets (the platform's own error words).
    - ``busy(line)``: the platform's "system busy" answer.
    - ``async_message()``: an asynchronous alarm/syslog block, or ``""``.
    - ``after_login()``: optional; banner text written after a successful login
      (may ask questions with ``self.ask``; raise ``DropConnection`` to hang up).
    - ``too_many_sessions()``: the refusal text when ``faults.max_sessions`` is hit.
    - ``locked_out()``: the refusal text of a login while the device locks
      logins out after ``faults.lockout_after_failures`` failures (Telnet; over
      SSH the password is simply refused).  The core's words are generic: a
      dialect gives the platform's own where a public source has them.

    Helpers: ``self.device``, ``self.term`` (``Terminal``), ``self.ask(text)``
    (write a question, read the answer line), ``self.scroll`` (page length in
    lines, ``0`` = no paging), ``self.out(text)``.

    ``handle`` runs with ``device.lock`` held (one command at a time per device,
    as state changes must be atomic); its output is paged after the lock is
    released, but a question (``ask``) inside it waits for the client while
    holding the lock, so keep questions inside ``handle`` short.

``CommandTable`` (optional helper): ``add(regex, "handler_name", modes)`` where
the regex's leading plain words are the command head; ``match(line, mode)``
returns ``(Command, re.Match)`` or ``(None, (kind, token_index))`` with kind
``unknown``/``parameter``/``incomplete``/``toomany`` so the dialect can print
its own error words (and a caret under ``token_offset(line, token_index)``).

Faults (``Faults``, mutable at runtime through ``sim.faults``) are applied by
the session loop around ``handle``, so dialects get them for free:
``drop_pattern``/``drop_after_commands`` close the connection before the line
runs, ``drop_after_pattern`` after it ran (state changed, no answer),
``late_pattern`` runs it at once and writes its answer ``late_delay`` seconds
later, ``reject_pattern`` answers with ``rejected(line)``, ``busy_*`` with
``busy(line)``, ``latency`` (+ ``jitter``)/``slow_*`` delay the answer,
``async_every`` puts ``async_message()`` inside the output, ``max_sessions``
refuses a login with ``too_many_sessions()`` and ``lockout_after_failures``
with ``locked_out()`` (dialects override both with the platform's words).

Output written by ``handle`` (``out``/``write``) is held back and written once
the device lock is released: a client that leaves a pager unanswered, or a
late answer, never blocks the other sessions of the device.  ``ask`` inside
``handle`` writes what is held back first (a question waits with the lock).

Line handling (``Terminal``): input lines end with CR, LF, CRLF or CR NUL;
backspace edits; NUL bytes (Netmiko's keep-alive) are ignored; the line is
echoed when complete (passwords are not); ``\n`` in output becomes ``\r\n``.
"""

from __future__ import annotations

import codecs
import contextlib
import copy
import json
import os
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field, fields

CTRL_C = "\x03"


@dataclass
class Faults:
    """Runtime fault injection; every attribute may be changed while sessions run.

    Patterns are Python regexes searched (``re.search``) in the command line.

    The pattern faults ``drop_after_pattern`` and ``late_pattern`` (and
    ``drop_pattern`` when armed with :meth:`inject`) fire ``fault_count`` times,
    after letting ``fault_skip`` matching lines through, then clear themselves
    (the pattern goes back to ``None``, the counters to their defaults): a
    driver that logs in again after the fault finds a healthy device.  A
    ``drop_pattern`` assigned directly keeps firing on every match.
    """

    #: per connection: after this many command lines the next one is not answered,
    #: the connection is closed instead (session-preparation lines count too).
    drop_after_commands: int | None = None
    #: a command line matching this closes the connection without running it.
    drop_pattern: str | None = None
    #: drop_pattern fires ``fault_count`` times and clears (set by ``inject``).
    drop_counted: bool = False
    #: a matching command runs (the state changes), then the connection closes unanswered.
    drop_after_pattern: str | None = None
    #: a matching command runs at once; its answer (output and prompt) is written
    #: ``late_delay`` seconds later.
    late_pattern: str | None = None
    late_delay: float = 0.0
    #: how many times a pattern fault fires before it clears.
    fault_count: int = 1
    #: matching lines let through before a pattern fault fires (to hit the n-th
    #: occurrence of a command that repeats).
    fault_skip: int = 0
    #: a matching command is answered with the platform's error text, state unchanged.
    reject_pattern: str | None = None
    #: reject_pattern fires ``fault_count`` times and clears (set by ``inject``):
    #: a command refused once, accepted when an undo sends it again.
    reject_counted: bool = False
    #: override the error text of reject_pattern (default: the dialect's own words).
    reject_text: str | None = None
    #: a matching command is answered "system busy" busy_count times, then runs normally.
    busy_pattern: str | None = None
    busy_count: int = 0
    #: seconds of delay before every command line is answered ...
    latency: float = 0.0
    #: ... give or take up to this many seconds (uniform), from a seeded RNG so
    #: a run can be repeated exactly (``jitter_seed``).
    jitter: float = 0.0
    jitter_seed: int = 0
    #: extra delay (seconds) for command lines matching slow_pattern.
    slow_pattern: str | None = None
    slow_extra: float = 0.0
    #: every Nth answered command gets an asynchronous alarm/syslog block in the
    #: middle of its output (or after it when the output is a single line).
    async_every: int = 0
    #: more simultaneous sessions than this are refused at login with the
    #: platform's "too many users" words (None: unlimited).
    max_sessions: int | None = None
    #: after this many failed logins in a row every login is refused, even with
    #: the right password, for ``lockout_seconds`` (None: never).
    lockout_after_failures: int | None = None
    lockout_seconds: float = 900.0
    #: refuse every login, even with the right password.
    reject_login: bool = False
    #: seconds every login takes before it is answered (the device's own
    #: authentication: AAA, a slow CPU), for benches of login-bound runs.
    login_delay: float = 0.0

    def __post_init__(self):
        self._rng = random.Random(self.jitter_seed)
        self._rng_seed = self.jitter_seed
        self._lock = threading.Lock()

    def as_dict(self):
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def reset(self, keep_latency=True):
        """Clear every fault (the per-command latency and jitter stay unless told otherwise)."""
        latency, jitter, seed = self.latency, self.jitter, self.jitter_seed
        self.__init__()
        if keep_latency:
            self.latency, self.jitter, self.jitter_seed = latency, jitter, seed
            self._rng = random.Random(seed)
            self._rng_seed = seed

    def inject(self, kind, pattern, count=1, skip=0, delay=None):
        """Arm one pattern fault: ``kind`` is ``drop`` (before the command runs),
        ``drop_after`` (after it ran), ``late`` (answer ``delay`` s late) or
        ``reject`` (refused with the platform's error words, state unchanged)."""
        if kind not in ("drop", "drop_after", "late", "reject"):
            raise ValueError(f"kind must be drop, drop_after, late or reject, not {kind!r}")
        with self._lock:
            self.fault_count, self.fault_skip = int(count), int(skip)
            if kind == "reject":
                self.reject_pattern, self.reject_counted = pattern, True
            elif kind == "drop":
                self.drop_pattern, self.drop_counted = pattern, True
            elif kind == "drop_after":
                self.drop_after_pattern = pattern
            else:
                self.late_pattern = pattern
                if delay is not None:
                    self.late_delay = float(delay)

    def fires(self, name, line):
        """Whether the pattern fault ``name`` (an attribute) fires on ``line``;
        counts it down and clears it when spent."""
        pattern = getattr(self, name)
        if not pattern or not re.search(pattern, line):
            return False
        if name == "drop_pattern" and not self.drop_counted:
            return True
        if name == "reject_pattern" and not self.reject_counted:
            return True
        with self._lock:
            if getattr(self, name) != pattern:
                return False  # cleared by another session meanwhile
            if self.fault_skip > 0:
                self.fault_skip -= 1
                return False
            self.fault_count -= 1
            if self.fault_count <= 0:
                setattr(self, name, None)
                if name == "drop_pattern":
                    self.drop_counted = False
                if name == "reject_pattern":
                    self.reject_counted = False
                self.fault_count, self.fault_skip = 1, 0
            return True

    def delay(self):
        """This command's latency: ``latency`` +- ``jitter``, never below 0."""
        if not self.jitter:
            return self.latency
        with self._lock:
            if self._rng_seed != self.jitter_seed:
                self._rng, self._rng_seed = random.Random(self.jitter_seed), self.jitter_seed
            offset = self._rng.uniform(-self.jitter, self.jitter)
        return max(0.0, self.latency + offset)


def write_state_file(path, state):
    """Replace the JSON dump at ``path`` whole: a reader never sees half a file."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)


def ssh_fingerprint(key_blob: bytes) -> str:
    """OpenSSH's ``SHA256:...`` fingerprint of a public key blob."""
    import base64
    import hashlib

    digest = hashlib.sha256(key_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


# ---------------------------------------------------------------------------
# ONU facts
# ---------------------------------------------------------------------------

MODELS = {
    "HWTC": [
        ("EG8145V5", "V5R020C10S115", "10D0.A"),
        ("HG8546M", "V3R017C10S120", "4A5.A"),
        ("EG8010Hv6", "V5R020C10S035", "260F.A"),
        ("HG8245H", "V3R015C10S106", "4A1.A"),
    ],
    "ZTEG": [("F660", "V6.0.10P2N2", "V6.0"), ("F670L", "V1.1.20P1N3", "V1.0")],
    "GPON": [("V2802RH", "V2.1.07", "V1.0"), ("V2801S", "V1.0.5", "V1.0"), ("V2804AX30", "V3.0.2", "V3.0")],
    "ALCL": [("G-140W-C", "3FE49362IJHK46", "3FE47150DEAA")],
}


def onu_facts(rng: random.Random, vendor: str, number: int) -> dict:
    """Plausible, deterministic facts of one ONU waiting in auto-find."""
    model, software, version = rng.choice(MODELS.get(vendor, MODELS["HWTC"]))
    suffix = f"{rng.getrandbits(32):08X}"
    mac = "{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}".format(*tuple(rng.getrandbits(8) for _ in range(6)))
    return {
        "serial": vendor + suffix,
        "serial_hex": vendor.encode().hex().upper() + suffix,
        "vendor_id": vendor,
        "model": model,
        "software_version": software,
        "version": version,
        "mac": mac,
        "equipment_sn": f"2150{rng.randrange(10**6):06d}LDN{number:07d}",
        "password": "",
        "loid": "",
        "found_at": f"2026-11-{1 + number % 28:02d} {number % 24:02d}:{number % 60:02d}:{(7 * number) % 60:02d}",
        "rx_power": round(rng.uniform(-26.5, -14.0), 2),
    }


# ---------------------------------------------------------------------------
# Device
# ---------------------------------------------------------------------------


class Device:
    """One simulated OLT: state, credentials, faults, records. Thread-safe via ``lock``."""

    platform = ""
    session_class: type = None  # set by the dialect
    default_pons: tuple = ()
    first_onu_id = 0
    max_onu_id = 127
    vendor_mix: tuple = ("HWTC",)

    def __init__(
        self,
        *,
        username="admin",
        password="admin",
        secret="",
        onus=0,
        registered=0,
        latency=0.0,
        seed=None,
        state_file=None,
        options=None,
        name=None,
    ):
        self.username = username
        self.password = password
        self.secret = secret
        self.name = name or self.platform
        self.options = dict(options or {})
        self.lock = threading.RLock()
        self.faults = Faults(latency=float(latency or 0.0))
        self.commands: list[str] = []
        self.logins = {"attempted": 0, "succeeded": 0, "failed": 0}
        self.sessions = 0  # logged-in sessions right now
        self._failures = 0  # failed logins in a row (lockout_after_failures)
        self._locked_until = 0.0
        self.max_concurrent = 0  # most sessions ever open at once
        self.state_file = state_file
        self.rng = random.Random(seed if seed is not None else f"{self.platform}:{self.name}")
        self.pons = list(self.options.get("pons") or self.default_pons)
        self.autofind: list[dict] = []
        self.onus: dict[str, dict[int, dict]] = {pon: {} for pon in self.pons}
        self.service_ports: dict[int, dict] = {}
        self.saved = 0
        self.extra: dict = {}
        self._serial_count = 0
        self.setup(self.options)
        if state_file and os.path.exists(state_file) and os.path.getsize(state_file):
            self.load_state(state_file)
        else:
            for _ in range(int(registered or 0)):
                self._register_generated()
            for _ in range(int(onus or 0)):
                self.add_autofind()
        self.changed()

    # -- hooks -------------------------------------------------------------
    def setup(self, options):
        """Build platform state from the options; dialects override."""

    def new_registered_onu(self, pon, onu_id, facts):
        """ONU-table entry for an ONU registered at start-up; dialects extend."""
        return self.add_onu(pon, onu_id, facts)

    def platform_state(self):
        return {}

    # -- generation -----------------------------------------------------------
    def next_facts(self, vendor=None):
        self._serial_count += 1
        vendor = vendor or self.vendor_mix[(self._serial_count - 1) % len(self.vendor_mix)]
        facts = onu_facts(self.rng, vendor, self._serial_count)
        while self.find_serial(facts["serial"]) or any(a["serial"] == facts["serial"] for a in self.autofind):
            facts = onu_facts(self.rng, vendor, self._serial_count)
        return facts

    def add_autofind(self, pon=None, **facts):
        """Put one ONU into auto-find (generated facts, overridable); returns its facts."""
        with self.lock:
            generated = self.next_facts(facts.get("vendor_id"))
            if "serial" in facts and "serial_hex" not in facts:
                serial = facts["serial"].upper()
                facts["serial_hex"] = serial[:4].encode().hex().upper() + serial[4:]
                facts.setdefault("vendor_id", serial[:4])
            generated.update(facts)
            generated["pon"] = pon or self.pons[(self._serial_count - 1) % len(self.pons)]
            self.autofind.append(generated)
            self.changed()
            return dict(generated)

    def _register_generated(self):
        facts = self.next_facts()
        pon = min(self.pons, key=lambda p: len(self.onus[p]))
        onu_id = self.free_onu_id(pon)
        if onu_id is None:
            raise ValueError("more registered ONUs than the PON ports hold")
        facts["pon"] = pon
        self.new_registered_onu(pon, onu_id, facts)

    # -- ONU table ----------------------------------------------------------------
    def take_autofind(self, serial, pon=None):
        """Remove an ONU from auto-find by serial (12-char or 16-hex); its facts or None."""
        serial = serial.upper()
        for i, entry in enumerate(self.autofind):
            if serial in (entry["serial"], entry["serial_hex"]) and (pon is None or entry["pon"] == pon):
                return self.autofind.pop(i)
        return None

    def add_onu(self, pon, onu_id, facts, **fields):
        onu = {
            "id": onu_id,
            "pon": pon,
            "serial": facts["serial"],
            "serial_hex": facts.get("serial_hex", ""),
            "vendor_id": facts.get("vendor_id", facts["serial"][:4]),
            "model": facts.get("model", ""),
            "software_version": facts.get("software_version", ""),
            "version": facts.get("version", ""),
            "mac": facts.get("mac", ""),
            "admin_state": "active",
            "run_state": "offline" if facts.get("offline") else "online",
            "rx_power": facts.get("rx_power", -18.5),
            "description": "",
            "line_profile": None,
            "service_profile": None,
            "wan": [],
            "wifi": {},
            "native_vlan": {},
            "facts": {k: v for k, v in facts.items() if k != "pon"},
        }
        onu.update(fields)
        self.onus.setdefault(pon, {})[onu_id] = onu
        return onu

    def find_onu(self, pon, onu_id):
        return self.onus.get(pon, {}).get(onu_id)

    def find_serial(self, serial):
        serial = serial.upper()
        for table in self.onus.values():
            for onu in table.values():
                if serial in (onu["serial"], onu.get("serial_hex")):
                    return onu
        return None

    def free_onu_id(self, pon):
        used = self.onus.get(pon, {})
        for onu_id in range(self.first_onu_id, self.max_onu_id + 1):
            if onu_id not in used:
                return onu_id
        return None

    def remove_onu(self, pon, onu_id, rediscover=True):
        onu = self.onus.get(pon, {}).pop(onu_id, None)
        # an ONU registered by serial but never plugged in is not found again
        if onu and rediscover and not onu["facts"].get("offline"):
            facts = dict(onu["facts"])
            # found again where its fibre is (another port once re-plugged)
            facts["pon"] = facts.pop("plugged_into", None) or pon
            self.autofind.append(facts)
        return onu

    # -- the network changing under the OLT ------------------------------------
    # What polls see change between two reads: a feeder fibre cut takes a whole
    # PON port down, ONUs lose power, optical levels wander.  ``down_cause`` is
    # why an offline ONU is down ('los', 'dying_gasp', 'power_off'); each dialect
    # prints it in its own words.
    def set_onu_down(self, onu, cause="los"):
        onu["run_state"], onu["down_cause"] = "offline", cause

    def set_onu_up(self, onu):
        onu["run_state"] = "online"

    #: seconds a rebooted ONU stays offline before it registers again
    #: (``options['reboot_seconds']``; real ONUs take a minute or two)
    reboot_seconds = 1.0

    def reboot_onu(self, onu):
        """The ONU restarts: offline now (its dying gasp as the cause), online
        again ``reboot_seconds`` later, as seen by any command after that."""
        self.set_onu_down(onu, "dying_gasp")
        onu["back_at"] = time.time() + float(self.options.get("reboot_seconds", self.reboot_seconds))
        onu["reboots"] = int(onu.get("reboots", 0)) + 1
        self.changed()

    def settle_reboots(self):
        """Rebooted ONUs whose time is up are online again (called before each command)."""
        now = time.time()
        for table in self.onus.values():
            for onu in table.values():
                if onu.get("back_at") and onu["back_at"] <= now:
                    del onu["back_at"]
                    if onu.get("admin_state", "active") in ("active", "enable", "enabled"):
                        self.set_onu_up(onu)

    def replug_onu(self, serial, pon):
        """A technician moves a registered ONU's fibre to ``pon``: its registration
        loses light (LOS); once removed it waits in auto-find on ``pon``."""
        with self.lock:
            onu = self.find_serial(serial)
            if onu is None:
                raise KeyError(serial)
            onu["facts"]["plugged_into"] = pon
            self.set_onu_down(onu, "los")
            self.changed()

    def take_pon_down(self, pon, cause="los"):
        """Every ONU of ``pon`` goes down at once (a cut feeder fibre: LOS)."""
        with self.lock:
            for onu in self.onus.get(pon, {}).values():
                self.set_onu_down(onu, cause)
            self.changed()

    def bring_pon_up(self, pon):
        with self.lock:
            for onu in self.onus.get(pon, {}).values():
                self.set_onu_up(onu)
            self.changed()

    def drift_optics(self, step=0.3, low=-30.0, high=-8.0):
        """Every ONU's received level moves by up to ``step`` dB (seeded), within [low, high]."""
        with self.lock:
            for table in self.onus.values():
                for onu in table.values():
                    level = float(onu.get("rx_power") or -20.0) + self.rng.uniform(-step, step)
                    onu["rx_power"] = round(min(high, max(low, level)), 2)
            self.changed()

    # -- records --------------------------------------------------------------
    def record_command(self, line):
        with self.lock:
            self.commands.append(line)

    def check_login(self, username, password):
        """Whether the credentials log in; a locked-out device refuses them all."""
        if self.faults.login_delay > 0:
            time.sleep(self.faults.login_delay)
        with self.lock:
            self.logins["attempted"] += 1
            if self.locked_out():
                self.logins["failed"] += 1
                self.logins["locked"] = self.logins.get("locked", 0) + 1
                return False
            ok = not self.faults.reject_login and username == self.username and password == self.password
            self.logins["succeeded" if ok else "failed"] += 1
            self._failures = 0 if ok else self._failures + 1
            limit = self.faults.lockout_after_failures
            if not ok and limit is not None and self._failures >= limit:
                self._locked_until = time.monotonic() + self.faults.lockout_seconds
            return ok

    def locked_out(self):
        """Whether logins are refused now after too many failures in a row."""
        with self.lock:
            if self.faults.lockout_after_failures is None:
                self._locked_until = 0.0
            if self._locked_until and time.monotonic() >= self._locked_until:
                self._locked_until, self._failures = 0.0, 0
            return bool(self._locked_until)

    def enter_session(self):
        """Count a logged-in session; False when ``faults.max_sessions`` is reached."""
        with self.lock:
            limit = self.faults.max_sessions
            if limit is not None and self.sessions >= limit:
                return False
            self.sessions += 1
            self.max_concurrent = max(self.max_concurrent, self.sessions)
            return True

    def leave_session(self):
        with self.lock:
            self.sessions -= 1

    # -- state ------------------------------------------------------------------
    def state(self):
        """Deep-copied JSON-able snapshot of everything the device holds."""
        with self.lock:
            data = {
                "platform": self.platform,
                "name": self.name,
                "autofind": [dict(a) for a in self.autofind],
                "onus": {pon: [table[i] for i in sorted(table)] for pon, table in self.onus.items()},
                "service_ports": [self.service_ports[i] for i in sorted(self.service_ports, key=str)],
                "saved": self.saved,
                "extra": self.extra,
            }
            data.update(self.platform_state())
            return copy.deepcopy(data)

    def changed(self):
        if self.state_file:
            write_state_file(self.state_file, self.state())

    def load_state(self, path):
        with open(path, encoding="utf-8") as handle:
            self.restore(json.load(handle))

    def restore(self, data):
        """Put the device back into a state taken with ``state()`` (tests replay
        one starting state many times); sessions and faults are untouched."""
        data = copy.deepcopy(data)
        with self.lock:
            self._restore(data)
            self.changed()

    def _restore(self, data):
        self.autofind = data.get("autofind", [])
        self.onus = {pon: {onu["id"]: onu for onu in onus} for pon, onus in data.get("onus", {}).items()}
        for pon in self.pons:
            self.onus.setdefault(pon, {})
        self.service_ports = {sp.get("key", sp["index"]): sp for sp in data.get("service_ports", [])}
        self.saved = data.get("saved", 0)
        self.extra = data.get("extra", {})
        self._serial_count = len(self.autofind) + sum(len(t) for t in self.onus.values())
        self.load_platform_state(data)

    def load_platform_state(self, data):
        """Restore what ``platform_state`` wrote; dialects override."""


# ---------------------------------------------------------------------------
# Terminal I/O
# ---------------------------------------------------------------------------


class ConnectionClosed(Exception):
    pass


class Terminal:
    """Line discipline over a byte stream: echo, CR/LF/CRLF/CR-NUL, backspace.

    ``stream`` has ``recv(n) -> bytes`` (``b""`` at EOF), ``send(bytes)``, ``close()``.
    """

    def __init__(self, stream):
        self.stream = stream
        # incremental: a multi-byte character may be split across two reads
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.buffer = ""
        self.skip_lf = False
        self.closed = False

    # Not an Odoo model: pylint-odoo's check for overrides does not apply.
    def write(self, text):  # pylint: disable=method-required-super
        if self.closed:
            raise ConnectionClosed()
        data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8", "replace")
        try:
            self.stream.send(data)
        except OSError as exc:
            self.closed = True
            raise ConnectionClosed() from exc

    def _fill(self):
        try:
            data = self.stream.recv(4096)
        except (OSError, EOFError):
            data = b""
        if not data:
            self.closed = True
            raise ConnectionClosed()
        self.buffer += self.decoder.decode(data)

    def _next_char(self):
        while True:
            if not self.buffer:
                self._fill()
            char, self.buffer = self.buffer[0], self.buffer[1:]
            if self.skip_lf and char in "\n\x00":
                self.skip_lf = False
                continue
            self.skip_lf = char == "\r"
            return char

    def read_line(self, echo=True):
        """One input line without its terminator; echoes it (and the line end) when asked."""
        chars = []
        while True:
            char = self._next_char()
            if char in "\r\n":
                line = "".join(chars)
                if echo:
                    self.write(line + "\n")
                else:
                    self.write("\n")
                return line
            if char in "\x08\x7f":
                if chars:
                    chars.pop()
                continue
            if char == CTRL_C:
                chars = []
                continue
            if char < " " and char != "\t":
                continue  # NUL keep-alives (Netmiko's is_alive) and stray controls
            chars.append(char)

    def read_key(self):
        """One key press (pager answers), no echo; a line end reads as ``"\\n"``."""
        char = self._next_char()
        while char == "\x00":
            char = self._next_char()
        return "\n" if char == "\r" else char

    def hung_up(self):
        """Whether the client has gone (checked without reading its input)."""
        if self.closed:
            return True
        check = getattr(self.stream, "hung_up", None)
        return bool(check and check())

    def close(self):
        self.closed = True
        with contextlib.suppress(OSError, EOFError):  # the peer is already gone
            self.stream.close()


# ---------------------------------------------------------------------------
# CLI session
# ---------------------------------------------------------------------------


class DropConnection(Exception):
    """Raised to end a session by closing the connection (fault or logout)."""


class CliSession:
    """One connection's CLI loop; dialects subclass it (see the module docstring)."""

    username_prompt = "Username:"
    password_prompt = "Password:"
    login_failed_text = "\nLogin failed.\n"
    banner = ""
    max_login_attempts = 3
    pager_text = "--More--"
    pager_erase = "\r        \r"
    #: initial page length in lines (0: no paging until the client asks)
    default_scroll = 0

    def __init__(self, device: Device, term: Terminal, protocol: str, peer: str = "127.0.0.1"):
        self.device = device
        self.term = term
        self.protocol = protocol
        self.peer = peer
        self.scroll = self.default_scroll
        self.command_count = 0
        self.answered = 0
        self._async = ""
        #: output of the running ``handle``, written once the device lock is released
        self._held = None

    # -- dialect hooks --------------------------------------------------------
    def prompt(self):
        raise NotImplementedError

    def handle(self, line):
        raise NotImplementedError

    def rejected(self, line):
        return "Error: command rejected\n"

    def busy(self, line):
        return "Error: system busy\n"

    def async_message(self):
        return ""

    def after_login(self):
        return ""

    def too_many_sessions(self):
        """Text shown when ``faults.max_sessions`` is exceeded; the connection then closes."""
        return "Too many users.\n"

    def locked_out(self):
        """Text shown to a Telnet login refused during a lockout
        (``faults.lockout_after_failures``); the connection then closes."""
        return "\nLogin refused: too many failed logins, try again later.\n"

    # -- output ---------------------------------------------------------------
    # Not an Odoo model: pylint-odoo's check for overrides does not apply.
    def write(self, text):  # pylint: disable=method-required-super
        if self._held is not None:
            self._held.append((False, text))
            return
        self.term.write(text)

    def out(self, text):
        """Write output, paging it by ``self.scroll`` lines with the platform's pager."""
        if self._held is not None:
            self._held.append((True, text))
            return
        self._page(text)

    def _flush(self, held):
        for paged, text in held:
            if paged:
                self._page(text)
            else:
                self.term.write(text)

    def _release(self):
        held, self._held = self._held or [], None
        return held

    def _page(self, text):
        if self._async and text.count("\n") > 2:
            # an asynchronous alarm/syslog message lands in the middle of the output
            lines = text.split("\n")
            middle = len(lines) // 2
            text = "\n".join(lines[:middle]) + "\n" + self._async.strip("\n") + "\n" + "\n".join(lines[middle:])
            self._async = ""
        if not self.scroll:
            self.term.write(text)
            return
        lines = text.split("\n")
        trailing = lines and lines[-1] == ""
        if trailing:
            lines.pop()
        shown = 0
        page_end = self.scroll
        while shown < len(lines):
            chunk = lines[shown:page_end]
            shown += len(chunk)
            last = shown >= len(lines)
            self.term.write("\n".join(chunk) + ("\n" if (not last or trailing) else ""))
            if last:
                break
            self.term.write(self.pager_text)
            key = self.term.read_key()
            self.term.write(self.pager_erase)
            if key in "qQ" + CTRL_C:
                self.term.write("\n")
                return
            page_end = shown + (1 if key == "\n" else self.scroll)

    def ask(self, question, echo=True):
        if self._held:
            # What the command wrote so far comes before its question.
            held, self._held = self._held, []
            self._flush(held)
        self.term.write(question)
        return self.term.read_line(echo=echo)

    def linger(self, seconds=0.2):
        """A moment before hanging up after a refusal, so the client reads the
        words (closing at once can reset the connection before they arrive)."""
        with contextlib.suppress(ConnectionClosed):
            self.pause(seconds)

    def pause(self, seconds):
        """Sleep ``seconds``, but notice a client that hangs up meanwhile: its
        session is released at once, as a device does."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self.term.hung_up():
                raise ConnectionClosed()
            time.sleep(min(left, 0.02))

    # -- session loop -------------------------------------------------------
    def login(self):
        """Telnet login dialogue; SSH logins are checked by the SSH server."""
        if self.banner:
            self.write(self.banner)
        for _ in range(self.max_login_attempts):
            user = self.ask(self.username_prompt)
            if user.strip() == "":
                continue
            password = self.ask(self.password_prompt, echo=False)
            if self.device.check_login(user.strip(), password):
                return True
            if self.device.locked_out():
                self.write(self.locked_out())
                self.linger()
                return False
            self.write(self.login_failed_text)
        return False

    def run(self, needs_login):
        registered = False
        try:
            if needs_login and not self.login():
                return
            registered = self.device.enter_session()
            if not registered:
                self.write(self.too_many_sessions())
                self.linger()
                return
            self.write(self.after_login())
            while True:
                self.write(self.prompt())
                line = self.term.read_line()
                if not self.process(line):
                    break
        except (ConnectionClosed, DropConnection):
            return  # the client hung up, or a fault dropped it
        finally:
            if registered:
                self.device.leave_session()
            self.term.close()

    def process(self, line):
        """Faults, latency and dispatch for one command line; False ends the session."""
        line = line.strip()
        if not line:
            return True
        device, faults = self.device, self.device.faults
        self.command_count += 1
        device.record_command(line)
        if faults.drop_after_commands is not None and self.command_count > faults.drop_after_commands:
            return False
        if faults.fires("drop_pattern", line):
            return False
        delay = faults.delay()
        if faults.slow_pattern and re.search(faults.slow_pattern, line):
            delay += faults.slow_extra
        if delay > 0:
            self.pause(delay)
        self.answered += 1
        if faults.async_every and self.answered % faults.async_every == 0:
            self._async = self.async_message()
        if faults.fires("reject_pattern", line):
            self.write(faults.reject_text if faults.reject_text is not None else self.rejected(line))
            return True
        if faults.busy_pattern and faults.busy_count > 0 and re.search(faults.busy_pattern, line):
            with device.lock:
                faults.busy_count -= 1
            self.write(self.busy(line))
            return True
        drop_after = faults.fires("drop_after_pattern", line)
        late = not drop_after and faults.fires("late_pattern", line)
        with device.lock:
            self._held = []
            device.settle_reboots()
            try:
                result = self.handle(line)
            except DropConnection:
                held = self._release()
                if not drop_after:
                    self._flush(held)  # a logout's last words
                raise
            held = self._release()
        if drop_after:
            return False  # it ran; the answer never leaves
        if late:
            self.pause(faults.late_delay)
        self._flush(held)
        if self._async:
            self.write(self._async)
            self._async = ""
        return result is not False


# ---------------------------------------------------------------------------
# Command tables
# ---------------------------------------------------------------------------


@dataclass
class Command:
    """One accepted command: literal head words, full regex, handler, modes."""

    head: tuple
    pattern: re.Pattern
    prefix: re.Pattern
    handler: str
    modes: tuple
    min_tokens: int = 1
    doc: str = ""


@dataclass
class CommandTable:
    """Regex dispatch table; keeps the literal heads to locate syntax errors like a CLI."""

    commands: list = field(default_factory=list)

    def add(self, syntax, handler, modes, doc=""):
        """``syntax``: regex over the whitespace-normalised line; its leading plain words are the head."""
        head = []
        for word in syntax.split(" "):
            literal = re.match(r"[A-Za-z][\w-]*", word)
            if not literal:
                break
            head.append(literal.group(0))
            if literal.end() != len(word):  # "scroll(?: ...": the keyword, then regex
                break
        # the least number of words any line of this command has (optional groups removed)
        required = re.sub(r"\((?:[^()]|\([^()]*\))*\)\?", "", syntax)
        self.commands.append(
            Command(
                tuple(head),
                re.compile(syntax + r"\Z"),
                re.compile(syntax + r"(?= )"),
                handler,
                tuple(modes),
                len(required.split()),
                doc,
            )
        )

    def match(self, line, mode):
        """(command, match) for the first command valid in ``mode``; or (None, error) where
        error is ``("unknown"|"parameter"|"incomplete"|"toomany", token_index)``."""
        candidates = [c for c in self.commands if mode in c.modes]
        tokens = self.expand(line.split(), candidates)
        normal = " ".join(tokens)
        best = -1
        for command in candidates:
            found = command.pattern.match(normal)
            if found:
                return command, found
        for command in candidates:
            found = command.prefix.match(normal)
            if found:
                return None, ("toomany", len(found.group(0).split(" ")))
        for command in candidates:
            matched = 0
            for word, token in zip(command.head, tokens, strict=False):
                if word != token:
                    break
                matched += 1
            best = max(best, matched if matched else -1)
        if best < 0:
            return None, ("unknown", 0)
        known_heads = [c.head for c in self.commands if mode in c.modes]
        if any(tokens[: len(h)] == list(h) for h in known_heads if h):
            index = max(len(h) for h in known_heads if h and tokens[: len(h)] == list(h))
            shortest = min(c.min_tokens for c in candidates if c.head and tokens[: len(c.head)] == list(c.head))
            if index >= len(tokens) or len(tokens) < shortest:
                return None, ("incomplete", len(tokens))
            return None, ("parameter", index)
        return None, ("unknown", best)

    @staticmethod
    def expand(tokens, candidates):
        """Abbreviated keywords completed as the CLIs do (``dis ont autofind all``): a token
        that is not a keyword itself but the prefix of exactly one keyword that may
        follow the words before it."""
        expanded = []
        for i, token in enumerate(tokens):
            same_start = [c for c in candidates if list(c.head[:i]) == expanded[:i]]
            words = {c.head[i] for c in same_start if len(c.head) > i}
            # a command going on with a regex here (``ont (?P<action>activate|deactivate)``)
            # could be what the short word means: never guess then
            open_ended = any(len(c.head) == i for c in same_start)
            if token not in words and not open_ended:
                matches = [w for w in words if w.startswith(token)]
                if len(matches) == 1:
                    token = matches[0]
            expanded.append(token)
        return expanded


def token_offset(line, index):
    """Character offset of token ``index`` in the normalised ``line`` (end of line if past it)."""
    tokens = " ".join(line.split()).split(" ")
    return len(" ".join(tokens[:index])) + (1 if 0 < index < len(tokens) else 0) if index else 0


def server_socket(host="127.0.0.1", port=0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    return sock
