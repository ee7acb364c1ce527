"""ZTE ZXA10 C300/C320 (``zte``) and C600/C650 (``zte_c600``) GPON OLTs.

Both speak ZXROS over SSH or Telnet through Netmiko's ``zte_zxros`` classes,
which log in and send ``terminal length 0``; this module never sends
``terminal width`` (C320 rejects it) nor ``commit`` (C300 V2.1 rejects it),
and treats ``%Info 20272`` (the answer to ``configure terminal``) as the
information it is.  The two models share everything but these, which
ZteC600Driver changes:

- interface names: C300 ``gpon-olt_1/1/1`` / ``gpon-onu_1/1/1:N``; C600
  ``gpon_olt-1/1/1`` / ``gpon_onu-1/1/1:N`` plus ``vport-1/1/1.N:1``;
- discovery: C300 ``show gpon onu uncfg``; C600 (and C300 firmware V2.1 and
  later, ``Target.options['firmware']``) ``show pon onu uncfg``.  An OLT that
  refuses the first command, or answers it in a layout no parser knows, is
  asked the other one;
- service-port placement: inside ``interface gpon-onu_...`` with its vport on
  the C300, inside ``interface vport-...`` on the C600;
- reading an ONU's configuration: ``show running-config interface ONU`` on the
  C300; ``show running-config-interface ONU`` (and ``... VPORT``) on the C600,
  the form a C600's own command list shows (``options['running_config']``
  names another).  The ``pon-onu-mng`` part is read with ``show onu running
  config ONU`` on both.  Lines the OLT wraps at 80 columns are joined again.

Every table is read by its header (drivers.parsing.read_table), so the four
``uncfg`` layouts in the field (``OnuIndex Sn State``, ``OltIndex Model SN
PW``, ``OltIndex Model MAC SN``, ``OnuIndex OnuType OnuSn State``), the three
``show gpon onu state`` layouts and padded history rows all read; a line that
looks like data and cannot be read is a ParseError naming the command, the
firmware and the line.  The firmware is read once per session (``show
system-group``, as the NOC Project reads it on ZXA10; ``options['version_command']``
names another) and kept in ``driver.firmware``; ``options['firmware']`` names it
instead, for an OLT that refuses the read.

Convergence.  Every operation reads what the device holds for the ONU (its
registration, tconts, gemports, switchport, service ports, pon-onu-mng
services, UNI VLANs, WAN, WiFi, admin state) into one view, states the view it
wants, and sends the difference (``_diff``: one place, both directions), so a
re-run after an interruption at any point ends as an uninterrupted run, and
an undo never removes what was there before the call.  ONU ids are never
chosen locally: the lowest id free on the port is read in the same session,
and an ONU whose serial is registered keeps its id.

Suspend/resume.  ``onu N state disable|enable`` under the gpon-olt interface
(publicly confirmed on C320 V2.1) is the default on both models;
``options['suspend_form'] = 'shutdown'`` sends ``shutdown`` / ``no shutdown``
under the ONU's interface instead (no public capture confirms it as a
suspension on the C600).

WAN and WiFi go through ``pon-onu-mng``.  ZXAN keeps a WAN's VLAN, and a static
WAN's gateway and DNS, in OLT-wide profiles: ``Target.options['vlan_profile']``
and ``['ip_profile']`` name them (WanConfig.gateway/dns are not sent).
``options['wan_index']`` (default ``1``) is the WAN's index as written in
``wan-ip 1 mode ...`` (the C320 form public captures show; some C600 firmware
may want ``ipv4``).  Old ONU firmware without OMCI WAN/WiFi is declared with
``options['wan'|'wifi'] = False`` and refused before anything is sent.
"""

import re

from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout
from netmiko.zte.zte_zxros import ZteZxrosTelnet

from . import parsing
from . import validation as v
from .cli import CliOltDriver, clean_output
from .engine import UNKNOWN_OUTCOME, Step, converge
from .errors import (
    CommandRejected,
    ConnectError,
    DriverError,
    InvalidInput,
    ParseError,
    RollbackFailed,
    UnsupportedOperation,
)
from .models import DiscoveredOnu, OnuStatus, ProvisionResult, ServicePort

CONFIG = ("configure terminal",)
GPON_UNCFG = "show gpon onu uncfg"
PON_UNCFG = "show pon onu uncfg"

#: ``gpon-onu_1/1/1:5``, ``gpon_onu-1/1/1:5``, or the bare ``1/1/1:5`` of the state table
_ONU_INDEX = re.compile(r"^(?:gpon-onu_|gpon_onu-)?(?P<pon>\d+/\d+/\d+):(?P<onu>\d+)$")
#: ``gpon-olt_1/1/1`` or ``gpon_olt-1/1/1``
_OLT_INDEX = re.compile(r"^(?:gpon-olt_|gpon_olt-)(?P<pon>\d+/\d+/\d+)$")
#: ``vport-1/1/1.5:1``
_VPORT = re.compile(r"^vport-(?P<pon>\d+/\d+/\d+)\.(?P<onu>\d+):(?P<vport>\d+)$")
#: what the device prints for "no value"
_EMPTY_VALUES = {"", "n/a", "na", "-", "--", "none", "no signal"}
#: the device's "nothing to show": ``%Code 32310-GPONSRV : No related information to show.``
EMPTY_RESULT = (r"^\s*%Code\s+\d+(?:-\w+)?\s*:\s*No related information to show\.?\s*$",)

#: ZXROS alarm and log lines written into a session at any time, e.g.
#: ``[ZXAN] 2026-11-29 10:05:00 %GPONSRV-6-ONU: gpon-onu_1/1/1:1 ...``,
#: ``Nov 29 12:00:01 2026 ZXAN %GPON-4-ONU_LOS: ...`` or ``[alarm] ...``
ASYNC_LINES = (
    r"^[ \t]*\[(?:alarm|Alarm|ALARM|log|LOG|trap|TRAP)\][^\n]*(?:\n|$)",
    r"^[ \t]*(?:\[[\w.\-]+\][ \t]*)?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[^\n]*%[A-Z][\w-]*-\d-[^\n]*(?:\n|$)",
    r"^[ \t]*[A-Z][a-z]{2} +\d{1,2} +\d\d:\d\d:\d\d[^\n]*%[A-Z][\w-]*-\d-[^\n]*(?:\n|$)",
)

#: an undo finding its object already gone has reached its goal
_GONE = (r"does not exist", r"No related information")
#: ``%Code 66661: The service is already existed.``, ``%Code 63869-GPONRM : Record already exists.``
_ALREADY = (r"(?i)already exist",)

_WIFI_AUTH = {"wpa2psk": "wpa2-psk", "wpapsk/wpa2psk": "wpa/wpa2-psk"}
_WIFI_ENCRYPT = {"aes": "aes", "tkipaes": "tkip+aes"}


# ---------------------------------------------------------------------------
# Netmiko connection class
# ---------------------------------------------------------------------------

_USERNAME_PROMPT = r"(?:[Uu]ser ?[Nn]ame|[Ll]ogin)\s*:\s*$"
_PASSWORD_PROMPT = r"[Pp]assword\s*:\s*$"
_LOGIN_REFUSED = r"[Bb]ad password|%Error|[Aa]uthentication fail|[Ll]ogin fail|[Aa]ccess denied"


class ZteTelnet(ZteZxrosTelnet):
    """Netmiko's ZXROS Telnet class, logging in by reading the prompts.

    CiscoBaseConnection.telnet_login waits in fixed sleeps (about 2.5 s per
    login); this waits for ``Username:``, ``Password:`` and the CLI prompt,
    and treats ``bad password.`` (or a second ``Username:``) as a refusal.
    """

    def telnet_login(
        self,
        pri_prompt_terminator=r"#\s*$",
        alt_prompt_terminator=r">\s*$",
        username_pattern=_USERNAME_PROMPT,
        pwd_pattern=_PASSWORD_PROMPT,
        delay_factor=1.0,
        max_loops=20,
    ):
        self.remote_conn.set_option_negotiation_callback(self._process_option)
        refused = rf"{_LOGIN_REFUSED}|{username_pattern}|{pwd_pattern}"
        try:
            output = self.read_until_pattern(pattern=username_pattern, re_flags=re.MULTILINE)
            self.write_channel(self.username + self.TELNET_RETURN)
            output += self.read_until_pattern(pattern=pwd_pattern, re_flags=re.MULTILINE)
            self.write_channel((self.password or "") + self.TELNET_RETURN)
            answer = self.read_until_pattern(
                pattern=rf"{pri_prompt_terminator}|{alt_prompt_terminator}|{refused}", re_flags=re.MULTILINE
            )
        except (EOFError, ReadTimeout) as error:
            self.remote_conn.close()
            raise NetmikoAuthenticationException(f"Login failed: {self.host}") from error
        if re.search(refused, answer, re.MULTILINE):
            self.remote_conn.close()
            raise NetmikoAuthenticationException(f"Login failed: {self.host}")
        return output + answer

    def _test_channel_read(self, count=40, pattern=""):
        # telnet_login consumed the prompt: ask for a fresh one.
        self.write_channel(self.TELNET_RETURN)
        return super()._test_channel_read(count=count, pattern=pattern)


# ---------------------------------------------------------------------------
# Reading what the device prints.  Each reader takes the output of one
# command (no echo, no prompt), the command as typed and the firmware, and
# returns plain values; the driver's parse_* classmethods turn them into the
# result objects of drivers.models.
# ---------------------------------------------------------------------------


def parse_onu_index(index):
    """``gpon-onu_1/1/1:5`` (or C600/bare forms) -> ('1/1/1', 5)."""
    match = _ONU_INDEX.match(index.strip())
    if not match:
        raise ParseError(f"'{index}' is not a ZTE ONU index like gpon-onu_1/1/1:5")
    return match.group("pon"), int(match.group("onu"))


def _onu_index(index):
    """As parse_onu_index, with ValueError for the table readers' checks."""
    match = _ONU_INDEX.match(index.strip())
    if not match:
        raise ValueError(f"{index!r} is not an ONU index like gpon-onu_1/1/1:5")
    return match.group("pon"), int(match.group("onu"))


def _value(text):
    return "" if (text or "").strip().lower() in _EMPTY_VALUES else text.strip()


def _serial(text):
    try:
        return v.normalize_serial(text, "serial")
    except InvalidInput as error:
        raise ValueError(error.reason) from None


def _dbm(text):
    """``-20.980(dbm)``, ``-20.98``, ``N/A``, ``no signal`` -> float or None."""
    value = _value(re.sub(r"\s*\(dbm\)\s*$", "", text or "", flags=re.IGNORECASE))
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{text!r} is not a power in dBm") from None


def _enabled(text):
    return {"enable": "enabled", "disable": "disabled"}.get(text.strip().lower(), "")


#: The phase states ZTE prints and what they say of the ONU's service.  Seen in
#: public outputs: working, LOS, DyingGasp, OffLine, syncMib (an ONU still
#: synchronising its OMCI data); named by ZTE's manuals: logging (ranging) and
#: AuthFailed.  Only ``working`` carries traffic.  A phase outside this table
#: is a parse error, not a guess: an unseen word could as well mean online.
_PHASES = {
    "working": "online",
    "los": "offline",
    "dyinggasp": "offline",
    "offline": "offline",
    "syncmib": "offline",
    "logging": "offline",
    "authfailed": "offline",
}
#: Phases that say why an ONU went down (the others are passing or no cause)
_DOWN_PHASES = ("los", "dyinggasp", "authfailed")


def _run_state(phase):
    """``working`` -> 'online', a known down or passing phase -> 'offline', none printed -> ''."""
    phase = (phase or "").strip().lower()
    if not phase:
        return ""
    if phase not in _PHASES:
        raise ValueError(f"phase state {phase!r} is none of {', '.join(sorted(_PHASES))}")
    return _PHASES[phase]


#: the discovery tables' columns in the order every layout prints them
#: (``OnuIndex Sn State``, ``OltIndex Model SN PW``, ``OltIndex Model MAC SN``,
#: ``OnuIndex OnuType OnuSn State``); ``True`` marks a column some leave out
UNCFG_COLUMNS = (
    ("index", ("OnuIndex", "OltIndex")),
    ("model", ("Model", "OnuType"), True),
    ("mac", ("MAC",), True),
    ("serial", ("SN", "OnuSn", "Serial Number")),
    ("password", ("PW", "Password"), True),
    ("state", ("State",), True),
)


def _read_table(text, command, columns, firmware, check, ignore=()):
    """A table by its header (drivers.parsing.read_table); the empty-result words are no row."""
    return parsing.read_table(
        text, columns, command=command, firmware=firmware, ignore=EMPTY_RESULT + tuple(ignore), check=check
    )


def _uncfg_pon(index):
    olt = _OLT_INDEX.match(index)
    return olt.group("pon") if olt else _onu_index(index)[0]


def read_uncfg(text, command, firmware=""):
    """Either discovery command, any of its layouts -> [DiscoveredOnu]."""

    def check(row):
        _uncfg_pon(row["index"])
        _serial(row["serial"])

    rows = _read_table(text, command, UNCFG_COLUMNS, firmware, check)
    onus = []
    for row in rows:
        serial = _serial(row["serial"])
        onus.append(
            DiscoveredOnu(
                serial=serial,
                pon=_uncfg_pon(row["index"]),
                olt_index=row["index"],
                model=_value(row["model"]),
                vendor_id=serial[:4],
                password=_value(row["password"]),
                mac=_value(row["mac"]),
            )
        )
    return onus


STATE_COLUMNS = (
    ("index", ("OnuIndex",)),
    ("admin", ("Admin State",)),
    ("omcc", ("OMCC State",)),
    ("o7", ("O7 State",), True),
    ("phase", ("Phase State",)),
    ("channel", ("Channel", "Speed mode"), True),
)
_STATE_FOOTER = (r"^\s*ONU Number\s*:",)


def read_state(text, command, firmware=""):
    """``show gpon onu state [OLT [ID]]``, its three layouts -> [OnuStatus]."""

    def check(row):
        _onu_index(row["index"])
        if not _enabled(row["admin"]):
            raise ValueError(f"admin state {row['admin']!r} is neither enable nor disable")
        if not _run_state(row["phase"]):
            raise ValueError("no phase state")

    rows = _read_table(text, command, STATE_COLUMNS, firmware, check, ignore=_STATE_FOOTER)
    result = []
    for row in rows:
        pon, onu_id = _onu_index(row["index"])
        result.append(
            OnuStatus(
                pon=pon,
                onu_id=onu_id,
                admin_state=_enabled(row["admin"]),
                run_state=_run_state(row["phase"]),
                last_down_cause=_phase_cause(row["phase"]),
            )
        )
    return result


def _phase_cause(phase):
    """Why an ONU is down where its phase state says so ('LOS', 'DyingGasp'), lower case."""
    phase = phase.strip().lower()
    return phase if phase in _DOWN_PHASES else ""


def read_by_sn(text, command, firmware=""):
    """``show gpon onu by sn SERIAL`` -> [(pon, onu_id)] where it is registered."""
    rows = _read_table(text, command, (("index", ("SearchResult",)),), firmware, lambda row: _onu_index(row["index"]))
    return [_onu_index(row["index"]) for row in rows]


HISTORY_COLUMNS = (
    ("up", ("Authpass Time",)),
    ("down", ("OfflineTime", "Offline Time")),
    ("cause", ("Cause",), True),
)
_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def _history_row(row):
    if not re.fullmatch(_TIME, row["up"]) or not re.fullmatch(_TIME, row["down"]):
        raise ValueError("expected a history row: number, authpass time, offline time, cause")


def read_detail(text, command, firmware=""):
    """``show gpon onu detail-info ONU`` -> (fields, history rows).

    ``Key: value`` lines, a separator, then the authentication history, whose
    Cause column is left blank (and padded with spaces, or not) while an ONU is
    online.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = next((i for i, line in enumerate(lines) if parsing.RULE_LINE.match(line)), len(lines))
    if any(re.search(pattern, text, re.MULTILINE) for pattern in EMPTY_RESULT):
        return {}, []
    fields = parsing.read_fields(lines[:cut], command, firmware)
    history = _read_table("\n".join(lines[cut + 1 :]), command, HISTORY_COLUMNS, firmware, _history_row)
    return fields, history


def _last_down_cause(history):
    ended = [row for row in history if not row["down"].startswith("0000")]
    if not ended:
        return ""
    return max(ended, key=lambda row: row["down"])["cause"].strip().lower()


def detail_status(fields, history, command, firmware=""):
    """The OnuStatus a detail-info holds."""
    where = fields.get("onu interface", "")
    try:
        pon, onu_id = _onu_index(where)
    except ValueError:
        raise parsing.parse_error(command, firmware, f"ONU interface: {where}", "no ONU interface") from None
    serial = fields.get("serial number", fields.get("sn", "")).strip()
    try:
        serial = _serial(serial) if _value(serial) else ""
    except ValueError as error:
        raise parsing.parse_error(command, firmware, f"Serial number: {serial}", str(error)) from None
    distance = re.fullmatch(r"(\d+)\s*m", _value(fields.get("onu distance", "")))
    phase = fields.get("phase state", "")
    try:
        run_state = _run_state(phase)
    except ValueError as error:
        raise parsing.parse_error(command, firmware, f"Phase state: {phase}", str(error)) from None
    return OnuStatus(
        pon=pon,
        onu_id=onu_id,
        serial=serial,
        admin_state=_enabled(fields.get("admin state", "")),
        run_state=run_state,
        description=_value(fields.get("description", "")),
        model=_value(fields.get("type", "")),
        distance_m=int(distance.group(1)) if distance else None,
        last_down_cause=_last_down_cause(history),
    )


_POWER = r"-?\d+(?:\.\d+)?(?:\s*\(dbm\))?|N/A|no signal|-"
#: the whole answer about an ONU that is not up (C320 V2.1.0: ``gpon-onu_1/1/2:31 is not online``)
_NOT_ONLINE = re.compile(r"^\s*(?:gpon-onu_|gpon_onu-)\d+/\d+/\d+:\d+\s+is not online\s*$", re.IGNORECASE)
_ATTENUATION_LINE = re.compile(
    rf"^\s*(?P<dir>up|down)\s+(?P<k1>Rx|Tx)\s*:\s*(?P<v1>{_POWER})\s+(?P<k2>Rx|Tx)\s*:\s*(?P<v2>{_POWER})"
    r"\s+(?:Attenuation\s*:\s*)?(?P<loss>-?\d+(?:\.\d+)?(?:\s*\(dB\))?|N/A|-)\s*$",
    re.IGNORECASE,
)


def read_attenuation(text, command, firmware=""):
    """``show pon power attenuation ONU`` -> {'olt_rx', 'onu_tx', 'olt_tx', 'onu_rx'} in dBm (or None), or {}.

    ``up Rx :<OLT receives>  Tx:<ONU sends>  <loss>``, ``down Tx :<OLT sends>
    Rx:<ONU receives> <loss>``, under a header ``OLT  ONU  Attenuation``.  An ONU
    that is not up gets one line instead: {'online': False}, no power.
    """
    values, header = {}, False
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip() or parsing.RULE_LINE.match(line):
            continue
        if any(re.search(pattern, line) for pattern in EMPTY_RESULT):
            return {}
        if not values and not header and _NOT_ONLINE.match(line):
            return {"online": False}
        if not header and re.fullmatch(r"\s*OLT\s+ONU\s+Attenuation\s*", line, re.IGNORECASE):
            header = True
            continue
        match = _ATTENUATION_LINE.match(line)
        if not match:
            raise parsing.parse_error(command, firmware, line, "expected an 'up'/'down' power line")
        side = match.group("dir").lower()
        try:
            first, second = _dbm(match.group("v1")), _dbm(match.group("v2"))
        except ValueError as error:
            raise parsing.parse_error(command, firmware, line, str(error)) from None
        # up: Rx is what the OLT receives, Tx what the ONU sends; down the reverse
        keys = {"up": ("olt", "onu"), "down": ("olt", "onu")}[side]
        values[f"{keys[0]}_{match.group('k1').lower()}"] = first
        values[f"{keys[1]}_{match.group('k2').lower()}"] = second
    return values


ONU_RX_COLUMNS = (
    ("index", ("Onu", "OnuIndex")),
    ("power", ("Rx power", "RxPower")),
)


def read_onu_rx(text, command, firmware=""):
    """``show pon power onu-rx OLT|ONU`` -> [(pon, onu_id, dBm or None)]."""

    def check(row):
        _onu_index(row["index"])
        _dbm(row["power"])

    rows = _read_table(text, command, ONU_RX_COLUMNS, firmware, check)
    return [(*_onu_index(row["index"]), _dbm(row["power"])) for row in rows]


def read_version(text):
    """The firmware ``show system-group`` (or ``show software``) prints: ``V2.1.0``, or ''.

    A C320 V2.1.0 prints ``System Description: C320 Version V2.1.0 Software, ...``
    (erlanggaalfian/smartolt's test_zte_health.py, MIT); ``show software`` has no
    public capture, its line is the NOC Project's (``ZTE ZXA10 Software, Version:
    V2.1.0, Release software``): the first version after ``Version`` is taken, and
    a layout without one is no error.
    """
    match = re.search(r"\bVersion[\s:]+(V?\d+(?:\.\d+)+\w*)", text or "", re.IGNORECASE)
    return match.group(1).upper() if match else ""


# -- running configuration ----------------------------------------------------------


#: ``onu N type T sn S`` in an OLT interface's configuration (the line the driver
#: itself sends to register an ONU); the type may be empty
_REGISTRATION = re.compile(r"^onu (?P<id>\d+) type(?: (?P<type>\S+))? sn (?P<serial>\S+)(?: .*)?$")


def read_registrations(lines):
    """The configuration lines of an OLT interface -> {onu_id: (type, serial)}."""
    found = {}
    for line in lines:
        match = _REGISTRATION.match(" ".join(line.split()))
        if match:
            found[int(match.group("id"))] = (match.group("type") or "", match.group("serial").upper())
    return found


def config_lines(text, section):
    """The lines of ``section`` (``interface gpon-onu_1/1/1:5``) in a running-config answer."""
    sections = parsing.read_config_sections(text)
    wanted = " ".join(section.split()).lower()
    for name, lines in sections.items():
        if name.lower() == wanted:
            return lines
    return []


_INTERFACE_LINES = (
    ("tcont", re.compile(r"^tcont (?P<id>\d+)(?: name \S+)? profile (?P<profile>\S+)$")),
    ("gemport", re.compile(r"^gemport (?P<id>\d+)(?: name \S+)?(?: unicast)? tcont (?P<tcont>\d+)(?: .*)?$")),
    ("switchport", re.compile(r"^switchport mode (?P<mode>\S+) vport (?P<vport>\d+)$")),
    (
        "service_port",
        re.compile(
            r"^service-port (?P<id>\d+)(?: vport (?P<vport>\d+))? user-vlan (?P<user_vlan>\d+) vlan (?P<vlan>\d+)"
            r"(?: svlan (?P<svlan>\d+))?$"
        ),
    ),
    ("description", re.compile(r"^description (?P<text>.*)$")),
    ("shutdown", re.compile(r"^shutdown$")),
)

_MNG_LINES = (
    (
        "service",
        re.compile(r"^service (?P<name>\S+) gemport (?P<gemport>\d+)(?: iphost \d+)?(?: cos \d+)? vlan (?P<vlan>\S+)$"),
    ),
    ("vlan_port", re.compile(r"^vlan port (?P<uni>(?:eth|wifi|veip)_\d+/\d+) (?P<spec>.+)$")),
    ("wan", re.compile(r"^wan-ip (?P<index>\S+) mode (?P<rest>.+)$")),
    ("ssid_ctrl", re.compile(r"^ssid ctrl wifi_0/(?P<index>\d+) name (?P<ssid>\S+)(?P<rest>.*)$")),
    (
        "ssid_wpa",
        re.compile(r"^ssid auth wpa wifi_0/(?P<index>\d+) (?P<auth>\S+) encrypt (?P<encrypt>\S+) key (?P<key>\S+)$"),
    ),
    ("ssid_open", re.compile(r"^ssid auth wep wifi_0/(?P<index>\d+) open-system$")),
)


def _match_lines(lines, table):
    for line in lines:
        for kind, pattern in table:
            match = pattern.match(line)
            if match:
                yield kind, match
                break


def interface_view(lines, vport_lines=None):
    """The parts of an ONU interface's configuration provisioning manages, as view entries.

    C300 service ports live in the ONU interface (with their vport); a C600's
    in ``interface vport-...:V`` (``vport_lines``: {V: lines}).
    """
    view = {}
    for kind, match in _match_lines(lines, _INTERFACE_LINES):
        if kind == "tcont":
            view[f"tcont:{match['id']}"] = {"profile": match["profile"]}
        elif kind == "gemport":
            view[f"gemport:{match['id']}"] = {"tcont": int(match["tcont"])}
        elif kind == "switchport":
            view[f"switchport:{match['vport']}"] = {"mode": match["mode"]}
        elif kind == "service_port" and match["vport"]:
            view[f"service_port:{match['id']}"] = _service_port(match, int(match["vport"]))
        elif kind == "description":
            view["description"] = match["text"]
        elif kind == "shutdown":
            view["shutdown"] = True
    for vport, vlines in (vport_lines or {}).items():
        for kind, match in _match_lines(vlines, _INTERFACE_LINES):
            if kind == "service_port":
                view[f"service_port:{match['id']}"] = _service_port(match, vport)
    return view


def _service_port(match, vport):
    return {"vport": vport, "user_vlan": int(match["user_vlan"]), "vlan": int(match["vlan"])}


def _wan_fields(rest):
    """``pppoe username U password P vlan-profile X host 1`` -> {'mode': 'pppoe', 'username': U, ...}."""
    words = rest.split()
    fields = {"mode": words[0]}
    keys = {"username", "password", "vlan-profile", "ip-profile", "ip-address", "mask", "host"}
    for key, value in zip(words[1::2], words[2::2], strict=False):
        if key in keys:
            fields[key.replace("-", "_")] = value
    return fields


def mng_view(lines):
    """The pon-onu-mng part provisioning manages, as view entries."""
    view = {}
    for kind, match in _match_lines(lines, _MNG_LINES):
        if kind == "service":
            view[f"service:{match['name']}"] = {"gemport": int(match["gemport"]), "vlan": match["vlan"]}
        elif kind == "vlan_port":
            view[f"vlan_port:{match['uni']}"] = {"spec": match["spec"]}
        elif kind == "wan":
            view[f"wan:{match['index']}"] = _wan_fields(match["rest"])
        elif kind == "ssid_ctrl":
            entry = view.setdefault(f"wifi:{match['index']}", {})
            entry.update(ssid=match["ssid"], hidden="hide enable" in match["rest"])
        elif kind == "ssid_wpa":
            entry = view.setdefault(f"wifi:{match['index']}", {})
            entry.update(auth=match["auth"], encrypt=match["encrypt"], key=match["key"])
        elif kind == "ssid_open":
            view.setdefault(f"wifi:{match['index']}", {}).update(auth="open-system", encrypt="", key="")
    return view


def strip_capture(text, command=""):
    """A raw terminal capture -> the output of ``command`` alone (no prompts, echo, pager, alarms)."""
    return parsing.command_output(clean_output(text, ASYNC_LINES), command)


def _false(value):
    return value is not None and str(value).strip().lower() in ("0", "false", "no", "off")


def _firmware_version(text):
    match = re.search(r"[Vv]?(\d+)\.(\d+)", str(text or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _require_successful(command):
    """ZXAN confirms a registration with a line containing 'Successful'; anything else failed."""

    def capture(text, context):
        if "successful" not in text.lower():
            raise CommandRejected(command, f"the OLT did not confirm the registration: {text.strip() or '(no answer)'}")

    return capture


#: the order objects are created in (deleted in reverse): what an object needs comes first
_ORDER = ("onu", "description", "tcont", "gemport", "switchport", "service_port", "service", "vlan_port", "wan", "wifi")


def _kind(key):
    return key.split(":", 1)[0]


def _rank(key):
    kind = _kind(key)
    return _ORDER.index(kind) if kind in _ORDER else len(_ORDER)


# ---------------------------------------------------------------------------
# The drivers
# ---------------------------------------------------------------------------

_ONU_ARG = r"(?P<onu>(?:gpon-onu_|gpon_onu-)\d+/\d+/\d+:\d+)"
_OLT_ARG = r"(?P<olt>(?:gpon-olt_|gpon_olt-)\d+/\d+/\d+)"
_VPORT_ARG = r"(?P<vport>vport-\d+/\d+/\d+\.\d+:\d+)"


class ZteDriver(CliOltDriver):
    """ZTE ZXA10 C300 / C320 (ZXAN)."""

    platform = "zte"
    device_types = {"ssh": "zte_zxros", "telnet": "zte_zxros_telnet"}
    netmiko_classes = {"telnet": ZteTelnet}
    exit_command = "exit"
    pon_parts = 3
    onu_id_range = (1, 128)
    wifi_index_max = 4
    error_patterns = (
        r"%Error \d+",
        r"^\s*Error \d+\s*:",
        # %Code lines are answers of the GPON service; only 'No related
        # information to show' (an empty table) is not a failure.
        r"%Code \d+(?:-\w+)?\s*:(?!\s*No related information)",
        r"^\s*%\s*(?:Invalid|Incomplete|Unrecognized|Ambiguous)",
    )
    busy_patterns = (r"(?i)system (?:is )?busy", r"(?i)please (?:re)?try (?:again )?later")
    async_patterns = ASYNC_LINES
    suspend_forms = ("onu_state", "shutdown")
    default_suspend_form = "onu_state"
    default_onu_type = "ZTE-F660"
    default_tcont_profile = "default"
    default_vlan_profile = "PPPoE"
    default_ip_profile = "STATIC"
    #: discovery commands, in the order they are tried
    uncfg_commands = (GPON_UNCFG, PON_UNCFG)
    running_config_command = "show running-config interface"
    #: where the firmware is read: the command the NOC Project reads it with on ZXA10
    version_command = "show system-group"
    #: the service name written in ``service NAME gemport G vlan V``
    service_name = "inet"
    c600 = False

    #: every command this driver reads, as typed, and its parser (see OltDriver.parse_command)
    command_parsers = (
        (rf"show gpon onu uncfg(?: {_OLT_ARG})?", "parse_uncfg"),
        (rf"show pon onu uncfg(?: {_OLT_ARG})?", "parse_uncfg"),
        (rf"show gpon onu state(?: {_OLT_ARG}(?: (?P<onu_id>\d+))?)?", "parse_state"),
        (r"show gpon onu by sn (?P<serial>\S+)", "parse_by_sn"),
        (rf"show gpon onu detail-info {_ONU_ARG}", "parse_detail"),
        (rf"show pon power attenuation {_ONU_ARG}", "parse_attenuation"),
        (rf"show pon power onu-rx (?:{_ONU_ARG}|{_OLT_ARG})", "parse_onu_rx"),
        (rf"show running-config(?: |-)interface (?:{_ONU_ARG}|{_VPORT_ARG})", "parse_running_interface"),
        (rf"show onu running config {_ONU_ARG}", "parse_onu_running"),
    )

    def __init__(self, target):
        super().__init__(target)
        #: the firmware the OLT reported in this session ('' until read, or if it printed none)
        self.firmware = ""

    # -- names ------------------------------------------------------------------
    def olt_interface(self, pon):
        return f"gpon-olt_{pon}"

    def onu_interface(self, pon, onu_id):
        return f"gpon-onu_{pon}:{onu_id}"

    def vport_interface(self, pon, onu_id, vport):
        return f"vport-{pon}.{onu_id}:{vport}"

    def olt_mode(self, pon):
        return CONFIG + (f"interface {self.olt_interface(pon)}",)

    def onu_mode(self, pon, onu_id):
        return CONFIG + (f"interface {self.onu_interface(pon, onu_id)}",)

    def vport_mode(self, pon, onu_id, vport=1):
        return CONFIG + (f"interface {self.vport_interface(pon, onu_id, vport)}",)

    def mng_mode(self, pon, onu_id):
        return CONFIG + (f"pon-onu-mng {self.onu_interface(pon, onu_id)}",)

    # -- options and input ---------------------------------------------------------
    def check_target(self):
        target = super().check_target()
        self._suspend_form()
        for name in ("onu_type", "tcont_profile", "vlan_profile", "ip_profile"):
            if target.options.get(name):
                v.check_name(str(target.options[name]), f"options.{name}")
        v.check_choice(self._wan_index(), "options.wan_index", ("1", "2", "3", "4", "ipv4"))
        return target

    def check_wan(self, wan):
        if wan.mode == "static" and not self.target.options.get("ip_profile"):
            # ZXAN takes a static WAN's gateway and DNS from an OLT-wide ip-profile:
            # without one named, per-ONU values would be silently not applied.
            raise UnsupportedOperation(
                "a static WAN on ZTE takes its gateway and DNS from an ip-profile of the OLT: "
                "name it in options.ip_profile"
            )
        return super().check_wan(wan)

    def check_bulk_change(self, change):
        if change.kind == "dns":
            # ZXAN takes a WAN's DNS from PPPoE/DHCP or from the OLT-wide ip-profile of a
            # static WAN; there is no per-ONU DNS command to push.
            raise UnsupportedOperation(
                "a DNS change per ONU is not supported on ZTE OLTs (DNS comes from the ip-profile)"
            )
        return super().check_bulk_change(change)

    # Old ONU firmware has no OMCI WAN/WiFi: the caller says so per OLT.
    def supports_wan(self):
        return not _false(self.target.options.get("wan"))

    def supports_wifi(self):
        return not _false(self.target.options.get("wifi"))

    def _suspend_form(self):
        form = str(self.target.options.get("suspend_form") or self.default_suspend_form)
        if form == "state":  # the name the README used to give it
            form = "onu_state"
        return v.check_choice(form, "options.suspend_form", self.suspend_forms)

    def _wan_index(self):
        return str(self.target.options.get("wan_index") or "1")

    def _option(self, name, default):
        return str(self.target.options.get(name) or default)

    def _uncfg_commands(self):
        """Discovery commands to try: C300 firmware V2.1 and later is asked the C600 one first."""
        version = _firmware_version(self.target.options.get("firmware") or self.firmware)
        if version is not None and version >= (2, 1):
            return (PON_UNCFG, GPON_UNCFG)
        return self.uncfg_commands

    def _firmware_label(self):
        return self.firmware or str(self.target.options.get("firmware") or "")

    # -- session ------------------------------------------------------------------
    def _open(self):
        session = super()._open()
        # Once per session, so parse errors and notes can name it.  An OLT that
        # refuses the command is named in options.firmware instead.
        configured = str(self.target.options.get("firmware") or "")
        if configured:
            self.firmware = configured
        else:
            command = self._version_command()
            try:
                self.firmware = read_version(session.read(command))
            except CommandRejected as error:
                error.device_message += " (name the firmware in options.firmware to skip this read)"
                raise
            except UNKNOWN_OUTCOME as error:
                # Lost while reading, before anything was sent in this session.
                error.outcome = error.outcome or "unchanged"
                raise
        session.note(f"firmware {self.firmware or 'not printed'}")
        return session

    def _version_command(self):
        return str(self.target.options.get("version_command") or self.version_command)

    def _read(self, command):
        """A show command, run in whatever mode the session is in (ZXAN takes
        show commands in every mode, so reading between two configuration
        steps costs no mode changes)."""
        session = self.session
        return session.execute(command, getattr(session, "mode", ())).text

    # -- parsers (classmethods: ``python -m drivers parse`` and the corpus use them) --------
    @classmethod
    def _output(cls, text, command):
        return parsing.command_output(clean_output(text, cls.async_patterns), command)

    @classmethod
    def parse_uncfg(cls, text, command, firmware="", **_):
        return read_uncfg(cls._output(text, command), command, firmware)

    @classmethod
    def parse_state(cls, text, command, firmware="", **_):
        return read_state(cls._output(text, command), command, firmware)

    @classmethod
    def parse_by_sn(cls, text, command, serial="", firmware="", **_):
        found = read_by_sn(cls._output(text, command), command, firmware)
        try:
            wanted = v.normalize_serial(serial)
        except InvalidInput:
            wanted = serial.upper()
        return [OnuStatus(pon=pon, onu_id=onu_id, serial=wanted) for pon, onu_id in found]

    @classmethod
    def parse_detail(cls, text, command, firmware="", **_):
        fields, history = read_detail(cls._output(text, command), command, firmware)
        if not fields:
            return []
        return [detail_status(fields, history, command, firmware)]

    @classmethod
    def parse_attenuation(cls, text, command, onu="", firmware="", **_):
        values = read_attenuation(cls._output(text, command), command, firmware)
        if not values:
            return []
        pon, onu_id = parse_onu_index(onu)
        return [
            OnuStatus(
                pon=pon,
                onu_id=onu_id,
                run_state="offline" if values.get("online") is False else "",
                rx_power_dbm=values.get("onu_rx"),
                tx_power_dbm=values.get("onu_tx"),
                olt_rx_power_dbm=values.get("olt_rx"),
            )
        ]

    @classmethod
    def parse_onu_rx(cls, text, command, firmware="", **_):
        rows = read_onu_rx(cls._output(text, command), command, firmware)
        return [OnuStatus(pon=pon, onu_id=onu_id, rx_power_dbm=power) for pon, onu_id, power in rows]

    @classmethod
    def parse_running_interface(cls, text, command, onu=None, vport=None, **_):
        output = cls._output(text, command)
        if vport:
            where = _VPORT.match(vport)
            pon, onu_id = where.group("pon"), int(where.group("onu"))
            view = interface_view([], {int(where.group("vport")): config_lines(output, f"interface {vport}")})
        else:
            pon, onu_id = parse_onu_index(onu)
            view = interface_view(config_lines(output, f"interface {onu}"))
        return [
            ServicePort(
                index=int(key.split(":")[1]),
                vlan=entry["vlan"],
                pon=pon,
                onu_id=onu_id,
                gemport=entry["vport"],
                user_vlan=entry["user_vlan"],
            )
            for key, entry in sorted(view.items(), key=lambda item: _natural(item[0]))
            if key.startswith("service_port:")
        ]

    @classmethod
    def parse_onu_running(cls, text, command, onu="", **_):
        """The ``service NAME gemport G vlan V`` lines: which VLAN each gemport carries."""
        output = cls._output(text, command)
        pon, onu_id = parse_onu_index(onu)
        view = mng_view(config_lines(output, f"pon-onu-mng {onu}"))
        return [
            ServicePort(
                index=None,
                vlan=int(entry["vlan"]) if entry["vlan"].isdigit() else None,
                pon=pon,
                onu_id=onu_id,
                gemport=entry["gemport"],
            )
            for key, entry in view.items()
            if key.startswith("service:")
        ]

    @classmethod
    def parse_autofind(cls, text):
        """Either uncfg command's capture (prompts, echo, pager, alarms included)."""
        cleaned = clean_output(text, cls.async_patterns)
        echo = re.search(r"show (?:gpon|pon) onu uncfg(?: \S+)?", cleaned)
        command = echo.group(0) if echo else GPON_UNCFG
        return read_uncfg(parsing.command_output(cleaned, command), command)

    # -- reads ------------------------------------------------------------------------
    def _parse(self, reader, command, *args):
        """``reader`` on what the device answers to ``command``, in this session's firmware."""
        return reader(self._read(command), command, self._firmware_label(), *args)

    def _onu_table(self, pon):
        """{onu_id: OnuStatus} of the ONUs registered on ``pon`` (one port-wide read)."""
        command = f"show gpon onu state {self.olt_interface(pon)}"
        return {row.onu_id: row for row in self._parse(read_state, command) if row.pon == pon}

    def _find_serial(self, serial):
        """(pon, onu_id) where ``serial`` is registered, or None."""
        found = self._parse(read_by_sn, f"show gpon onu by sn {serial}")
        return found[0] if found else None

    def _detail(self, pon, onu_id):
        """The detail-info of one ONU as OnuStatus (None when the OLT has no such ONU)."""
        command = f"show gpon onu detail-info {self.onu_interface(pon, onu_id)}"
        try:
            fields, history = self._parse(read_detail, command)
        except CommandRejected as error:
            if re.search(_GONE[0], error.device_message, re.IGNORECASE):
                return None
            raise
        return detail_status(fields, history, command, self._firmware_label()) if fields else None

    def _config(self, target):
        return self._read(f"{self._running_config()} {target}")

    def _running_config(self):
        return str(self.target.options.get("running_config") or self.running_config_command)

    def _interface_view(self, pon, onu_id):
        onu = self.onu_interface(pon, onu_id)
        return interface_view(config_lines(self._config(onu), f"interface {onu}"))

    def _mng_view(self, pon, onu_id):
        onu = self.onu_interface(pon, onu_id)
        return mng_view(config_lines(self._read(f"show onu running config {onu}"), f"pon-onu-mng {onu}"))

    def _onu_view(self, pon, onu_id):
        """Everything provisioning sets on one registered ONU: two reads (C300), three (C600)."""
        view = self._interface_view(pon, onu_id)
        view.update(self._mng_view(pon, onu_id))
        view.pop("shutdown", None)  # the admin state is suspend's, not provisioning's
        return view

    def _rx_power(self, pon, onu_id):
        """(ONU receives, OLT receives) in dBm: from the attenuation table, else onu-rx; None where neither answers."""
        onu = self.onu_interface(pon, onu_id)
        try:
            values = self._parse(read_attenuation, f"show pon power attenuation {onu}")
            return values.get("onu_rx"), values.get("olt_rx")
        except CommandRejected as error:
            self.session.note(f"attenuation not read ({error.device_message}): reading onu-rx")
        try:
            rows = self._parse(read_onu_rx, f"show pon power onu-rx {onu}")
        except CommandRejected as error:
            self.session.note(f"RX power not read: {error.device_message}")
            return None, None
        return next((power for row_pon, row_id, power in rows if (row_pon, row_id) == (pon, onu_id)), None), None

    def _check_serial(self, ref, detail=None):
        """Refuses to change an ONU that holds another serial than the caller expects."""
        if not ref.serial:
            return detail
        detail = detail or self._detail(ref.pon, ref.onu_id)
        if detail is None:
            raise _unchanged(CommandRejected("show gpon onu detail-info", f"ONU {ref.pon}:{ref.onu_id} does not exist"))
        if detail.serial and detail.serial != v.normalize_serial(ref.serial):
            raise _unchanged(
                InvalidInput(
                    "serial",
                    f"ONU {ref.pon}:{ref.onu_id} holds {detail.serial}, not {ref.serial}: nothing was changed",
                )
            )
        return detail

    # -- discover -------------------------------------------------------------------------
    def _discover(self):
        self.open()  # the firmware the session reads decides which command comes first
        commands = self._uncfg_commands()
        for number, command in enumerate(commands):
            try:
                return self._parse(read_uncfg, command)
            except (CommandRejected, ParseError) as error:
                if number + 1 == len(commands):
                    raise
                what = "refused" if isinstance(error, CommandRejected) else "answered in a layout not known"
                self.session.note(f"'{command}' {what} ({error.message}): asking '{commands[number + 1]}'")
        return []

    # -- the one place that turns a view into commands --------------------------------------
    def _diff(self, current, wanted, context):
        """The Steps that turn view ``current`` into view ``wanted``, in dependency order.

        Works both ways: creating what is missing, changing what differs and
        removing what is extra (the engine's undo converges back to the view
        read before the call).  Removing the ONU removes its interface,
        pon-onu-mng configuration and service ports with it, so nothing else
        is taken away one by one then.
        """
        pon, onu_id = context["pon"], context["onu_id"]
        if "onu" in current and "onu" not in wanted:
            return [Step(f"no onu {onu_id}", self.olt_mode(pon), done_patterns=_GONE)]
        removed = sorted((k for k in current if k not in wanted), key=_rank, reverse=True)
        changed = sorted((k for k in wanted if current.get(k) != wanted[k]), key=_rank)
        steps = []
        for key in removed:
            steps += self._remove_steps(key, current[key], context)
        for key in changed:
            steps += self._set_steps(key, wanted[key], current.get(key), context)
        return steps

    def _set_steps(self, key, value, old, context):
        """Steps that make object ``key`` hold ``value`` (``old``: what it holds now, or None)."""
        pon, onu_id = context["pon"], context["onu_id"]
        kind, _, name = key.partition(":")
        onu, mng = self.onu_mode(pon, onu_id), self.mng_mode(pon, onu_id)
        if kind == "onu":
            if not value.get("type") or not value.get("serial"):
                # a view that only knew the ONU was there (remove reads no
                # more): nothing to register it again with
                return [
                    Step(f"ONU {onu_id}: its type and serial were not read, it cannot be registered again", note=True)
                ]
            command = f"onu {onu_id} type {value['type']} sn {value['serial']}"
            return [Step(command, self.olt_mode(pon), capture=_require_successful(command))]
        if kind == "admin":
            return [self._admin_step(pon, onu_id, value == "enabled")]
        if kind == "description":
            return [Step(f"description {value}", onu)]
        if kind == "tcont":
            return [Step(self._tcont_command(name, value["profile"]), onu)]
        if kind == "gemport":
            return [Step(f"gemport {name} name inet tcont {value['tcont']}", onu)]
        if kind == "switchport":
            return [Step(f"switchport mode {value['mode']} vport {name}", onu)]
        if kind == "service_port":
            return [self._service_port_step(pon, onu_id, name, value)]
        if kind == "service":
            return [Step(f"service {name} gemport {value['gemport']} vlan {value['vlan']}", mng, _ALREADY)]
        if kind == "vlan_port":
            return [Step(f"vlan port {name} {value['spec']}", mng)]
        if kind == "wan":
            return [Step(_wan_command(self._wan_index(), value), mng)]
        if kind == "wifi":
            return self._wifi_steps(name, value, old or {}, mng)
        raise AssertionError(f"no command sets {key}")

    def _remove_steps(self, key, value, context):
        """Steps that take object ``key`` away (it holds ``value``)."""
        pon, onu_id = context["pon"], context["onu_id"]
        kind, _, name = key.partition(":")
        onu, mng = self.onu_mode(pon, onu_id), self.mng_mode(pon, onu_id)
        gone = _GONE
        if kind == "tcont":
            return [Step(f"no tcont {name}", onu, gone)]
        if kind == "gemport":
            return [Step(f"no gemport {name}", onu, gone)]
        if kind == "switchport":
            return [Step(f"no switchport mode vport {name}", onu, gone)]
        if kind == "service_port":
            where = self.vport_mode(pon, onu_id, value["vport"]) if self.c600 else onu
            return [Step(f"no service-port {name}", where, gone)]
        if kind == "service":
            return [Step(f"no service {name}", mng, gone)]
        if kind == "vlan_port":
            return [Step(f"no vlan port {name} mode", mng, gone)]
        if kind == "wan":
            return [Step(f"no wan-ip {name}", mng, gone)]
        if kind == "description":
            return [Step("no description", onu, gone)]
        if kind == "wifi":
            # ZXAN has no command that takes an SSID's name and key off an ONU:
            # the comment keeps the difference visible, read back as 'left'.
            return [Step(f"wifi_0/{name}: no command removes an SSID from the ONU", mng, note=True)]
        raise AssertionError(f"no command removes {key}")

    def _tcont_command(self, tcont, profile):
        return f"tcont {tcont} name inet profile {profile}"

    def _service_port_step(self, pon, onu_id, index, value):
        command = f"service-port {index} vport {value['vport']} user-vlan {value['user_vlan']} vlan {value['vlan']}"
        return Step(command, self.onu_mode(pon, onu_id), _ALREADY)

    def _wifi_steps(self, index, value, old, mode):
        port = f"wifi_0/{index}"
        steps = []
        if (old.get("ssid"), old.get("hidden", False)) != (value["ssid"], value["hidden"]):
            hide = " hide enable" if value["hidden"] else ""
            steps.append(Step(f"ssid ctrl {port} name {value['ssid']}{hide}", mode))
        auth = {k: old.get(k) for k in ("auth", "encrypt", "key")}
        if auth != {k: value.get(k) for k in ("auth", "encrypt", "key")}:
            if value["auth"] == "open-system":
                steps.append(Step(f"ssid auth wep {port} open-system", mode))
            else:
                command = f"ssid auth wpa {port} {value['auth']} encrypt {value['encrypt']} key {value['key']}"
                steps.append(Step(command, mode))
        return steps

    def _admin_step(self, pon, onu_id, enable):
        if self._suspend_form() == "shutdown":
            return Step("no shutdown" if enable else "shutdown", self.onu_mode(pon, onu_id))
        return Step(f"onu {onu_id} state {'enable' if enable else 'disable'}", self.olt_mode(pon))

    # -- wanted views ------------------------------------------------------------------------
    def _tcont_profile(self, service):
        return service.line_profile or service.dba_profile or self._option("tcont_profile", self.default_tcont_profile)

    def _service_view(self, service):
        """What a provisioned service is, as view entries."""
        user_vlan = service.user_vlan or service.vlan
        tcont, gem = service.tcont, service.gemport
        view = {
            f"tcont:{tcont}": {"profile": self._tcont_profile(service)},
            f"gemport:{gem}": {"tcont": tcont},
            f"switchport:{gem}": {"mode": "trunk"},
            "service_port:1": {"vport": gem, "user_vlan": user_vlan, "vlan": service.vlan},
            f"service:{self.service_name}": {"gemport": gem, "vlan": str(service.vlan)},
        }
        return view

    def _wan_view(self, wan):
        vlan_profile = self._option("vlan_profile", self.default_vlan_profile)
        fields = {"mode": wan.mode}
        if wan.mode == "pppoe":
            fields.update(username=wan.username, password=wan.password)
        if wan.mode == "static":
            ip_profile = self._option("ip_profile", self.default_ip_profile)
            fields.update(ip_profile=ip_profile, ip_address=wan.ip, mask=wan.netmask)
        fields.update(vlan_profile=vlan_profile, host="1")
        # Read back as 'wan-ip 1 ...' whichever index form the command used.
        return {"wan:1": fields}

    def _wifi_view(self, wifi):
        entry = {"ssid": wifi.ssid, "hidden": bool(wifi.hidden)}
        if wifi.auth_mode == "open":
            entry.update(auth="open-system", encrypt="", key="")
        else:
            entry.update(auth=_WIFI_AUTH[wifi.auth_mode], encrypt=_WIFI_ENCRYPT[wifi.encrypt], key=wifi.key)
        return {f"wifi:{wifi.index}": entry}

    # -- provision ----------------------------------------------------------------------------
    def _provision(self, service, wan, wifi):
        serial = v.normalize_serial(service.serial)
        pon = self.check_pon(service.pon)
        context = {"pon": pon, "onu_id": service.onu_id}

        def observe():
            found = self._find_serial(serial)
            if found is None:
                context["used"] = set(self._onu_table(pon))
                return {}
            found_pon, found_id = found
            if found_pon != pon or (service.onu_id is not None and service.onu_id != found_id):
                raise _unchanged(
                    CommandRejected(
                        f"show gpon onu by sn {serial}",
                        f"{serial} is already registered as {self.onu_interface(found_pon, found_id)}: "
                        "nothing was changed",
                    )
                )
            context["onu_id"] = found_id
            view = self._onu_view(pon, found_id)
            view["onu"] = {"serial": serial}
            return view

        def wanted(before, context):
            target = dict(before)
            if "onu" not in before:
                context["onu_id"] = self._free_onu_id(pon, service.onu_id, context["used"])
                onu_type = service.onu_type or self._option("onu_type", self.default_onu_type)
                target["onu"] = {"serial": serial, "type": onu_type}
            if service.description:
                target["description"] = service.description
            target.update(self._service_view(service))
            if wan is not None:
                target.update(self._wan_view(wan))
            for item in wifi:
                target.update(self._wifi_view(item))
            return target

        done = converge(self, observe, wanted, self._provision_diff, context)
        onu_id = done.context["onu_id"]
        self.session.note(_summary(done))
        return ProvisionResult(
            pon=pon,
            onu_id=onu_id,
            serial=serial,
            service_ports=[1],
            onu_existed="onu" in done.before,
            created=done.created,
            preexisting=done.preexisting,
        )

    def _provision_diff(self, current, wanted, context):
        # A registered ONU is known by its serial; its type is not read back.
        if "onu" in current and "onu" in wanted:
            wanted = dict(wanted, onu=current["onu"])
        return self._diff(current, wanted, context)

    def _free_onu_id(self, pon, onu_id, used):
        if onu_id is not None:
            if onu_id in used:
                raise _unchanged(
                    CommandRejected(
                        f"onu {onu_id} type",
                        f"ONU id {onu_id} on {self.olt_interface(pon)} is already in use: nothing was changed",
                    )
                )
            return onu_id
        low, high = self.onu_id_range
        free = next((number for number in range(low, high + 1) if number not in used), None)
        if free is None:
            raise _unchanged(CommandRejected("onu type", f"no free ONU id left on {self.olt_interface(pon)}"))
        return free

    def _converge_part(self, ref, part, wanted_part):
        """Converge one part of a registered ONU (``part()`` reads it) towards ``wanted_part``."""
        context = {"pon": ref.pon, "onu_id": ref.onu_id}
        checked = []

        def observe():
            if not checked:
                self._check_serial(ref)
                checked.append(True)
            return part()

        def wanted(before, context):
            return dict(before, **wanted_part)

        return converge(self, observe, wanted, self._diff, context)

    def _provision_wan(self, ref, wan):
        done = self._converge_part(ref, lambda: self._mng_view(ref.pon, ref.onu_id), self._wan_view(wan))
        return self._part_result(ref, done)

    def _provision_wifi(self, ref, wifi):
        done = self._converge_part(ref, lambda: self._mng_view(ref.pon, ref.onu_id), self._wifi_view(wifi))
        return self._part_result(ref, done)

    def _part_result(self, ref, done):
        self.session.note(_summary(done))
        return ProvisionResult(
            pon=ref.pon,
            onu_id=ref.onu_id,
            serial=ref.serial,
            onu_existed=True,
            created=done.created,
            preexisting=done.preexisting,
        )

    # -- suspend / resume / remove ---------------------------------------------------------------
    def _set_admin(self, ref, enable):
        context = {"pon": ref.pon, "onu_id": ref.onu_id}

        def observe():
            detail = self._detail(ref.pon, ref.onu_id)
            if detail is None:
                raise _unchanged(
                    CommandRejected(
                        f"show gpon onu detail-info {self.onu_interface(ref.pon, ref.onu_id)}",
                        f"ONU {ref.pon}:{ref.onu_id} does not exist: nothing was changed",
                    )
                )
            self._check_serial(ref, detail)
            return {"admin": detail.admin_state}

        def wanted(before, context):
            return {"admin": "enabled" if enable else "disabled"}

        done = converge(self, observe, wanted, self._diff, context)
        if not done.sent:
            self.session.note(f"ONU {ref.pon}:{ref.onu_id} was already {done.after['admin']}: nothing sent")
        return self._after(done, lambda: self._status(ref, check_serial=False))

    def _after(self, done, read):
        """A read once the device holds what was wanted: repeated on a fresh login
        after a timeout or a lost session; if it never answers, the error says
        what this call left on the device."""
        attempt = 0
        while True:
            try:
                if attempt:
                    self.reconnect()
                return read()
            except DriverError as error:
                # a lost answer or a re-login that failed (late, refused): what
                # was sent is on the device all the same
                if not isinstance(error, UNKNOWN_OUTCOME) or attempt >= self.resync_budget:
                    if done.sent:
                        error.outcome = "left"
                        error.left = [f"done: {command}" for command in done.sent]
                    else:
                        error.outcome = error.outcome or "unchanged"
                    raise
                attempt += 1
                self.transcript.note(f"reading the result failed ({error.message}): logging in again")

    def _suspend(self, ref):
        return self._set_admin(ref, enable=False)

    def _resume(self, ref):
        return self._set_admin(ref, enable=True)

    def _remove(self, ref):
        context = {"pon": ref.pon, "onu_id": ref.onu_id}

        def observe():
            if ref.onu_id not in self._onu_table(ref.pon):
                return {}
            if ref.serial and not context.get("checked"):
                self._check_serial(ref)
                context["checked"] = True
            return {"onu": {"id": ref.onu_id}}

        done = converge(self, observe, lambda before, context: {}, self._diff, context)
        if "onu" not in done.before:
            self.session.note(f"ONU {ref.pon}:{ref.onu_id} is not registered: nothing to remove")
        return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": "onu" in done.before}

    # -- status / save --------------------------------------------------------------------------
    # -- reading the whole ONU table back -------------------------------------------------
    def _inventory(self, pons):
        """Three port-wide reads per PON port: the state table (admin and phase
        state), the port's configuration (serial and type of each ONU) and the
        ONUs' RX power.  Without ``pons``, one state read of the whole OLT says
        which ports hold ONUs."""
        if pons is None:
            states = self._parse(read_state, "show gpon onu state")
            tables = {}
            for row in states:
                tables.setdefault(row.pon, {})[row.onu_id] = row
        else:
            tables = {pon: self._onu_table(pon) for pon in pons}
        found = []
        for pon, table in tables.items():
            if table:
                found.extend(self._port_inventory(pon, table))
        return found

    def _port_inventory(self, pon, table):
        olt = self.olt_interface(pon)
        registered = read_registrations(config_lines(self._config(olt), f"interface {olt}"))
        for onu_id, (onu_type, serial) in registered.items():
            if onu_id in table:
                table[onu_id].model, table[onu_id].serial = onu_type, serial
        try:
            powers = self._parse(read_onu_rx, f"show pon power onu-rx {olt}")
        except CommandRejected as error:
            self.session.note(f"RX power of {olt} not read: {error.device_message}")
            powers = []
        for row_pon, onu_id, power in powers:
            if row_pon == pon and onu_id in table and table[onu_id].run_state == "online":
                table[onu_id].rx_power_dbm = power
        return [table[onu_id] for onu_id in sorted(table)]

    #: whether a public source shows 'reboot' in pon-onu-mng on this family
    reboot_confirmed = True

    def supports_reboot(self):
        return self.reboot_confirmed or _option_on(self.target.options.get("onu_reboot"))

    def _reboot_step(self, ref):
        # 'reboot' in the ONU's pon-onu-mng mode (a public C320 command note).
        return Step("reboot", self.mng_mode(ref.pon, ref.onu_id))

    def _status(self, ref, check_serial=True):
        detail = self._detail(ref.pon, ref.onu_id)
        if detail is None:
            raise CommandRejected(
                f"show gpon onu detail-info {self.onu_interface(ref.pon, ref.onu_id)}",
                f"ONU {ref.pon}:{ref.onu_id} does not exist",
            )
        if check_serial and ref.serial and detail.serial and detail.serial != v.normalize_serial(ref.serial):
            raise InvalidInput("serial", f"ONU {ref.pon}:{ref.onu_id} holds {detail.serial}, not {ref.serial}")
        if detail.run_state == "online":
            detail.rx_power_dbm, detail.olt_rx_power_dbm = self._rx_power(ref.pon, ref.onu_id)
        return detail

    def _save(self):
        reply = self.session.execute("write")
        return {"saved": True, "answer": reply.text.strip()}

    # -- bulk ---------------------------------------------------------------------------------------
    def _bulk_part(self, ref, change):
        """(read the part of the ONU the change touches, the view entries it wants)."""
        if change.kind == "traffic_profile":
            return (
                lambda: {k: e for k, e in self._interface_view(ref.pon, ref.onu_id).items() if k == "tcont:1"},
                {"tcont:1": {"profile": str(change.params["profile"])}},
            )
        if change.kind == "vlan":
            vlan = v.check_vlan(change.params["vlan"], "params.vlan")
            return self._vlan_part(ref, vlan)
        raise UnsupportedOperation(f"bulk change {change.kind!r} is not supported on ZTE OLTs")

    def _vlan_part(self, ref, vlan):
        """A VLAN change is made in place: the service port and the ONU's service are overwritten."""

        def read():
            view = self._interface_view(ref.pon, ref.onu_id)
            view.update(self._mng_view(ref.pon, ref.onu_id))
            return {k: e for k, e in view.items() if k in ("service_port:1", f"service:{self.service_name}")}

        def wanted_for(before):
            port = before.get("service_port:1", {"vport": 1})
            service = before.get(f"service:{self.service_name}", {"gemport": port["vport"]})
            return {
                "service_port:1": {"vport": port["vport"], "user_vlan": vlan, "vlan": vlan},
                f"service:{self.service_name}": {"gemport": service["gemport"], "vlan": str(vlan)},
            }

        return read, wanted_for

    def _apply_change(self, ref, change, context):
        # One read per port tells which ONUs exist, so a stale reference costs
        # no configuration command (and no half-applied change).
        registered = context.setdefault("registered", {})
        if ref.pon not in registered:
            registered[ref.pon] = self._onu_table(ref.pon)
        if ref.onu_id not in registered[ref.pon]:
            raise CommandRejected(
                f"show gpon onu state {self.olt_interface(ref.pon)}",
                f"ONU {self.onu_interface(ref.pon, ref.onu_id)} is not registered",
            )
        read, wanted_part = self._bulk_part(ref, change)
        state = {"pon": ref.pon, "onu_id": ref.onu_id}

        def wanted(before, state):
            target = dict(before)
            target.update(wanted_part(before) if callable(wanted_part) else wanted_part)
            return target

        try:
            converge(self, read, wanted, self._diff, state)
        except RollbackFailed as error:
            if not isinstance(error.undo_error, UNKNOWN_OUTCOME):
                raise
            # The device could not be reached again: the bulk run stops here
            # (a lost session), and this ONU's result says what may be left.
            lost = ConnectError(error.message)
            lost.outcome, lost.left = error.outcome, error.left
            raise lost from error


class ZteC600Driver(ZteDriver):
    """ZTE ZXA10 C600 / C650 (TITAN)."""

    platform = "zte_c600"
    uncfg_commands = (PON_UNCFG, GPON_UNCFG)
    running_config_command = "show running-config-interface"
    c600 = True
    #: no public source shows an ONU reboot from a C600: sent only with
    #: options.onu_reboot (the C300 form, 'reboot' in pon-onu-mng)
    reboot_confirmed = False

    def olt_interface(self, pon):
        return f"gpon_olt-{pon}"

    def onu_interface(self, pon, onu_id):
        return f"gpon_onu-{pon}:{onu_id}"

    def _uncfg_commands(self):
        return self.uncfg_commands

    def _interface_view(self, pon, onu_id):
        onu = self.onu_interface(pon, onu_id)
        vport = self.vport_interface(pon, onu_id, 1)
        vport_lines = {1: config_lines(self._config(vport), f"interface {vport}")}
        return interface_view(config_lines(self._config(onu), f"interface {onu}"), vport_lines)

    def _service_view(self, service):
        user_vlan = service.user_vlan or service.vlan
        tcont, gem = service.tcont, service.gemport
        return {
            f"tcont:{tcont}": {"profile": self._tcont_profile(service)},
            f"gemport:{gem}": {"tcont": tcont},
            "service_port:1": {"vport": 1, "user_vlan": user_vlan, "vlan": service.vlan},
            f"service:{self.service_name}": {"gemport": gem, "vlan": str(service.vlan)},
            "vlan_port:eth_0/1": {"spec": f"mode tag vlan {user_vlan}"},
        }

    def _tcont_command(self, tcont, profile):
        return f"tcont {tcont} profile {profile}"

    def _service_port_step(self, pon, onu_id, index, value):
        command = f"service-port {index} user-vlan {value['user_vlan']} vlan {value['vlan']}"
        return Step(command, self.vport_mode(pon, onu_id, value["vport"]), _ALREADY)

    def _vlan_part(self, ref, vlan):
        read, wanted_for = super()._vlan_part(ref, vlan)

        def wanted_c600(before):
            target = wanted_for(before)
            target["service_port:1"]["vport"] = before.get("service_port:1", {}).get("vport", 1)
            return target

        return read, wanted_c600


def _wan_command(index, fields):
    mode = fields["mode"]
    profile = f" vlan-profile {fields['vlan_profile']}" if fields.get("vlan_profile") else ""
    host = f" host {fields.get('host', '1')}"
    if mode == "pppoe":
        return f"wan-ip {index} mode pppoe username {fields['username']} password {fields['password']}{profile}{host}"
    if mode == "dhcp":
        return f"wan-ip {index} mode dhcp{profile}{host}"
    return (
        f"wan-ip {index} mode static ip-profile {fields['ip_profile']} ip-address {fields['ip_address']} "
        f"mask {fields['mask']}{profile}{host}"
    )


def _natural(key):
    kind, _, name = key.partition(":")
    return (kind, int(name) if name.isdigit() else 0, name)


def _unchanged(error):
    """An error raised before anything was sent: the device is as it was."""
    error.outcome = "unchanged"
    return error


def _summary(done):
    if not done.sent:
        return "the device already held everything asked: nothing sent"
    created = ", ".join(done.created) or "nothing new"
    return f"sent {len(done.sent)} command(s); created: {created}"


__all__ = ["ZteDriver", "ZteC600Driver", "ZteTelnet", "parse_onu_index", "strip_capture", "DriverError"]


def _option_on(value):
    """An option that is on: True, or 'true'/'yes'/'1' from a form or JSON."""
    return value is True or str(value).strip().lower() in ("true", "yes", "1", "on")
