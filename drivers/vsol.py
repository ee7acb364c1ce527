"""V-SOL V1600G GPON OLTs (V1600G0-B, V1600G1, V1600G2, V1600GS), over SSH and Telnet.

Netmiko has no V-SOL class, so this module carries two small ones built on
CiscoBaseConnection (the CLI is Cisco-like: ``gpon-olt>``, ``enable`` with
its own password, ``configure terminal``, ``interface gpon 0/N``, ``exit``).
They differ from Cisco's in what they must not do: V-SOL answers
``terminal width 511`` with ``% Unknown command.``, so session preparation
sends only ``terminal length 0``.  The EPON V1600D speaks another CLI
(``show onu auth-info``, ``confirm onu mac``) and is not driven here.

What the device prints, from public captures (tests/drivers/captures/vsol/
and the README's platform table):

- ``show onu info`` (inside ``interface gpon 0/P``) is the registration
  table ``Onuindex  Model  Profile  Mode  AuthInfo``, the serial in AuthInfo;
  V1.4.8R places every cell with ``\\r ESC[<n>C`` and leaves a blank line
  after each row.
- ``show onu state`` holds the admin and phase state
  (``OnuIndex  Admin State  OMCC State  Phase State`` then ``Serial Number``
  on V1.4.8R, ``Channel`` with ``1/1/1:N`` indexes on others) and a
  ``pon: 1 total: 57 working: 52`` footer.
- ``show running-config onu N`` lists the ONU's configuration in the syntax
  it was typed with, the PPPoE password and WiFi key masked (``******``).
  A WAN (``pri wan_adv``) reaches the ONU only with ``pri wan_adv commit``,
  which the configuration does not show.
- ``show onu N optical_info`` is ``name : value`` lines
  (``Rx optical level(ONU) : -18.15`` on V1.4.8R, ``Rx optical level:
  -19.580(dBm)`` on others).

Convergence (one place, ``_converge_onu``): the ONU's configuration is read
into a view keyed by object (``onu``, ``tcont:1``, ``service:ser_1``,
``service_port:1``, ``wan``, ``wifi:1``...), compared with the view wanted,
and only the difference is sent, new objects before the removal of the ones
they replace.
"""

import contextlib
import re
from typing import ClassVar

from netmiko.cisco_base_connection import CiscoBaseConnection
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

from . import parsing
from . import validation as v
from .cli import CliOltDriver, clean_output
from .engine import Step, converge
from .errors import (
    CommandRejected,
    DriverError,
    InvalidInput,
    ParseError,
    RollbackFailed,
    UnsupportedOperation,
)
from .models import DiscoveredOnu, OnuRef, OnuStatus, ProvisionResult, ServicePort

# ---------------------------------------------------------------------------
# Netmiko connection classes
# ---------------------------------------------------------------------------

_LOGIN_PROMPT = r"(?:[Ll]ogin|[Uu]ser ?[Nn]ame)\s*:\s*$"
_PASSWORD_PROMPT = r"[Pp]assword\s*:\s*$"
_CLI_PROMPT = r"[>#]\s*$"


class VsolOltBase(CiscoBaseConnection):
    """Session preparation and modes of the V-SOL CLI."""

    def __init__(self, *args, **kwargs):
        # V1.4.8R places table cells with "\r ESC[<n>C": Netmiko's line-feed
        # normalisation would turn every carriage return into a new line.
        kwargs.setdefault("disable_lf_normalization", True)
        super().__init__(*args, **kwargs)

    def session_preparation(self):
        try:
            output = self._test_channel_read(pattern=rf"{_CLI_PROMPT}|{_LOGIN_PROMPT}")
        except OSError:
            # A device that hangs up at once may have said why first (a session
            # limit): what it wrote is still buffered, read it for the error.
            with contextlib.suppress(Exception):
                self.read_channel()
            raise
        if re.search(_LOGIN_PROMPT, output, re.MULTILINE):
            # Some firmware asks for the CLI login again inside the SSH session.
            self._cli_login()
        self.set_base_prompt(pattern=_CLI_PROMPT)
        self.enable()
        self.disable_paging()

    def _cli_login(self):
        self.write_channel(self.username + self.RETURN)
        self.read_until_pattern(pattern=_PASSWORD_PROMPT, re_flags=re.MULTILINE)
        self.write_channel((self.password or "") + self.RETURN)
        output = self.read_until_pattern(pattern=rf"{_CLI_PROMPT}|{_LOGIN_PROMPT}", re_flags=re.MULTILINE)
        if re.search(_LOGIN_PROMPT, output, re.MULTILINE):
            self._drop()
            raise NetmikoAuthenticationException(f"Login failed: {self.host}")
        return output

    def disable_paging(
        self,
        command="terminal length 0",
        delay_factor=None,
        cmd_verify=True,
        pattern=None,
    ):
        """Only ``terminal length 0``; read up to the prompt so no stale prompt is left behind."""
        self.write_channel(self.normalize_cmd(command))
        output = self.read_until_pattern(pattern=re.escape(command.strip()))
        output += self.read_until_pattern(pattern=rf"{re.escape(self.base_prompt)}[^\n]*{_CLI_PROMPT}")
        return output

    def set_terminal_width(self, *args, **kwargs):
        """V-SOL answers ``terminal width`` with ``% Unknown command.``: never sent."""
        return ""

    def enable(
        self,
        cmd="enable",
        pattern="ssword",
        enable_pattern=None,
        check_state=True,
        re_flags=re.IGNORECASE,
    ):
        """``enable`` asks its own ``Password:`` (Target.secret); asked twice means refused."""
        if check_state and self.check_enable_mode():
            return ""
        self.write_channel(self.normalize_cmd(cmd))
        output = self.read_until_pattern(pattern=rf"{_PASSWORD_PROMPT}|{_CLI_PROMPT}", re_flags=re.MULTILINE)
        if re.search(_PASSWORD_PROMPT, output, re.MULTILINE):
            self.write_channel(self.normalize_cmd(self.secret or ""))
            answer = self.read_until_pattern(pattern=rf"{_PASSWORD_PROMPT}|{_CLI_PROMPT}", re_flags=re.MULTILINE)
            output += answer
            if re.search(_PASSWORD_PROMPT, answer, re.MULTILINE):
                self._drop()
                raise NetmikoAuthenticationException(f"{self.host}: the enable password was refused")
        if not self.check_enable_mode():
            self._drop()
            raise NetmikoAuthenticationException(f"{self.host}: the enable password was refused")
        return output

    def _drop(self):
        """Close a session that cannot go on (refused login or enable)."""
        # Closing a refused session must not hide the refusal.
        with contextlib.suppress(Exception):
            if self.protocol == "ssh":
                self.paramiko_cleanup()
            elif self.remote_conn is not None:
                self.remote_conn.close()

    def check_config_mode(self, check_string=")#", pattern=r"[>#]", force_regex=False):
        return super().check_config_mode(check_string=check_string, pattern=pattern, force_regex=force_regex)

    def exit_config_mode(self, exit_config="end", pattern=r"#"):
        return super().exit_config_mode(exit_config=exit_config, pattern=pattern)

    def save_config(self, cmd="write", confirm=False, confirm_response=""):
        return super().save_config(cmd=cmd, confirm=confirm, confirm_response=confirm_response)


class VsolOltSSH(VsolOltBase):
    pass


class VsolOltTelnet(VsolOltBase):
    def telnet_login(
        self,
        pri_prompt_terminator=r"#\s*$",
        alt_prompt_terminator=r">\s*$",
        username_pattern=_LOGIN_PROMPT,
        pwd_pattern=_PASSWORD_PROMPT,
        delay_factor=1.0,
        max_loops=20,
    ):
        """``Login:`` / ``Password:`` after the banner; a second ``Login:`` means refused."""
        try:
            output = self.read_until_pattern(pattern=username_pattern, re_flags=re.MULTILINE)
            self.write_channel(self.username + self.TELNET_RETURN)
            output += self.read_until_pattern(pattern=pwd_pattern, re_flags=re.MULTILINE)
            self.write_channel((self.password or "") + self.TELNET_RETURN)
            answer = self.read_until_pattern(
                pattern=rf"{pri_prompt_terminator}|{alt_prompt_terminator}|{username_pattern}",
                re_flags=re.MULTILINE,
            )
        except (EOFError, OSError, ReadTimeout) as error:
            self._drop()
            raise NetmikoAuthenticationException(f"Login failed: {self.host}") from error
        if re.search(username_pattern, answer, re.MULTILINE):
            self._drop()
            raise NetmikoAuthenticationException(f"Login failed: {self.host}")
        return output + answer

    def _test_channel_read(self, count=40, pattern=""):
        # telnet_login has already read the first prompt: ask for a fresh one.
        self.write_channel(self.TELNET_RETURN)
        return super()._test_channel_read(count=count, pattern=pattern)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

# ``GPON0/1:3`` (most firmware), ``0/1:3`` or ``1/1/1:3`` (slot/frame/port:id).
_ONU_INDEX = re.compile(
    r"^(?:GPON|EPON)?(?:(?P<slot>\d+)/)?(?P<frame>\d+)/(?P<port>\d+):(?P<onu>\d+)$",
    re.IGNORECASE,
)
#: what the first cell of a data row of an ONU table looks like
INDEX_CELL = r"(?i)(?:GPON|EPON)?(?:\d+/)?\d+/\d+:\d+|\d+"
# A prompt line of a captured session, with the PON port when inside one.
_CAPTURE_PROMPT = re.compile(r"^[\w.\-]+(?:\((?P<context>[^)]*)\))?[>#]\s?(?P<command>.*)$")
_PORT_PROMPT = re.compile(r"\(config-pon-(\d+/\d+)\)[#>]")
_NUMBER_IS = re.compile(r"number is\s*:?\s*(\d+)", re.IGNORECASE)
_EMPTY_VALUES = {"", "n/a", "na", "-", "--", "null", "none", "unknown"}
#: the empty result of a V-SOL display command, in the words firmware uses
NO_INFORMATION = re.compile(r"^(?:Error\s*:\s*)?No related information to show\.?(?:\s+\d+)?$", re.IGNORECASE)
#: lines of an ONU table that are no row: the port footer, counts, empty words
_TABLE_NOISE = (
    NO_INFORMATION.pattern,
    r"^pon\s*:\s*\d+\s+total\s*:\s*\d+(?:\s+\w+\s*:\s*\d+)*$",
    r"(?i)^ONU\s*Number\s*:",
)

ONU_INFO_COLUMNS = (
    ("index", ("Onuindex", "OnuIndex")),
    ("model", ("Model",)),
    ("profile", ("Profile",)),
    ("mode", ("Mode",)),
    ("serial", ("AuthInfo", "Auth Info")),
)
ONU_STATE_COLUMNS = (
    ("index", ("OnuIndex", "Onuindex")),
    ("admin", ("Admin State",)),
    ("omcc", ("OMCC State",)),
    ("phase", ("Phase State",)),
    ("serial", ("Serial Number", "SN"), True),
)
AUTOFIND_LAYOUTS = (
    # show onu auto-find detail-info
    (
        ("index", ("OltIndex", "OnuIndex")),
        ("serial", ("SN", "Sn")),
        ("password", ("PW",), True),
        ("loid", ("LOID",), True),
        ("model", ("Model",)),
        ("version", ("Ver",)),
        ("loid_password", ("LOIDPW",), True),
    ),
    # show onu auto-find: "OnuIndex Sn State" or "Index Sn Equipment ID"
    (
        ("index", ("OnuIndex", "Index")),
        ("serial", ("Sn", "SN")),
        ("model", ("Equipment ID",), True),
        ("state", ("State",), True),
    ),
)
#: optical diagnostics: the names each firmware prints, per OnuStatus field
_OPTICAL_NAMES = {
    "rx_power_dbm": ("rx optical level(onu)", "rx optical level", "rx power", "rx optical power"),
    "olt_rx_power_dbm": ("rx optical level(olt)",),
    "tx_power_dbm": ("tx optical level", "tx power", "tx optical power"),
}
#: The phase states V-SOL prints (its CLI follows ZTE's) and what they say of
#: the ONU's service: seen in public outputs working, OffLine, syncMib (OMCI
#: data still synchronising), and named by the ZTE family LOS, DyingGasp,
#: logging, AuthFailed.  Only ``working`` carries traffic; any other word is a
#: parse error rather than a guess.
_PHASES = {
    "working": "online",
    "offline": "offline",
    "syncmib": "offline",
    "logging": "offline",
    "los": "offline",
    "dyinggasp": "offline",
    "dying_gasp": "offline",
    "poweroff": "offline",
    "authfailed": "offline",
}
_DOWN_CAUSES = {"los": "los", "dyinggasp": "dying_gasp", "dying_gasp": "dying_gasp", "poweroff": "power_off"}


def parse_onu_index(index, pon=""):
    """``GPON0/1:3`` -> ('0/1', 3); a bare number takes the port being read."""
    index = index.strip()
    match = _ONU_INDEX.match(index)
    if match:
        if match.group("slot") is not None:
            # slot/frame/port form (1/1/1:3) names PON 1 of the only slot: 0/1
            return f"0/{int(match.group('port'))}", int(match.group("onu"))
        return f"{int(match.group('frame'))}/{int(match.group('port'))}", int(match.group("onu"))
    if index.isdigit() and pon:
        return pon, int(index)
    raise ParseError(f"'{index}' is not a V-SOL ONU index like GPON0/1:3")


def _value(text):
    return "" if text.strip().lower() in _EMPTY_VALUES else text.strip()


def _serial(text, where):
    try:
        return v.normalize_serial(text, "serial")
    except InvalidInput as error:
        raise ParseError(f"{where}: {error.reason}") from error


def _where(command, firmware):
    return f"'{command}'" + (f" (firmware {firmware})" if firmware else "")


def _table(text, layouts, command, firmware):
    """The rows of whichever layout's header ``text`` holds (the first one when none does)."""
    lines = text.split("\n")
    layout = next(
        (layout for layout in layouts if any(parsing.header_columns(line, layout) for line in lines)),
        layouts[0],
    )
    return parsing.read_table(text, layout, command=command, firmware=firmware, key=INDEX_CELL, ignore=_TABLE_NOISE)


def autofind_rows_to_onus(rows, pon="", where="auto-find"):
    """Rows of an auto-find table -> [DiscoveredOnu]."""
    onus = []
    for row in rows:
        index = row["index"]
        onu_pon = pon
        if index and not index.isdigit():
            onu_pon, _ = parse_onu_index(index, pon)
        if not onu_pon:
            raise ParseError(f"{where}: row {index or row['serial']} does not say which PON port it is on")
        serial = _serial(row["serial"], f"{where}: row {index}")
        onus.append(
            DiscoveredOnu(
                serial=serial,
                pon=onu_pon,
                olt_index=index if not index.isdigit() else f"GPON{onu_pon}:{index}",
                model=_value(row.get("model", "")),
                vendor_id=serial[:4],
                version=_value(row.get("version", "")),
                password=_value(row.get("password", "")),
                loid=_value(row.get("loid", "")),
            )
        )
    return onus


def parse_autofind_output(text, pon="", command="show onu auto-find", firmware=""):
    """``show onu auto-find [detail-info]`` output (no prompts) -> [DiscoveredOnu]."""
    rows = _table(text, AUTOFIND_LAYOUTS, command, firmware)
    return autofind_rows_to_onus(rows, pon, _where(command, firmware))


def parse_onu_info(text, pon="", command="show onu info", firmware=""):
    """``show onu info`` -> [OnuStatus] (pon, onu_id, serial, model); admin and run state are not printed."""
    statuses = []
    for row in _table(text, (ONU_INFO_COLUMNS,), command, firmware):
        onu_pon, onu_id = parse_onu_index(row["index"], pon)
        statuses.append(
            OnuStatus(
                pon=onu_pon,
                onu_id=onu_id,
                serial=_serial(row["serial"], f"{_where(command, firmware)}: row {row['index']}"),
                model=_value(row["model"]),
            )
        )
    return statuses


def parse_onu_state(text, pon="", command="show onu state", firmware=""):
    """``show onu state`` -> [OnuStatus] with admin and run state (serial where printed)."""
    statuses = []
    for row in _table(text, (ONU_STATE_COLUMNS,), command, firmware):
        onu_pon, onu_id = parse_onu_index(row["index"], pon)
        admin, phase = row["admin"].lower(), row["phase"].lower()
        if admin not in ("enable", "disable") or phase not in _PHASES:
            raise ParseError(
                f"{_where(command, firmware)}: cannot read the state of {row['index']}"
                f" (admin {row['admin']!r}, phase {row['phase']!r})"
            )
        serial = _value(row["serial"])
        statuses.append(
            OnuStatus(
                pon=onu_pon,
                onu_id=onu_id,
                serial=_serial(serial, f"{_where(command, firmware)}: row {row['index']}") if serial else "",
                admin_state="enabled" if admin == "enable" else "disabled",
                run_state=_PHASES[phase],
                last_down_cause=_DOWN_CAUSES.get(phase, ""),
            )
        )
    return statuses


def parse_optical(text, pon="", onu_id=None, command="show onu optical_info", firmware=""):
    """``show onu N optical_info`` -> one OnuStatus with the powers it prints (None where N/A)."""
    values = parsing.key_values(text, command=command, firmware=firmware, ignore=(NO_INFORMATION.pattern,))
    found = {name.lower().replace(" ", ""): value for name, value in values.items()}
    status = OnuStatus(pon=pon, onu_id=onu_id)
    for field, names in _OPTICAL_NAMES.items():
        for name in names:
            if name.replace(" ", "") in found:
                setattr(status, field, _dbm(found[name.replace(" ", "")], command, firmware))
                break
    if status.rx_power_dbm is None and not any(n.replace(" ", "") in found for n in _OPTICAL_NAMES["rx_power_dbm"]):
        raise ParseError(f"{_where(command, firmware)}: no Rx optical level in the output")
    return [status]


def _dbm(value, command, firmware):
    if value.strip().lower() in _EMPTY_VALUES:
        return None
    match = re.match(r"^(-?\d+(?:\.\d+)?)\s*(?:\(?dBm\)?)?$", value.strip(), re.IGNORECASE)
    if not match:
        raise ParseError(f"{_where(command, firmware)}: optical level {value!r} is not a number")
    return float(match.group(1))


def port_of_capture(text):
    """The PON port of the last ``(config-pon-0/N)#`` prompt of a capture, or ''."""
    ports = _PORT_PROMPT.findall(text)
    return ports[-1] if ports else ""


def parse_firmware(text):
    """``show version`` -> (model, software version); '' for what it does not print."""
    model = re.search(r"(?im)^\s*(?:Olt\s+)?Device\s+Model\s*:\s*(\S+)", text)
    version = re.search(r"(?im)^\s*Software\s+Version\s*:\s*(\S+)", text)
    return (model.group(1) if model else "", version.group(1) if version else "")


# -- the ONU's configuration (show running-config onu N) ------------------------

_NAT = r"nat (?P<nat>enable|disable)"
#: ``onu N ...`` lines the view reads, with the object each one describes
_CONFIG_LINES = (
    # "onu add N profile P sn S" (V1.4.8R); "onu N profile P sn S" on firmware with line profiles
    ("onu", r"(?:add )?(?P<n>\d+) profile (?P<profile>\S+) sn (?P<serial>\S+)"),
    ("desc", r"(?P<n>\d+) desc (?P<desc>\S+)"),
    ("tcont", r"(?P<n>\d+) tcont (?P<t>\d+)(?: name (?P<name>\S+))?(?: dba (?P<dba>\S+))?"),
    ("gemport", r"(?P<n>\d+) gemport (?P<g>\d+) tcont (?P<t>\d+)(?: gemport_name (?P<name>\S+))?(?: portid \d+)?"),
    ("traffic", r"(?P<n>\d+) gemport (?P<g>\d+) traffic-limit (?P<dir>upstream|downstream) (?P<profile>\S+)"),
    ("service", r"(?P<n>\d+) service (?P<name>\S+) gemport (?P<g>\d+) vlan (?P<vlan>\d+)(?: cos \S+)?"),
    (
        "service_port",
        r"(?P<n>\d+) service-port (?P<s>\d+) gemport (?P<g>\d+) uservlan (?P<uvlan>\d+) vlan (?P<vlan>\d+)"
        r"(?: new_cos (?P<cos>\d+))?",
    ),
    (
        "portvlan",
        r"(?P<n>\d+) portvlan (?P<port>veip \d+|eth \d+) mode (?:tag vlan (?P<vlan>\d+)|(?P<transparent>transparent))",
    ),
    ("wan_add", r"(?P<n>\d+) pri wan_adv add route"),
    ("wan_mode", r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) route mode (?P<service>\S+) mtu (?P<mtu>\d+)"),
    (
        "wan_pppoe",
        r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 pppoe proxy (?:enable|disable) user (?P<user>\S+) "
        r"pwd \S+ mode \S+ " + _NAT,
    ),
    ("wan_dhcp", r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 dhcp " + _NAT),
    (
        "wan_static",
        r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 static ip (?P<ip>\S+) mask (?P<mask>\S+) gw (?P<gw>\S+) "
        r"dns master (?P<dns1>\S+) slave (?P<dns2>\S+) " + _NAT,
    ),
    ("wan_vlan", r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) vlan tag wan_vlan (?P<vlan>\d+) (?P<priority>\d+)"),
    ("wan_bind", r"(?P<n>\d+) pri wan_adv index (?P<i>\d+) bind (?P<ports>\S+(?: \S+)*)"),
    (
        "wifi",
        r"(?P<n>\d+) pri wifi_ssid (?P<i>\d+) name (?P<ssid>\S+) hide (?P<hide>enable|disable) "
        r"auth_mode (?P<auth>\S+) encrypt_type (?P<enc>\S+)(?: shared_key \S+)?(?: rekey_interval (?P<rekey>\d+))?",
    ),
)
_CONFIG_PATTERNS = tuple((kind, re.compile(r"^onu " + pattern + r"$")) for kind, pattern in _CONFIG_LINES)
_CONFIG_BANNER = re.compile(r"^-+\s*onu \d+ running-config\s*-+$", re.IGNORECASE)


def config_lines(text, onu_id, command="show running-config onu", firmware=""):
    """The ``onu N ...`` lines of one ONU in ``show running-config onu N`` output."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = " ".join(raw.split())
        if not line or _CONFIG_BANNER.match(line) or NO_INFORMATION.match(line):
            continue
        if not re.match(rf"^onu (?:add )?{onu_id}\b", line):
            raise ParseError(f"{_where(command, firmware)}: cannot read the line {line!r}")
        lines.append(line)
    return lines


def onu_view(lines, onu_id):
    """The ONU's configuration as a view: ``{object key: comparable value}``.

    Lines the driver does not manage (``pri acl``, ``pri equid``, ``profile
    onu``...) are not in the view and are never touched.  WANs: the lowest
    ``route mode internet`` index is ``wan``, further internet WANs (left by
    an interrupted run) ``wan_extra:I``, WANs of other services
    ``wan_other:I``.
    """
    view, wans, added = {}, {}, 0
    for line in lines:
        for kind, pattern in _CONFIG_PATTERNS:
            match = pattern.match(line)
            if not match or int(match.group("n")) != onu_id:
                continue
            group = match.groupdict()
            if kind == "onu":
                view["onu"] = {"profile": group["profile"], "serial": group["serial"].upper()}
            elif kind == "desc":
                view["desc"] = group["desc"]
            elif kind == "tcont":
                view[f"tcont:{group['t']}"] = {"name": group["name"], "dba": group["dba"]}
            elif kind == "gemport":
                view[f"gemport:{group['g']}"] = {"tcont": int(group["t"]), "name": group["name"]}
            elif kind == "traffic":
                view[f"traffic:{group['g']}:{group['dir']}"] = group["profile"]
            elif kind == "service":
                view[f"service:{group['name']}"] = {"gemport": int(group["g"]), "vlan": int(group["vlan"])}
            elif kind == "service_port":
                view[f"service_port:{group['s']}"] = {
                    "gemport": int(group["g"]),
                    "user_vlan": int(group["uvlan"]),
                    "vlan": int(group["vlan"]),
                    "cos": int(group["cos"] or 0),
                }
            elif kind == "portvlan":
                mode = {"mode": "transparent"} if group["transparent"] else {"mode": "tag", "vlan": int(group["vlan"])}
                view[f"portvlan:{group['port']}"] = mode
            elif kind == "wifi":
                view[f"wifi:{group['i']}"] = {
                    "ssid": group["ssid"],
                    "hidden": group["hide"] == "enable",
                    "auth": group["auth"],
                    "encrypt": group["enc"],
                    "rekey": int(group["rekey"] or 0),
                }
            elif kind == "wan_add":
                added += 1
            else:
                _wan_line(wans.setdefault(int(group["i"]), {}), kind, group)
            break
    # A WAN added and not yet described shows only its "add route" line; the
    # OLT gives a new WAN the lowest free index (public scripts send "index 1"
    # right after the first "add route"), so that is the index it holds.
    free = (index for index in range(1, 9) if index not in wans)
    for _ in range(added - len(wans)):
        wans[next(free)] = {}
    internet = sorted(index for index, wan in wans.items() if wan.get("service", "internet") == "internet")
    for index, wan in sorted(wans.items()):
        if index in internet[:1]:
            view["wan"] = dict(wan, index=index)
        elif index in internet:
            view[f"wan_extra:{index}"] = dict(wan, index=index)
        else:
            view[f"wan_other:{index}"] = dict(wan, index=index)
    return view


def _wan_line(wan, kind, group):
    if kind == "wan_mode":
        wan.update(service=group["service"], mtu=int(group["mtu"]))
    elif kind == "wan_pppoe":
        wan.update(ipv4="pppoe", user=group["user"], nat=group["nat"] == "enable")
    elif kind == "wan_dhcp":
        wan.update(ipv4="dhcp", nat=group["nat"] == "enable")
    elif kind == "wan_static":
        wan.update(
            ipv4="static",
            ip=group["ip"],
            mask=group["mask"],
            gateway=group["gw"],
            dns1=group["dns1"],
            dns2=group["dns2"],
            nat=group["nat"] == "enable",
        )
    elif kind == "wan_vlan":
        wan.update(vlan=int(group["vlan"]), priority=int(group["priority"]))
    elif kind == "wan_bind":
        wan.update(bind=group["ports"].split())


def service_ports_of(lines, pon, onu_id):
    """The service ports of one ONU's configuration lines -> [ServicePort]."""
    ports = []
    for key, value in sorted(onu_view(lines, onu_id).items()):
        if key.startswith("service_port:"):
            ports.append(
                ServicePort(
                    index=int(key.split(":")[1]),
                    vlan=value["vlan"],
                    pon=pon,
                    onu_id=onu_id,
                    gemport=value["gemport"],
                    user_vlan=value["user_vlan"],
                )
            )
    return sorted(ports, key=lambda port: port.index)


def parse_running_config(text):
    """``show running-config`` -> {pon: {onu_id: ["onu N ...", ...]}} (the ONU lines of each port)."""
    config, pon = {}, None
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        entered = re.match(r"interface gpon (\d+/\d+)$", line)
        if entered:
            pon = entered.group(1)
            continue
        if line in ("!", "exit") or (raw[:1].isalpha() and not line.startswith("onu ")):
            pon = None
            continue
        onu = re.match(r"onu (?:add )?(\d+)\b", line)
        if pon and onu:
            config.setdefault(pon, {}).setdefault(int(onu.group(1)), []).append(line)
    return config


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

#: the syslog lines V-SOL writes into a session at any time:
#: ``2025/09/10 13:58:45   User Login   User x-10.0.0.1-telnet log in.``
SYSLOG_LINE = r"^[ \t]*\d{4}/\d{1,2}/\d{1,2}[ \t]+\d{1,2}:\d{2}:\d{2}[^\n]*(?:\n|$)"

CONFIG = ("configure terminal",)

#: the order objects are created in (and removed in, reversed)
_ORDER = (
    "onu",
    "desc",
    "tcont",
    "gemport",
    "traffic",
    "service",
    "service_port",
    "portvlan",
    "wan",
    "wan_extra",
    "wan_other",
    "wifi",
    "admin",
)


def port_mode(pon):
    return CONFIG + (f"interface gpon {pon}",)


def _family(key):
    return key.split(":", 1)[0]


def _rank(key):
    # dependency order first, then the object's own number or name
    name = key.partition(":")[2]
    return (_ORDER.index(_family(key)), int(name) if name.isdigit() else 0, name)


class Unrestorable(DriverError):
    """What was on the device cannot be put back: the OLT does not show it."""

    code = "unrestorable"


class VsolDriver(CliOltDriver):
    """V-SOL V1600G (GPON).

    Target.options: ``pon_ports`` (list or "0/1,0/2": the ports discovery
    reads; without it the ports are walked until the OLT refuses one),
    ``model`` (V1600GS saves with ``write memory``), ``autofind_detail``
    (read ``show onu auto-find detail-info``: model, password, LOID),
    ``wan_bind`` (ONU ports a WAN serves, default ``lan1 lan2 ssid1``),
    ``optical_command`` (one of ``optical_commands``), ``no_private_omci``
    (firmware without ``pri`` WAN/WiFi), ``no_wifi``, ``busy_delay``.
    """

    platform = "vsol"
    device_types: ClassVar[dict] = {"ssh": "generic", "telnet": "generic_telnet"}
    netmiko_classes: ClassVar[dict] = {"ssh": VsolOltSSH, "telnet": VsolOltTelnet}
    exit_command = "exit"
    pon_parts = 2
    onu_id_range = (1, 128)
    wifi_index_max = 8
    error_patterns = (
        r"%\s*Unknown command",
        r"Command incomplete",
        r"Too many parameters",
        r"Ambiguous command",
        r"Unsupport private protocol",
        r"(?i)\b(?:is )?not exist",
        r"(?i)\balready exists?\b",
        r"^\s*%\s*\S",
        r"^\s*(?:Error|Failed|Failure)\b",
    )
    busy_patterns = (
        r"(?i)system (?:is )?busy",
        r"(?i)please (?:re)?try (?:again )?later",
    )
    async_patterns = (SYSLOG_LINE,)
    #: how many PON ports are walked when the caller does not list them
    max_pon_ports = 16
    default_onu_profile = "default"
    default_dba_profile = "default1"
    default_wan_bind = "lan1 lan2 ssid1"
    #: the ONU optical diagnostics: the first is in public captures
    #: (V1600G0-B V1.4.8R, and a V1600G session log); the second is what
    #: public tools send on other firmware, with no capture of its output
    optical_commands = ("show onu {onu_id} optical_info", "show onu {onu_id} optical")

    command_parsers = (
        (r"show onu auto-find(?: detail-info)?", "parse_autofind_command"),
        (r"show onu info(?: all)?", "parse_onu_info_command"),
        (r"show onu state(?: all)?", "parse_onu_state_command"),
        (r"show onu (?P<onu_id>\d+) optical(?:_info)?", "parse_optical_command"),
        (r"show running-config onu (?P<onu_id>\d+)", "parse_onu_config_command"),
    )

    def __init__(self, target):
        super().__init__(target)
        #: (model, software version) read by ``show version`` at login; '' until then
        self.model = ""
        self.firmware = ""
        #: some firmware has no ``show running-config onu N``: the whole configuration is read
        self._whole_config = False

    # -- capabilities and input ---------------------------------------------
    def supports_wan(self):
        return not _flag(self.target.options.get("no_private_omci"))

    def supports_wifi(self):
        return self.supports_wan() and not _flag(self.target.options.get("no_wifi"))

    def check_target(self):
        target = super().check_target()
        self._pon_ports_option()
        optical = target.options.get("optical_command")
        if optical and optical not in self.optical_commands:
            # It becomes a CLI line: only the forms known to exist are accepted.
            raise InvalidInput("options.optical_command", f"must be one of: {'; '.join(self.optical_commands)}")
        return target

    def check_service(self, service):
        super().check_service(service)
        if service.password:
            raise UnsupportedOperation(
                "V-SOL ONUs are registered by serial here; password/LOID registration is not supported"
            )
        return service

    def check_wan(self, wan):
        super().check_wan(wan)
        if wan.wan_mode == "bridge":
            raise UnsupportedOperation("a bridge WAN over V-SOL's private OMCI is not supported; use wan_mode 'router'")
        if wan.mode == "static" and not wan.dns1:
            raise InvalidInput("wan.dns1", "is required for a static WAN on V-SOL")
        self._wan_bind()
        return wan

    def check_bulk_change(self, change):
        super().check_bulk_change(change)
        if change.kind == "dns":
            raise UnsupportedOperation("V-SOL sets DNS only inside a static WAN: no bulk DNS change on this platform")
        return change

    def _pon_ports_option(self):
        """Target.options['pon_ports'] as a list of checked PON addresses, or None."""
        ports = self.target.options.get("pon_ports")
        if ports in (None, "", []):
            return None
        if isinstance(ports, str):
            ports = [port for port in re.split(r"[\s,]+", ports) if port]
        return [self.check_pon(str(port), "options.pon_ports") for port in ports]

    def _wan_bind(self):
        bind = str(self.target.options.get("wan_bind", self.default_wan_bind))
        for port in bind.split():
            if not re.fullmatch(r"(?:lan|ssid)[1-8]", port):
                raise InvalidInput("options.wan_bind", f"{port!r} is not lan1..lan8 or ssid1..ssid8")
        return bind

    def _save_command(self):
        model = str(self.target.options.get("model", "") or self.model).upper()
        return "write memory" if model.startswith("V1600GS") else "write"

    # -- session ----------------------------------------------------------------
    def _open(self):
        session = super()._open()
        # Once per session: a parse error then names the firmware it met.
        try:
            self.model, self.firmware = parse_firmware(session.read("show version"))
        except DriverError:
            session.close()
            raise
        if self.firmware:
            session.note(f"firmware {self.model or 'V-SOL'} {self.firmware}")
        return session

    def _read(self, command, mode=()):
        """A display command's text; V-SOL's "No related information to show" is an empty result."""
        try:
            return self.session.read(command, mode)
        except CommandRejected as error:
            if NO_INFORMATION.match(error.device_message.strip()):
                return ""
            raise

    # -- reads ----------------------------------------------------------------
    def _onu_table(self, pon):
        """``show onu info`` of one port -> {onu_id: OnuStatus} (serial, model)."""
        rows = parse_onu_info(self._read("show onu info", port_mode(pon)), pon, firmware=self.firmware)
        return {row.onu_id: row for row in rows if row.pon == pon}

    def _state_table(self, pon):
        """``show onu state`` of one port -> {onu_id: OnuStatus} (admin and run state)."""
        rows = parse_onu_state(self._read("show onu state", port_mode(pon)), pon, firmware=self.firmware)
        return {row.onu_id: row for row in rows if row.pon == pon}

    def _autofind(self, pon):
        commands = ["show onu auto-find", "show onu auto-find detail-info"]
        if _flag(self.target.options.get("autofind_detail")):
            commands.reverse()
        try:
            text = self._read(commands[0], port_mode(pon))
            return parse_autofind_output(text, pon, commands[0], self.firmware)
        except ParseError as error:
            # The other discovery command prints another layout.
            self.session.note(f"{error.message}: reading {commands[1]} instead")
            text = self._read(commands[1], port_mode(pon))
            return parse_autofind_output(text, pon, commands[1], self.firmware)

    def _onu_lines(self, pon, onu_id):
        """The ONU's own configuration lines (``show running-config onu N``)."""
        command = f"show running-config onu {onu_id}"
        if not self._whole_config:
            try:
                return config_lines(self._read(command, port_mode(pon)), onu_id, command, self.firmware)
            except CommandRejected as error:
                if not re.search(r"Unknown command|Too many parameters", error.device_message):
                    raise
                self.session.note("this firmware has no 'show running-config onu N': reading the whole configuration")
                self._whole_config = True
        return parse_running_config(self._read("show running-config")).get(pon, {}).get(onu_id, [])

    def _registered(self, ref, table=None):
        """The ONU-table row of ``ref`` (checking its serial when given), or None."""
        table = self._onu_table(ref.pon) if table is None else table
        row = table.get(ref.onu_id)
        if row and ref.serial and row.serial != v.normalize_serial(ref.serial):
            raise InvalidInput(
                "serial",
                f"ONU {ref.pon}:{ref.onu_id} holds {row.serial}, not {ref.serial}: nothing was changed",
            )
        return row

    def _require(self, ref, table=None):
        row = self._registered(ref, table)
        if row is None:
            raise CommandRejected(f"onu {ref.onu_id}", f"ONU {ref.pon}:{ref.onu_id} is not registered")
        return row

    # -- discover -------------------------------------------------------------
    def _discover(self):
        ports = self._pon_ports_option()
        found = []
        if ports:
            for pon in ports:
                found.extend(self._autofind(pon))
            return found
        # Not told which ports exist: walk 0/1, 0/2, ... until the OLT refuses
        # the interface; the first port must exist.
        for number in range(1, self.max_pon_ports + 1):
            pon = f"0/{number}"
            try:
                found.extend(self._autofind(pon))
            except CommandRejected as error:
                if number == 1 or error.command != f"interface gpon {pon}":
                    raise
                self.session.note(f"{pon} does not exist: the OLT has {number - 1} PON ports")
                break
        return found

    # -- convergence: one observe and one diff for every operation --------------
    def _converge_onu(self, pon, locate, want, context=None):
        """Bring one ONU to ``want(before, context)`` and return the engine's Converged.

        ``locate(context)`` reads what the operation needs to find the ONU
        (the port's ONU or state table) and returns ``(onu_id, view)``: the
        view of what it read, or None when the ONU's configuration must be
        read too (``show running-config onu N``).
        """
        context = {} if context is None else context
        context["pon"] = pon

        def observe():
            onu_id, view = locate(context)
            context["onu_id"] = onu_id
            if view is not None:
                return view
            # A bulk run hands the first read its share of one configuration
            # read for all ONUs; a read after a lost session is the ONU's own.
            lines = context.pop("lines", None) or self._onu_lines(pon, onu_id)
            view = onu_view(lines, onu_id)
            # Registered (the ONU table says so) even where the configuration
            # writes the registration another way.
            view.setdefault("onu", {"serial": context.get("serial", "")})
            return view

        def wanted(before, run_context):
            target = want(before, run_context)
            # The diff commits a WAN only on the way forward (see _commit).
            run_context["forward"] = target
            return target

        try:
            return converge(self, observe, wanted, self._difference, context)
        except RollbackFailed as error:
            if context.get("unrestorable"):
                _name_what_is_left(error, error.left + context["unrestorable"])
            raise
        except DriverError as error:
            if error.outcome in ("undone", "unchanged") and context.get("unrestorable"):
                # The read-back diff skips what cannot be put back, so the
                # engine saw nothing else left: these are.
                failed = RollbackFailed(
                    error, error, getattr(error, "transcript", None), still_applied=context["unrestorable"]
                )
                _name_what_is_left(failed, context["unrestorable"])
                raise failed from error
            raise

    @staticmethod
    def _undoable(context, target, steps_of):
        """The steps of one object; on the way back an object the OLT cannot
        put back is named (``context['unrestorable']``) and skipped, so the
        rest is still undone."""
        try:
            return steps_of()
        except Unrestorable as error:
            if target is context.get("forward"):
                raise
            reasons = context.setdefault("unrestorable", [])
            if error.message not in reasons:
                reasons.append(error.message)
            return []

    def _difference(self, current, target, context):
        """The steps that turn view ``current`` into view ``target`` (both directions)."""
        onu_id, mode = context["onu_id"], port_mode(context["pon"])
        if "onu" in current and "onu" not in target:
            # Removing the ONU takes its tconts, gemports, services, service
            # ports and WANs with it.
            return [Step(f"no onu {onu_id}", mode)]
        steps = []
        if "onu" in target and "onu" not in current:
            registration = target["onu"]
            if "profile" not in registration:
                reason = (
                    f"ONU {context['pon']}:{onu_id} ({registration['serial']}) was removed; "
                    "its registration and services cannot be rebuilt from what was read"
                )
                return self._undoable(context, target, lambda: _raise(Unrestorable(reason)))
            steps.append(Step(f"onu add {onu_id} profile {registration['profile']} sn {registration['serial']}", mode))
            current = {}
        wan_touched = False
        for key in sorted(target, key=_rank):
            if key != "onu" and (_visible(current.get(key)) != _visible(target[key]) or _secret(target[key])):
                steps += self._undoable(
                    context,
                    target,
                    lambda key=key: self._set(key, current.get(key), target[key], onu_id, mode, context),
                )
                wan_touched = wan_touched or key == "wan"
        for key in sorted((key for key in current if key not in target), key=_rank, reverse=True):
            steps += self._undoable(context, target, lambda key=key: self._unset(key, current[key], onu_id, mode))
            wan_touched = wan_touched or _family(key) in ("wan", "wan_extra")
        if self._commit(target, context, wan_touched):
            steps.append(Step(f"onu {onu_id} pri wan_adv commit", mode, capture=_committed))
        return steps

    @staticmethod
    def _commit(target, context, wan_touched):
        """Whether the WAN lines must be committed to the ONU.

        The configuration does not show whether a WAN was committed: on the
        way forward a wanted WAN is committed in every call (a re-run after a
        drop just before the commit must not leave it uncommitted); on the way
        back only if this call had committed what it takes back.
        """
        if target is context.get("forward"):
            return "wan" in target and target["wan"].get("commit", False)
        return wan_touched and context.get("committed", False)

    def _set(self, key, have, want, onu_id, mode, context):
        family, _, name = key.partition(":")
        prefix = f"onu {onu_id}"
        if family == "desc":
            return [Step(f"{prefix} desc {want}", mode)]
        if family == "tcont":
            return [Step(f"{prefix} tcont {name} name {want['name']} dba {want['dba']}", mode)]
        if family == "gemport":
            return [Step(f"{prefix} gemport {name} tcont {want['tcont']} gemport_name {want['name']}", mode)]
        if family == "traffic":
            gemport, direction = name.split(":")
            return [Step(f"{prefix} gemport {gemport} traffic-limit {direction} {want}", mode)]
        if family in ("service", "service_port"):
            create = (
                f"{prefix} service {name} gemport {want['gemport']} vlan {want['vlan']}"
                if family == "service"
                else f"{prefix} service-port {name} gemport {want['gemport']} uservlan {want['user_vlan']} "
                f"vlan {want['vlan']} new_cos {want['cos']}"
            )
            # Same name, other values: the device keeps the first, so it goes first.
            return ([] if have is None else self._unset(key, have, onu_id, mode)) + [Step(create, mode)]
        if family == "portvlan":
            value = "transparent" if want["mode"] == "transparent" else f"tag vlan {want['vlan']}"
            return [Step(f"{prefix} portvlan {name} mode {value}", mode)]
        if family == "wan":
            return self._set_wan(have, want, onu_id, mode, context)
        if family == "wifi":
            return [Step(self._wifi_command(onu_id, name, want), mode)]
        if family == "admin":
            return [Step(f"{prefix} {'activate' if want == 'enable' else 'deactivate'}", mode)]
        raise Unrestorable(f"ONU {onu_id}: {key} cannot be put back by this driver")

    def _unset(self, key, have, onu_id, mode):
        family, _, name = key.partition(":")
        prefix = f"onu {onu_id}"
        if family in ("tcont", "gemport"):
            return [Step(f"no {prefix} {family} {name}", mode)]
        if family == "service":
            return [Step(f"no {prefix} service {name}", mode)]
        if family == "service_port":
            return [Step(f"no {prefix} service-port {name}", mode)]
        if family in ("wan", "wan_extra"):
            return [Step(f"{prefix} pri wan_adv delete index {have['index']}", mode)]
        # No public source shows a command that clears these (a description,
        # a traffic limit, a port VLAN, an SSID): what was set stays set.
        raise Unrestorable(f"ONU {onu_id}: {key} was set by this call and the OLT has no command to clear it")

    def _set_wan(self, have, want, onu_id, mode, context):
        prefix = f"onu {onu_id} pri wan_adv"
        if have is None:
            index = lambda ctx: ctx["wan_index"]  # noqa: E731 - the OLT chooses it
            steps = [Step(f"{prefix} add route", mode, capture=_capture_wan_index)]
        else:
            index = lambda ctx, number=have["index"]: number  # noqa: E731
            steps = []

        def line(text):
            return Step(lambda ctx: f"{prefix} index {index(ctx)} {text}", mode)

        have = have or {}
        if (have.get("service"), have.get("mtu")) != ("internet", want["mtu"]):
            steps.append(line(f"route mode internet mtu {want['mtu']}"))
        ipv4 = ("ipv4", "user", "nat", "ip", "mask", "gateway", "dns1", "dns2")
        if [have.get(k) for k in ipv4] != [want.get(k) for k in ipv4] or _secret(want):
            steps.append(line(self._wan_ipv4(want, onu_id)))
        if (have.get("vlan"), have.get("priority")) != (want["vlan"], want["priority"]):
            steps.append(line(f"vlan tag wan_vlan {want['vlan']} {want['priority']}"))
        if have.get("bind") != want["bind"]:
            steps.append(line(f"bind {' '.join(want['bind'])}"))
        return steps

    @staticmethod
    def _wan_ipv4(want, onu_id):
        nat = "nat enable" if want.get("nat", True) else "nat disable"
        if want["ipv4"] == "pppoe":
            if not want.get("password"):
                raise Unrestorable(
                    f"ONU {onu_id}: the OLT masks the PPPoE password of the WAN user {want['user']}: "
                    "that WAN cannot be put back as it was"
                )
            return f"route ipv4 pppoe proxy disable user {want['user']} pwd {want['password']} mode auto {nat}"
        if want["ipv4"] == "dhcp":
            return f"route ipv4 dhcp {nat}"
        return (
            f"route ipv4 static ip {want['ip']} mask {want['mask']} gw {want['gateway']} "
            f"dns master {want['dns1']} slave {want['dns2']} {nat}"
        )

    @staticmethod
    def _wifi_command(onu_id, index, want):
        hide = "enable" if want["hidden"] else "disable"
        if want["auth"] == "open":
            security = "auth_mode open encrypt_type none"
        elif want.get("key"):
            security = (
                f"auth_mode {want['auth']} encrypt_type {want['encrypt']} shared_key {want['key']} "
                f"rekey_interval {want['rekey']}"
            )
        else:
            raise Unrestorable(f"ONU {onu_id}: the OLT masks the key of SSID {index}: it cannot be put back as it was")
        return f"onu {onu_id} pri wifi_ssid {index} name {want['ssid']} hide {hide} {security}"

    # -- what each operation wants ---------------------------------------------
    def _wan_value(self, have, wan):
        value = {
            "service": "internet",
            "mtu": wan.mtu or 1492,
            "ipv4": wan.mode,
            "nat": True,
            "vlan": wan.vlan,
            "priority": 0,
            "bind": self._wan_bind().split(),
            "commit": True,
        }
        if have is not None:
            value["index"] = have["index"]
        if wan.mode == "pppoe":
            value.update(user=wan.username, password=wan.password)
        elif wan.mode == "static":
            value.update(ip=wan.ip, mask=wan.netmask, gateway=wan.gateway, dns1=wan.dns1, dns2=wan.dns2 or wan.dns1)
        return value

    @staticmethod
    def _wifi_value(wifi):
        value = {"ssid": wifi.ssid, "hidden": wifi.hidden, "auth": wifi.auth_mode, "rekey": 0}
        if wifi.auth_mode == "open":
            value["encrypt"] = "none"
        else:
            value.update(encrypt=wifi.encrypt, key=wifi.key)
        return value

    def _want_wan_wifi(self, target, wan, wifi):
        if wan is not None:
            target["wan"] = self._wan_value(target.get("wan"), wan)
            for key in [key for key in target if key.startswith("wan_extra:")]:
                del target[key]  # a duplicate left by an interrupted run
        for item in wifi:
            target[f"wifi:{item.index}"] = self._wifi_value(item)
        return target

    def _want_service(self, target, service, serial):
        if "onu" not in target:
            target["onu"] = {"profile": service.line_profile or self.default_onu_profile, "serial": serial}
        if service.description:
            target["desc"] = service.description
        tcont, gem = service.tcont, service.gemport
        user_vlan = service.user_vlan or service.vlan
        # Objects that exist are kept as they are: the device keeps the first
        # tcont and gemport of a number and answers "already exists".
        target.setdefault(
            f"tcont:{tcont}", {"name": "INTERNET", "dba": service.dba_profile or self.default_dba_profile}
        )
        target.setdefault(f"gemport:{gem}", {"tcont": tcont, "name": "INTERNET"})
        if service.traffic_profile:
            target[f"traffic:{gem}:downstream"] = service.traffic_profile
        _one_per_gemport(target, "service", gem, {"gemport": gem, "vlan": service.vlan})
        _one_per_gemport(
            target, "service_port", gem, {"gemport": gem, "user_vlan": user_vlan, "vlan": service.vlan, "cos": 0}
        )
        target["portvlan:veip 1"] = {"mode": "tag", "vlan": user_vlan}
        return target

    def _locate_serial(self, pon, serial, onu_id):
        """``locate`` for provisioning: the ONU holding ``serial``, or the id it will get."""

        def locate(context):
            table = self._onu_table(pon)
            registered = next((number for number, row in table.items() if row.serial == serial), None)
            if registered is not None:
                context["serial"] = serial
                return registered, None
            # Chosen once: a re-read after a lost session keeps the same id.
            chosen = context.get("onu_id") or onu_id or _lowest_free(table, *self.onu_id_range)
            if chosen is None:
                raise CommandRejected(f"onu add on {pon}", f"no free ONU id left on {pon}")
            if chosen in table:
                raise CommandRejected(
                    f"onu add {chosen}", f"ONU id {chosen} on {pon} already holds {table[chosen].serial}"
                )
            return chosen, {}

        return locate

    def _locate_ref(self, ref, table_cache=None):
        """``locate`` for an ONU named by its reference (ONU table read once per port)."""

        def locate(context):
            cache = table_cache if table_cache is not None else {}
            if ref.pon not in cache:
                cache[ref.pon] = self._onu_table(ref.pon)
            context["serial"] = self._require(ref, cache[ref.pon]).serial
            return ref.onu_id, None

        return locate

    def _provisioned(self, converged, serial=""):
        context, after = converged.context, converged.after
        return ProvisionResult(
            pon=context["pon"],
            onu_id=context["onu_id"],
            serial=serial or after.get("onu", {}).get("serial", ""),
            service_ports=sorted(int(key.split(":")[1]) for key in after if key.startswith("service_port:")),
            onu_existed="onu" in converged.before,
            created=sorted(converged.created, key=_rank),
            preexisting=sorted(key for key in converged.preexisting if not key.startswith("wan_other:")),
        )

    # -- provision --------------------------------------------------------------
    def _provision(self, service, wan, wifi):
        serial = v.normalize_serial(service.serial)
        pon = self.check_pon(service.pon)

        def want(before, context):
            target = self._want_service(dict(before), service, serial)
            return self._want_wan_wifi(target, wan, wifi)

        converged = self._converge_onu(pon, self._locate_serial(pon, serial, service.onu_id), want)
        return self._provisioned(converged, serial)

    def _provision_wan(self, ref, wan):
        converged = self._converge_onu(
            ref.pon, self._locate_ref(ref), lambda before, _: self._want_wan_wifi(dict(before), wan, ())
        )
        return self._provisioned(converged, ref.serial)

    def _provision_wifi(self, ref, wifi):
        converged = self._converge_onu(
            ref.pon, self._locate_ref(ref), lambda before, _: self._want_wan_wifi(dict(before), None, [wifi])
        )
        return self._provisioned(converged, ref.serial)

    # -- suspend / resume / remove ---------------------------------------------
    def _set_admin(self, ref, admin):
        def locate(context):
            row = self._state_table(ref.pon).get(ref.onu_id)
            if row is None:
                raise CommandRejected(f"onu {ref.onu_id}", f"ONU {ref.pon}:{ref.onu_id} is not registered")
            if ref.serial and not row.serial:
                self._require(ref)
            elif ref.serial and row.serial != v.normalize_serial(ref.serial):
                raise InvalidInput(
                    "serial", f"ONU {ref.pon}:{ref.onu_id} holds {row.serial}, not {ref.serial}: nothing was changed"
                )
            context["row"] = row
            return ref.onu_id, {"admin": "enable" if row.admin_state == "enabled" else "disable"}

        converged = self._converge_onu(ref.pon, locate, lambda before, _: dict(before, admin=admin))
        row = converged.context["row"]
        return OnuStatus(
            pon=ref.pon,
            onu_id=ref.onu_id,
            serial=row.serial or ref.serial,
            admin_state="enabled" if admin == "enable" else "disabled",
            # not read again after a change: the phase follows in its own time
            run_state=row.run_state if not converged.changed else "",
        )

    def _suspend(self, ref):
        return self._set_admin(ref, "disable")

    def _resume(self, ref):
        return self._set_admin(ref, "enable")

    def _remove(self, ref):
        def locate(context):
            row = self._registered(ref)
            context["row"] = row
            return ref.onu_id, ({"onu": {"serial": row.serial}} if row else {})

        converged = self._converge_onu(ref.pon, locate, lambda before, _: {})
        if not converged.before:
            self.session.note(f"ONU {ref.pon}:{ref.onu_id} is not registered: nothing to remove")
        return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": bool(converged.before)}

    # -- status / save ------------------------------------------------------------
    def _reboot_step(self, ref):
        # 'onu reset N' in the PON interface (public V-SOL GPON automation code,
        # firmware not stated; no capture of its answer).
        return Step(f"onu reset {ref.onu_id}", port_mode(ref.pon))

    def _status(self, ref):
        row = self._state_table(ref.pon).get(ref.onu_id)
        if row is None:
            raise CommandRejected(f"onu {ref.onu_id}", f"ONU {ref.pon}:{ref.onu_id} is not registered")
        if not row.serial or ref.serial:
            info = self._require(ref)
            row.serial, row.model = info.serial, info.model
        if row.run_state == "online":
            optical = self._optical(ref)
            if optical is not None:
                row.rx_power_dbm = optical.rx_power_dbm
                row.tx_power_dbm = optical.tx_power_dbm
                row.olt_rx_power_dbm = optical.olt_rx_power_dbm
        return row

    # -- reading the whole ONU table back -------------------------------------------------
    def _inventory(self, pons):
        """Per PON port the ONU table (serial, model) and the state table (admin and
        run state); one running configuration for the descriptions; then the optical
        levels of each online ONU, one ``optical_info`` each: no public source shows
        a port-wide optical table on these OLTs (``options.inventory_optical`` false
        leaves them out)."""
        pons = pons or self._pon_ports_option() or self._walk_ports()
        config = parse_running_config(self._read("show running-config"))
        optical = self.target.options.get("inventory_optical", True) not in (False, "false", "0", 0)
        found = []
        for pon in pons:
            # Each port's reads one after the other: the session enters its interface once.
            table = self._onu_table(pon)
            for onu_id, state in self._state_table(pon).items():
                row = table.setdefault(onu_id, state)
                row.admin_state, row.run_state = state.admin_state, state.run_state
                row.serial = row.serial or state.serial
            for onu_id in sorted(table):
                row = table[onu_id]
                row.description = onu_view(config.get(pon, {}).get(onu_id, []), onu_id).get("desc", "")
                if optical and row.run_state == "online":
                    levels = self._optical(OnuRef(pon, onu_id))
                    if levels is not None:
                        row.rx_power_dbm, row.tx_power_dbm = levels.rx_power_dbm, levels.tx_power_dbm
                        row.olt_rx_power_dbm = levels.olt_rx_power_dbm
                found.append(row)
        return found

    def _walk_ports(self):
        """0/1, 0/2, ... until the OLT refuses the interface (as discovery does)."""
        ports = []
        for number in range(1, self.max_pon_ports + 1):
            pon = f"0/{number}"
            try:
                self._read("show onu state", port_mode(pon))
            except CommandRejected as error:
                if number == 1 or error.command != f"interface gpon {pon}":
                    raise
                break
            ports.append(pon)
        return ports

    def _optical(self, ref):
        configured = self.target.options.get("optical_command")
        commands = (configured,) if configured else self.optical_commands
        for command in commands:
            typed = command.format(onu_id=ref.onu_id)
            try:
                text = self._read(typed, port_mode(ref.pon))
            except CommandRejected as error:
                self.session.note(f"RX power not read: {error.device_message}")
                continue
            return parse_optical(text, ref.pon, ref.onu_id, typed, self.firmware)[0]
        return None

    def _save(self):
        command = self._save_command()
        self.session.execute(command, ())
        return {"saved": True, "command": command}

    # -- bulk ---------------------------------------------------------------------
    def _bulk_order(self, refs):
        # Grouped by port, so the session enters each PON interface once and
        # reads each port's ONU table once.
        return sorted(range(len(refs)), key=lambda i: (_pon_key(refs[i].pon), refs[i].onu_id))

    def _apply_change(self, ref, change, context):
        tables = context.setdefault("tables", {})

        def want(before, _):
            target = dict(before)
            ports = sorted(
                (value["gemport"], int(key.split(":")[1]))
                for key, value in before.items()
                if key.startswith("service_port:")
            )
            gem = ports[0][0] if ports else 1
            if change.kind == "traffic_profile":
                target[f"traffic:{gem}:downstream"] = str(change.params["profile"])
                return target
            vlan = v.check_vlan(change.params.get("vlan"), "params.vlan")
            old = before.get(f"service_port:{ports[0][1]}", {}) if ports else {}
            # New service and service port first, the old ones removed after:
            # the subscriber is never left without one.
            _one_per_gemport(target, "service", gem, {"gemport": gem, "vlan": vlan})
            _one_per_gemport(
                target,
                "service_port",
                gem,
                {"gemport": gem, "user_vlan": vlan, "vlan": vlan, "cos": old.get("cos", 0)},
            )
            if "portvlan:veip 1" in target:
                target["portvlan:veip 1"] = {"mode": "tag", "vlan": vlan}
            if "wan" in target and target["wan"].get("vlan") == old.get("user_vlan"):
                # A routed ONU tags its WAN with the user VLAN: it follows.
                target["wan"] = dict(target["wan"], vlan=vlan, commit=True)
            return target

        if "config" not in context:
            # Read once for the whole run, every port: the ONUs' lines as the
            # configuration holds them.
            context["config"] = parse_running_config(self._read("show running-config"))
        visited = context.setdefault("visited", set())
        # An ONU tried again (after a lost session) is read afresh.
        lines = None if (ref.pon, ref.onu_id) in visited else context["config"].get(ref.pon, {}).get(ref.onu_id)
        visited.add((ref.pon, ref.onu_id))
        self._converge_onu(ref.pon, self._locate_ref(ref, tables), want, {"lines": lines})

    # -- parsing a captured terminal session ----------------------------------------
    @classmethod
    def _output(cls, text, command):
        return parsing.command_output(clean_output(text, cls.async_patterns), command)

    @classmethod
    def parse_autofind_command(cls, text, command, **_):
        return parse_autofind_output(cls._output(text, command), port_of_capture(text), command)

    @classmethod
    def parse_onu_info_command(cls, text, command, **_):
        return parse_onu_info(cls._output(text, command), port_of_capture(text), command)

    @classmethod
    def parse_onu_state_command(cls, text, command, **_):
        return parse_onu_state(cls._output(text, command), port_of_capture(text), command)

    @classmethod
    def parse_optical_command(cls, text, command, onu_id, **_):
        return parse_optical(cls._output(text, command), port_of_capture(text), int(onu_id), command)

    @classmethod
    def parse_onu_config_command(cls, text, command, onu_id, **_):
        lines = config_lines(cls._output(text, command), int(onu_id), command)
        return service_ports_of(lines, port_of_capture(text), int(onu_id))

    @classmethod
    def parse_autofind(cls, text):
        """Auto-find output as captured from a terminal -> [DiscoveredOnu].

        The capture may hold several ports' outputs with their prompts and
        echoed commands; each auto-find block is parsed with the PON port of
        the prompt it was typed at (``gpon-olt(config-pon-0/1)#``).
        """
        text = clean_output(text, cls.async_patterns)
        found = []
        for pon, block in _autofind_blocks(text):
            found.extend(parse_autofind_output(block, pon))
        return found


def _name_what_is_left(error, reasons):
    error.left = error.still_applied = list(dict.fromkeys(reasons))
    error.outcome = "left"
    error.message = f"{error.original.message}; not everything could be put back: {'; '.join(error.left)}"
    error.args = (error.message,)


def _visible(value):
    """A view value without what the device never shows (secrets, directives)."""
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key not in ("password", "key", "commit", "index")}
    return value


def _secret(value):
    """Whether a wanted value carries a secret the device masks: it is sent every time."""
    return isinstance(value, dict) and bool(value.get("password") or value.get("key"))


def _one_per_gemport(target, family, gemport, value):
    """The contract's ``family`` object on ``gemport`` holds ``value``.

    One that matches is kept; when none does, a new one is added under a
    free name (so it exists before the old one goes) and the first one of
    the gemport, the contract's previous one, is removed.  Any other object
    on the gemport was made by someone else: it is kept as it is, so neither
    the way forward nor an undo removes it.
    """
    keys = sorted((key for key in target if _family(key) == family and target[key]["gemport"] == gemport), key=_rank)
    if any(target[key] == value for key in keys):
        return
    taken = {key.split(":", 1)[1] for key in target if _family(key) == family}
    if keys:
        del target[keys[0]]
    if family == "service":
        names = [f"ser_{gemport}"] + [f"ser_{gemport}_{value['vlan']}"] + [f"ser_{gemport}_{n}" for n in range(2, 99)]
    else:
        names = [str(n) for n in range(1, 129)]
    target[f"{family}:{next(name for name in names if name not in taken)}"] = value


def _raise(error):
    raise error


def _committed(_text, context):
    context["committed"] = True


def _autofind_blocks(text):
    """(pon, output) of every auto-find command in a capture; the whole text if it has no prompts."""
    blocks, current, pon, collecting, seen_prompt = [], [], "", False, False
    for line in text.split("\n"):
        prompt = _CAPTURE_PROMPT.match(line.strip()) if re.search(r"[>#]", line) else None
        if prompt and _looks_like_prompt(line):
            seen_prompt = True
            if collecting:
                blocks.append((pon, "\n".join(current)))
            context = prompt.group("context") or ""
            port = re.search(r"(?:pon|gpon)[-_ ]?(\d+/\d+)", context)
            pon = port.group(1) if port else ""
            command = prompt.group("command").strip()
            entered = re.match(r"interface gpon (\d+/\d+)$", command)
            if entered:
                pon = entered.group(1)
            collecting = "auto-find" in command or "autofind" in command
            current = []
            continue
        if collecting:
            current.append(line)
    if collecting:
        blocks.append((pon, "\n".join(current)))
    if not seen_prompt:
        blocks.append(("", text))
    return blocks


def _looks_like_prompt(line):
    # A prompt starts at column 0 with the host name; table rows start with
    # GPON/digits and never hold '>' or '#'.
    return bool(re.match(r"^[A-Za-z][\w.\-]*(?:\([^)]*\))?[>#]", line.strip()))


def _capture_wan_index(text, context):
    match = _NUMBER_IS.search(text)
    if not match:
        raise ParseError(f"the OLT did not say which WAN index it created: {text.strip()[:80]!r}")
    context["wan_index"] = int(match.group(1))


def _lowest_free(table, low, high):
    for onu_id in range(low, high + 1):
        if onu_id not in table:
            return onu_id
    return None


def _pon_key(pon):
    return tuple(int(part) for part in pon.split("/"))


def _flag(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")
