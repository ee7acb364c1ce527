"""Huawei SmartAX GPON OLTs: MA5600T, MA5683T, MA5608T and MA5800.

Like a Netmiko vendor module, this only changes the CLI defaults (device
types, error words, prompts) and says what the device holds and how to change
it.  Facts relied upon (sources: tests/drivers/captures/huawei/ and README):

- Modes: ``#`` -> ``config`` -> ``interface gpon F/S``; ``quit`` leaves one.
  ONT commands run in the GPON interface and take the port and the ONT id
  (``ont add P ...``); service ports are global (config mode) and take F/S/P.
- ``ont add`` without an id lets the OLT pick the lowest free one and says
  ``PortID :P, ONTID :N``; sn-auth takes the 16-hex serial.  A service port
  without an index gets the lowest free one.
- ``Failure: Make configuration repeatedly`` and ``Failure: Service virtual
  port has existed already`` mean the wanted state is there already.
- The firmware is read once per session (``display version``).  OMCI WAN:
  MA5608T/MA5600 V800R013 and V800R015 answer ``% Unknown command`` to
  ``ont internet-config`` / ``ont wan-config`` (a live test on
  MA5600V800R015C00); public MA5800 automation makes a routed WAN with
  ``ont ipconfig`` + ``ont internet-config`` + ``ont wan-config ... profile-id``.
  ``Target.options['omci_wan']`` ('wan-config' | 'internet-config' | 'none')
  overrides what the model/firmware implies.
- OLT-side WiFi (``ont wifi ...``) has no public source: it is sent only with
  ``Target.options['olt_wifi']`` set, on MA5800 V100R019 or later.
- Deleting an ONT deletes its OMCI settings (WAN, WiFi) with it, but not its
  service ports: those go first.  A service port's traffic tables change in
  place (``service-port N inbound traffic-table ...``), never by re-creating it.

Convergence: ``_observe`` reads what the device holds for one ONU into a view,
the operations say what they want, ``_diff`` lists the commands between two
views in either direction; ``engine.converge`` does the rest.  A PPPoE
password or a WiFi key cannot be read back: ``provision`` takes a WAN or SSID
with the wanted mode, VLAN and name as done, ``provision_wan``/``_wifi`` send
them again.

Target.options: ``frame`` (for two-part PON addresses, default 0), ``model``
and ``firmware`` (what the box is, before connecting), ``omci_wan``
('wan-config' | 'internet-config' | 'none'), ``wan_ip_index`` (1),
``wan_profile_id`` (the OLT's routed WAN profile, 0), ``olt_wifi`` (send the
unconfirmed ``ont wifi`` syntax), plus the session options of drivers/base.py.
"""

import contextlib
import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from netmiko.exceptions import NetmikoAuthenticationException
from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH

from . import engine, parsing
from . import validation as v
from .cli import CliOltDriver, clean_output
from .engine import Step, converge
from .errors import CommandRejected, DriverError, InvalidInput, ParseError, UnsupportedOperation
from .models import DiscoveredOnu, OnuStatus, OnuWan, OnuWifi, ProvisionResult, ServicePort
from .parsing import Column, TableSpec

# Alarm blocks the OLT prints whenever something happens on a port, in the
# middle of whatever it was answering: a header line starting with "!" or
# "ALARM" ("! EVENT WARNING ...", "ALARM 21837 FAULT MAJOR ..."), then lines
# up to "--- END".  The header is matched at the start of a line only, which
# keeps this cheap on a 2,000-ONU auto-find listing.
_ALARM_BLOCK = r"^[ \t]*(?:!|ALARM\b)[^\n]*\n.*?^[ \t]*-+[ \t]*END[ \t]*$\n?"
# After a completion prompt is answered the OLT repeats the command it is
# about to run ("  Command:" and the command on the next line).
_COMMAND_ECHO = r"^[ \t]*Command:[ \t]*\n[^\n]*(?:\n|$)"
_ONT_ID = re.compile(r"ONTID\s*:\s*(\d+)")
_NO_PASSWORD = re.compile(r"^(0x)?0*$")
_FSP = r"\d+\s*/\s*\d+\s*/\s*\d+"
#: a "key : value" line of 'display ont info' (keys: letters, digits, spaces, ( ) / - .)
_INFO_LINE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9 ()/.\-]*?)\s*:(?P<value>.*)$")
_PROFILE_KEYS = ("Line profile ID", "Line profile name", "Service profile ID", "Service profile name")
_VERSION = re.compile(r"^\s*VERSION\s*:\s*(\S+)", re.MULTILINE)
_PRODUCT = re.compile(r"^\s*PRODUCT\s*:\s*(\S+)", re.MULTILINE)

#: what the OLT answers when a display command finds nothing
_NO_AUTOFIND = r"Failure: The automatically found ONTs do not exist"
_NO_ONT = r"The required ONT does not exist|Failure: The ONT does not exist"
_NO_ONT_ON_PORT = r"Failure: (?:There is no ONT available|The ONT does not exist)"
_NO_SERVICE_PORT = r"Failure: No service virtual port can be operated"
# wan-info and wlan-info ask the ONT itself: an offline ONT cannot answer.
_ONT_CANNOT_TELL = r"Failure: The ONT is not online|The ONT can not support|Failure:"

WAN_METHODS = ("wan-config", "internet-config", "none")


def _fsp(text):
    """'0/ 1/0' or '0/1 /0' -> '0/1/0'."""
    return re.sub(r"\s+", "", text)


def _number(text):
    """A printed number, or None for '-' and the like."""
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*(?:,.*)?", text or "")
    return float(match.group(1)) if match else None


def _integer(text):
    value = _number(text)
    return int(value) if value is not None else None


def _serial(printed, bracketed=""):
    """The 12-character vendor form of a printed serial; as printed when it is
    none (anonymised captures print random letters there)."""
    for candidate in (printed, bracketed):
        try:
            return v.normalize_serial(candidate)
        except InvalidInput:
            continue
    return (printed or bracketed).upper()


def _admin(flag):
    # "configuring": the OLT is still sending the ONT its configuration; it is not deactivated.
    return {"active": "enabled", "configuring": "enabled", "deactivated": "disabled"}.get((flag or "").lower(), "")


def _run(state):
    state = (state or "").lower()
    return state if state in ("online", "offline") else ""


def _cause(text):
    text = (text or "").strip()
    return "" if text in ("", "-") else text.lower()


# -- tables, read by their header --------------------------------------------------
_ONT_TABLE = TableSpec(
    "ONT",
    (
        Column("F/S/P", "fsp", _FSP),
        Column("ONT", "ont_id", r"\d+"),
        Column("SN", "serial"),
        Column("Control", "control_flag"),
        Column("Run", "run_state"),
        Column("Config", "config_state"),
        Column("Match", "match_state"),
        Column("Protect", "protect_side", required=False),
    ),
    row=rf"^\s*{_FSP}\s+\d+\s",
)
_DESCRIPTION_TABLE = TableSpec(
    "description",
    (
        Column("F/S/P", "fsp", _FSP),
        Column("ONT-ID|ONT", "ont_id", r"\d+"),
        Column("Description", "description", rest=True),
    ),
    row=rf"^\s*{_FSP}\s+\d+(\s|$)",
    wraps=True,
)
_PORT_TOTAL = r"^\s*In port\s+" + _FSP + r"\s*,\s*the total"
_SUMMARY_STATE = TableSpec(
    "state",
    (
        Column("ONT", "ont_id", r"\d+"),
        Column("Run", "run_state"),
        Column("Last", "up_time", r"-|\S+\s+\d{1,2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?"),
        Column("Last", "down_time", r"-|\S+\s+\d{1,2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2})?"),
        Column("Last", "down_cause", rest=True),
    ),
    row=r"^\s*\d+\s+[a-z-]+\s",
)
_SUMMARY_POWER = TableSpec(
    "power",
    (
        Column("ONT", "ont_id", r"\d+"),
        Column("SN", "serial"),
        Column("Type", "model"),
        Column("Distance", "distance"),
        Column("Rx/Tx power", "power"),
        Column("Description", "description", rest=True),
    ),
    row=r"^\s*\d+\s+\S{8,}\s",
)
_OPTICAL_TABLE = TableSpec(
    "optical",
    (
        Column("ONT", "ont_id", r"\d+"),
        Column("Rx power", "rx_power"),
        Column("Tx power", "tx_power"),
        Column("OLT Rx ONT", "olt_rx_power"),
        Column("Temperature", "temperature", required=False),
        Column("Voltage", "voltage", required=False),
        Column("Current", "current", required=False),
        Column("Distance", "distance", required=False),
    ),
    row=r"^\s*\d+\s+\S",
)
_SERVICE_PORT_TABLE = TableSpec(
    "service-port",
    (
        Column("INDEX", "index", r"\d+"),
        Column("VLAN", "vlan", r"\d+"),
        Column("VLAN", "vlan_attr"),
        Column("PORT", "port_type"),
        Column("F/ S/ P", "fsp", _FSP),
        Column("VPI", "ont_id", r"\d+|-"),
        Column("VCI", "gemport", r"\d+|-"),
        Column("FLOW", "flow_type"),
        Column("FLOW", "flow_para"),
        Column("RX", "rx"),
        Column("TX", "tx"),
        Column("STATE", "state"),
    ),
    row=r"^\s*\d+\s+\d+\s",
    skip=(r"^\s*Total\s*:",),
    stop=(r"^\s*Note\s*:",),
)
_SURROUNDINGS = (
    r"^\s*Command is being executed",
    r"^\s*Switch-Oriented Flow List\s*$",
    _PORT_TOTAL,
)


class HuaweiSmartAXQuickLogout(HuaweiSmartAXSSH):
    """Netmiko's SmartAX class whose logout gives up after a few seconds.

    Netmiko waits 30 s for "Are you sure to log out? (y/n)[n]:"; an OLT that
    refused 'quit' (a session left in a sub-mode, a rejected command) never
    asks it, and the transport is closed anyway right after.
    """

    logout_timeout = 3.0

    def cleanup(self, command="quit"):
        try:
            self.write_channel(command + self.RETURN)
        except (OSError, EOFError):
            return
        deadline = time.monotonic() + self.logout_timeout
        output = ""
        while time.monotonic() < deadline:
            try:
                output += self.read_channel()
            except (OSError, EOFError):
                return
            if "(y/n)" in output:
                self.write_channel("y" + self.RETURN)
                output = ""
            elif "Configuration console exit" in output:
                return
            time.sleep(0.01)


class HuaweiSmartAXTelnet(HuaweiSmartAXQuickLogout):
    """Netmiko's SmartAX class with a Telnet login driven by what the OLT prints.

    Netmiko's generic telnet_login sleeps a fixed 2.5 s or more per login;
    this one answers ``>>User name:`` and ``>>User password:`` as soon as they
    appear and returns at the first prompt.
    """

    # "Username or password invalid.", "Reenter times have reached the upper
    # limit.", a user or address locked after failed logins
    _LOGIN_FAILED = re.compile(r"invalid|Reenter times|authentication fail|locked", re.IGNORECASE)

    def telnet_login(
        self,
        pri_prompt_terminator=r"#\s*$",
        alt_prompt_terminator=r">\s*$",
        username_pattern=r"(?:user:|username|login|user name)",
        pwd_pattern=r"assword",
        delay_factor=1.0,
        max_loops=20,
    ):
        deadline = time.monotonic() + max(self.auth_timeout or 0, self.conn_timeout or 0, 5)
        output, pending, sent = "", "", set()
        while time.monotonic() < deadline:
            try:
                chunk = self.read_channel()
            except EOFError:
                # The OLT hangs up after refused credentials.
                raise NetmikoAuthenticationException(f"Login failed: {self.host}") from None
            if not chunk:
                time.sleep(0.01)
                continue
            output += chunk
            pending += chunk
            if "user" not in sent and re.search(username_pattern, pending, re.IGNORECASE):
                self.write_channel(self.username + "\r")
                sent.add("user")
                pending = ""
            elif "user" in sent and "password" not in sent and re.search(pwd_pattern, pending, re.IGNORECASE):
                self.write_channel(self.password + "\r")
                sent.add("password")
                pending = ""
            elif "password" not in sent:
                continue
            elif re.search(r"YES.NO", pending):
                self.write_channel("yes\r")
                pending = ""
            elif re.search(pri_prompt_terminator, pending, re.MULTILINE) or re.search(
                alt_prompt_terminator, pending, re.MULTILINE
            ):
                return output
            elif self._LOGIN_FAILED.search(pending) or re.search(r"user name\s*:\s*$", pending, re.IGNORECASE):
                self.remote_conn.close()
                raise NetmikoAuthenticationException(f"Login failed: {self.host}")
        self.remote_conn.close()
        raise NetmikoAuthenticationException(f"Login timed out: {self.host}")


class HuaweiDriver(CliOltDriver):
    platform = "huawei"
    device_types: ClassVar[dict] = {
        "ssh": "huawei_smartax",
        "telnet": "huawei_olt_telnet",
    }
    netmiko_classes: ClassVar[dict] = {
        "ssh": HuaweiSmartAXQuickLogout,
        "telnet": HuaweiSmartAXTelnet,
    }
    exit_command = "quit"
    # SmartAX 'enable' asks no password.
    enable_secret = False
    pon_parts = 3
    onu_id_range = (0, 127)
    olt_assigns_onu_id = True
    wifi_index_max = 4

    error_patterns = (
        r"% Unknown command",
        r"% Parameter error",
        r"% Incomplete command",
        r"% Too many parameters",
        r"% Ambiguous command",
        r"^\s*Failure:",
        r"The ONT ID has already existed",
        r"^\s*Error:",
    )
    done_patterns = (
        r"Failure: Make configuration repeatedly",
        r"Failure: Service virtual port has existed already",
    )
    busy_patterns = (r"Failure: System is busy",)
    async_patterns = (_ALARM_BLOCK, _COMMAND_ECHO)

    #: Target.options['wan_profile_id']: the OLT's WAN profile (routed, NAT)
    #: that ``ont wan-config`` binds a WAN to
    default_wan_profile = 0

    def __init__(self, target):
        super().__init__(target)
        #: what ``display version`` said in the current session ("" until read)
        self.firmware = ""
        self.product = ""
        #: counts logins, so a per-port read cached before a reconnect is read again
        self.sessions = 0

    # -- session -------------------------------------------------------------------
    def _open(self):
        session = super()._open()
        self.sessions += 1
        text = session.execute("display version", ()).text
        version, product = _VERSION.search(text), _PRODUCT.search(text)
        self.firmware = version.group(1) if version else ""
        self.product = product.group(1) if product else ""
        session.note(f"firmware {self.firmware or 'not reported'} ({self.product or 'product not reported'})")
        return session

    # -- what this box can do -------------------------------------------------------
    def _declared(self):
        options = self.target.options
        return f"{options.get('model', '')} {options.get('firmware', '')}".upper()

    @staticmethod
    def _wan_method_of(text):
        """The OMCI WAN commands a model/firmware text implies ('' when it says nothing)."""
        release = re.search(r"V(\d{3})R(\d{3})", text)
        if "MA5800" in text:
            return "wan-config"
        if release and release.group(1) == "800":
            # V800R013 and V800R015 lack ont internet-config / wan-config.
            return "wan-config" if int(release.group(2)) >= 17 else "none"
        return ""

    def wan_method(self):
        """'wan-config' | 'internet-config' | 'none': from options, then the firmware read."""
        chosen = self.target.options.get("omci_wan")
        if chosen:
            return chosen
        return self._wan_method_of(self._declared()) or self._wan_method_of(self.firmware.upper()) or "wan-config"

    def supports_wan(self):
        return self.wan_method() != "none"

    def supports_wifi(self):
        return _flag(self.target.options.get("olt_wifi")) and self._wifi_firmware(self._declared()) is not False

    @staticmethod
    def _wifi_firmware(text):
        """True/False when ``text`` names a firmware with/without OLT-side WiFi, None if it does not say."""
        release = re.search(r"V(\d{3})R(\d{3})", text)
        if not release:
            return None
        return "MA5800" in text and (int(release.group(1)), int(release.group(2))) >= (100, 19)

    def check_target(self):
        target = super().check_target()
        v.check_int("options.wan_ip_index", target.options.get("wan_ip_index", 1), 0, 7)
        v.check_int("options.wan_profile_id", target.options.get("wan_profile_id", self.default_wan_profile), 0, 1023)
        if target.options.get("omci_wan") not in (None, "", *WAN_METHODS):
            raise InvalidInput("options.omci_wan", f"must be one of {', '.join(WAN_METHODS)}")
        return target

    def check_wan(self, wan):
        if not self.supports_wan():
            raise UnsupportedOperation(
                "WAN over OMCI is unsupported on this firmware (MA5600/MA5608T V800R013/V800R015 have no "
                "'ont internet-config' / 'ont wan-config'); configure it through TR-069"
            )
        return super().check_wan(wan)

    def check_wifi(self, wifi):
        if not self.supports_wifi():
            raise UnsupportedOperation(
                "WiFi from the OLT ('ont wifi', no public source confirms its syntax) is sent only with "
                "options.olt_wifi on an MA5800 V100R019 or later; elsewhere WiFi goes through TR-069"
            )
        return super().check_wifi(wifi)

    def _check_device_can(self, wan, wifi):
        """After ``display version``: refuse what this firmware lacks, before any change."""
        if wan is not None and self.wan_method() == "none":
            raise UnsupportedOperation(f"{self.firmware}: no OMCI WAN on this firmware; configure it through TR-069")
        if wifi and self._wifi_firmware(self.firmware.upper()) is False:
            raise UnsupportedOperation(f"{self.firmware}: no OLT-side WiFi on this firmware; use TR-069")

    # -- validation -------------------------------------------------------------------
    def check_pon(self, pon, field="pon"):
        # Callers that know only slot/port get the OLT's frame (options['frame'], usually 0).
        if isinstance(pon, str) and pon.count("/") == 1:
            pon = f"{self.target.options.get('frame', 0)}/{pon.strip()}"
        return v.check_pon(pon, self.pon_parts, field)

    def check_service(self, service):
        super().check_service(service)
        v.check_name(service.line_profile, "line_profile")
        v.check_name(service.service_profile, "service_profile")
        return service

    def check_bulk_change(self, change):
        super().check_bulk_change(change)
        if change.kind == "dns":
            raise UnsupportedOperation(
                "Huawei sets DNS over OMCI only inside a static WAN (ont ipconfig ... static): "
                "change DNS through TR-069"
            )
        return change

    # -- parsing: every command the driver reads ----------------------------------------
    command_parsers = (
        (r"display ont autofind (?:all|\d+)", "parse_autofind_command"),
        (r"display ont info (?:\d+ \d+ \d+|\d+) \d+", "parse_ont_info"),
        (r"display ont info by-sn \S+", "parse_ont_info"),
        (r"display ont info (?:\d+ \d+ \d+|\d+ \d+|\d+) all", "parse_port_onts"),
        (r"display ont info summary (?:\d+/\d+/\d+|\d+/\d+|\d+)", "parse_summary"),
        (r"display ont optical-info \d+ \d+", "parse_optical"),
        (r"display ont optical-info (?P<port>\d+) all", "parse_port_optical"),
        (r"display service-port (?:all|\d+|port \d+/\d+/\d+(?: ont \d+)?)", "parse_service_ports"),
        (r"display ont wan-info (?:\d+/\d+ \d+|\d+ \d+ \d+) \d+", "parse_wan_info"),
        (r"display ont wlan-info (?:\d+/\d+/\d+|\d+ \d+ \d+) \d+", "parse_wlan_info"),
    )

    @classmethod
    def _output(cls, text, command):
        """What the command printed, out of a terminal capture."""
        return parsing.command_output(clean_output(text, (_ALARM_BLOCK,)), command)

    @classmethod
    def parse_autofind(cls, text):
        """'display ont autofind all' as captured from a terminal -> [DiscoveredOnu]."""
        return cls.parse_autofind_command(text, command="display ont autofind all")

    @classmethod
    def parse_autofind_command(cls, text, command="display ont autofind all", firmware=""):
        text = cls._output(text, command)
        try:
            rows = parsing.parse("huawei_display_ont_autofind", text)
        except ParseError as error:
            raise ParseError(f"{command} (firmware {firmware or 'unknown'}): {error.message}") from None
        found = []
        for row in rows:
            pon = _fsp(row["fsp"])
            found.append(
                DiscoveredOnu(
                    serial=cls._autofind_serial(row),
                    pon=pon,
                    olt_index=pon,
                    model=row["equipment_id"],
                    vendor_id=row["vendor_id"],
                    version=row["version"],
                    software_version=row["software_version"],
                    password=cls._password_of(row["password"]),
                    loid=row["loid"],
                    mac=row["mac"] if row["mac"] != "-" else "",
                )
            )
        return found

    @staticmethod
    def _password_of(printed):
        """'0x61697274656B00000000(airtek)' -> 'airtek'; '0x3132...' -> '12...';
        all zeros means the ONU has none."""
        bracketed = re.fullmatch(r"(0x[0-9A-Fa-f]*)\((.*)\)", printed)
        if bracketed:
            return bracketed.group(2)
        if _NO_PASSWORD.match(printed):
            return ""
        if printed.lower().startswith("0x"):
            try:
                raw = bytes.fromhex(printed[2:]).rstrip(b"\x00")
            except ValueError:
                return printed
            if all(32 < byte < 127 for byte in raw):
                return raw.decode("ascii")
        return printed

    @staticmethod
    def _autofind_serial(row):
        """The 12-character vendor form: from the hex serial, else from the bracketed one."""
        try:
            return v.normalize_serial(row["serial_hex"])
        except InvalidInput:
            if row["serial_vendor"]:
                with contextlib.suppress(InvalidInput):
                    return v.normalize_serial(row["serial_vendor"])
            raise ParseError(f"autofind entry {row['number']}: {row['serial_hex']!r} is not a GPON serial") from None

    @classmethod
    def _ont_info_rows(cls, text, command, firmware=""):
        """'display ont info P N' (or by-sn) -> [fields of the ONT]; [] when there is no such ONT.

        The first block is "key : value" lines whose set differs between
        firmware (MA5800 adds NNI types, VS-ID, fiber route...); a long value
        (a description) goes on at the next line, indented.  From "Line
        profile ID" on come the profiles with their T-CONT, GEM and port
        tables, of which only the profile ids and names are read.
        """
        text = cls._output(text, command)
        if re.search(_NO_ONT, text):
            return []
        fields, last, padded, profiles = {}, None, False, False
        for raw in text.split("\n"):
            line = raw.rstrip()
            if not line.strip() or parsing.SEPARATOR.match(line):
                last = None
                continue
            if re.match(r"^\s*Failure\s*:", line):
                raise ParseError(f"{command} (firmware {firmware or 'unknown'}): {line.strip()}")
            match = _INFO_LINE.match(line)
            if match:
                key = " ".join(match["key"].split())
                profiles = profiles or key == "Line profile ID"
                if (not profiles or key in _PROFILE_KEYS) and key not in fields:
                    fields[key] = match["value"].strip()
                last, padded = (None if profiles else key), raw != line
                continue
            if profiles:
                continue  # the profiles' T-CONT, GEM and port tables
            if last and raw.startswith(" " * 10):
                fields[last] = parsing.join_wrapped(fields[last], padded, line)
                padded = raw != line
                continue
            raise ParseError(f"{command} (firmware {firmware or 'unknown'}): cannot read {line.strip()!r}")
        if "ONT-ID" not in fields:
            return []
        serial = re.fullmatch(r"(\S+)(?:\s*\(([^)]*)\))?", fields.get("SN", ""))
        return [
            {
                "fsp": fields.get("F/S/P", ""),
                "ont_id": fields["ONT-ID"],
                "control_flag": fields.get("Control flag", ""),
                "run_state": fields.get("Run state", ""),
                "config_state": fields.get("Config state", ""),
                "match_state": fields.get("Match state", ""),
                "distance": fields.get("ONT distance(m)", ""),
                "serial_hex": serial.group(1) if serial else "",
                "serial_vendor": (serial.group(2) or "") if serial else "",
                "description": fields.get("Description", ""),
                "last_down_cause": fields.get("Last down cause", ""),
                "line_profile_id": fields.get("Line profile ID", ""),
                "line_profile_name": fields.get("Line profile name", ""),
                "service_profile_id": fields.get("Service profile ID", ""),
                "service_profile_name": fields.get("Service profile name", ""),
            }
        ]

    @classmethod
    def parse_ont_info(cls, text, command="display ont info", firmware=""):
        return [cls._status_of_info(row) for row in cls._ont_info_rows(text, command, firmware) if row["ont_id"]]

    @staticmethod
    def _status_of_info(row):
        return OnuStatus(
            pon=_fsp(row["fsp"]),
            onu_id=int(row["ont_id"]),
            serial=_serial(row["serial_hex"], row["serial_vendor"]),
            admin_state=_admin(row["control_flag"]),
            run_state=_run(row["run_state"]),
            description=row["description"],
            distance_m=_integer(row["distance"]),
            last_down_cause=_cause(row["last_down_cause"]),
        )

    @classmethod
    def _tables(cls, text, command, specs, firmware="", empty=None):
        text = cls._output(text, command)
        if empty and re.search(empty, text):
            return []
        return parsing.read_tables(text, specs, command=command, firmware=firmware, skip=_SURROUNDINGS)

    @classmethod
    def parse_port_onts(cls, text, command="display ont info 0 all", firmware=""):
        """'display ont info P all' -> [OnuStatus]: the ONT table, descriptions joined in."""
        rows = cls._tables(text, command, (_ONT_TABLE, _DESCRIPTION_TABLE), firmware, _NO_ONT_ON_PORT)
        descriptions = {
            (_fsp(row["fsp"]), row["ont_id"]): row["description"] for row in rows if row["_table"] == "description"
        }
        return [
            OnuStatus(
                pon=_fsp(row["fsp"]),
                onu_id=int(row["ont_id"]),
                serial=_serial(row["serial"]),
                admin_state=_admin(row["control_flag"]),
                run_state=_run(row["run_state"]),
                description=descriptions.get((_fsp(row["fsp"]), row["ont_id"]), ""),
            )
            for row in rows
            if row["_table"] == "ONT"
        ]

    @classmethod
    def parse_summary(cls, text, command="display ont info summary 0/1/0", firmware=""):
        """'display ont info summary F/S/P' -> [OnuStatus] with power, model and distance."""
        output = cls._output(text, command)
        if re.search(_NO_ONT_ON_PORT, output):
            return []
        found, pon = {}, ""
        for block in re.split(rf"(?m)^(?=\s*In port\s+{_FSP}\s*,)", output):
            port = re.match(rf"\s*In port\s+({_FSP})\s*,", block)
            if port:
                pon = _fsp(port.group(1))
            rows = parsing.read_tables(
                block, (_SUMMARY_STATE, _SUMMARY_POWER), command=command, firmware=firmware, skip=_SURROUNDINGS
            )
            for row in rows:
                onu = found.setdefault((pon, row["ont_id"]), OnuStatus(pon=pon, onu_id=int(row["ont_id"])))
                if row["_table"] == "state":
                    onu.run_state = _run(row["run_state"])
                    onu.last_down_cause = _cause(row["down_cause"])
                else:
                    rx, _, tx = row["power"].partition("/")
                    onu.serial = _serial(row["serial"])
                    onu.model = row["model"] if row["model"] != "-" else ""
                    onu.distance_m = _integer(row["distance"])
                    onu.rx_power_dbm, onu.tx_power_dbm = _number(rx), _number(tx)
                    onu.description = row["description"]
        return list(found.values())

    @classmethod
    def parse_optical(cls, text, command="display ont optical-info 0 0", firmware=""):
        """'display ont optical-info P N' -> [OnuStatus] with the three powers; [] when offline."""
        match = re.fullmatch(r"display ont optical-info (\d+) (\d+)", command)
        output = cls._output(text, command)
        if re.search(r"Failure: The ONT is not online|" + _NO_ONT, output):
            return []
        try:
            rows = parsing.parse("huawei_display_ont_optical_info", output)
        except ParseError as error:
            raise ParseError(f"{command} (firmware {firmware or 'unknown'}): {error.message}") from None
        return [
            OnuStatus(
                pon="",
                onu_id=int(match.group(2)) if match else None,
                rx_power_dbm=_number(row["rx_power"]),
                tx_power_dbm=_number(row["tx_power"]),
                olt_rx_power_dbm=_number(row["olt_rx_power"]),
            )
            for row in rows
        ]

    @classmethod
    def parse_port_optical(cls, text, command="display ont optical-info 0 all", firmware="", port=None):
        """'display ont optical-info P all' -> [OnuStatus] (pon unknown here: only the port is typed)."""
        rows = cls._tables(text, command, (_OPTICAL_TABLE,), firmware, r"Failure: ")
        return [
            OnuStatus(
                pon="",
                onu_id=int(row["ont_id"]),
                rx_power_dbm=_number(row["rx_power"]),
                tx_power_dbm=_number(row["tx_power"]),
                olt_rx_power_dbm=_number(row["olt_rx_power"]),
                distance_m=_integer(row.get("distance")),
            )
            for row in rows
        ]

    @classmethod
    def _service_port_rows(cls, text, command, firmware=""):
        return cls._tables(text, command, (_SERVICE_PORT_TABLE,), firmware, _NO_SERVICE_PORT)

    @classmethod
    def parse_service_ports(cls, text, command="display service-port all", firmware=""):
        return [
            ServicePort(
                index=int(row["index"]),
                vlan=int(row["vlan"]),
                pon=_fsp(row["fsp"]),
                onu_id=_integer(row["ont_id"]),
                gemport=_integer(row["gemport"]),
                user_vlan=_integer(row["flow_para"]) if row["flow_type"] == "vlan" else None,
            )
            for row in cls._service_port_rows(text, command, firmware)
        ]

    @classmethod
    def _blocks(cls, text, command, start, firmware):
        output = cls._output(text, command)
        if re.search(_ONT_CANNOT_TELL, output):
            return {}, []
        return parsing.read_blocks(
            output, start, command=command, firmware=firmware, skip=(r"^\s*Command is being executed",)
        )

    @classmethod
    def parse_wan_info(cls, text, command="display ont wan-info 0/1/0 0", firmware=""):
        """'display ont wan-info F/S/P N' -> [OnuWan], one per WAN the ONT reports."""
        head, records = cls._blocks(text, command, "Index", firmware)
        pon, onu_id = _fsp(head.get("F/S/P", "")), _integer(head.get("ONT ID", head.get("ONT-ID", "")))
        wans = []
        for record in records:
            access = (record.get("IPv4 access type") or record.get("IP access type") or "").lower()
            connection = (record.get("Connection type") or "").lower()
            vlan = record.get("Manage VLAN", "")
            wans.append(
                OnuWan(
                    pon=pon,
                    onu_id=onu_id,
                    index=_integer(record.get("Index")),
                    mode=access if access in ("pppoe", "dhcp", "static") else "",
                    vlan=int(vlan) if vlan.isdigit() else None,
                    service=(record.get("Service type") or "").lower(),
                    connection="routed" if "routed" in connection else ("bridged" if "bridged" in connection else ""),
                    status=(record.get("IPv4 Connection status") or record.get("Connection status") or "").lower(),
                    ip=next(
                        (record[key] for key in ("IPv4 address", "IP") if record.get(key, "-") not in ("", "-")), ""
                    ),
                )
            )
        return wans

    @classmethod
    def parse_wlan_info(cls, text, command="display ont wlan-info 0/1/0 0", firmware=""):
        """'display ont wlan-info F/S/P N' -> [OnuWifi], one per SSID the ONT reports."""
        head, records = cls._blocks(text, command, "SSID Index", firmware)
        pon, onu_id = _fsp(head.get("F/S/P", "")), _integer(head.get("ONT ID", head.get("ONT-ID", "")))
        return [
            OnuWifi(
                pon=pon,
                onu_id=onu_id,
                index=_integer(record.get("SSID Index")),
                ssid=record.get("SSID", ""),
                admin_state=_admin(
                    {"enable": "active", "disable": "deactivated"}.get(
                        record.get("Administrative state", "").lower(), ""
                    )
                ),
            )
            for record in records
        ]

    # -- reads on the open session --------------------------------------------------------
    def _address(self, pon):
        """'0/1/3' -> ('0/1/3', frame/slot, port), normalised."""
        pon = self.check_pon(pon)
        frame, slot, port = pon.split("/")
        return pon, f"{frame}/{slot}", port

    @staticmethod
    def _interface(frame_slot):
        return ("config", f"interface gpon {frame_slot}")

    def _read_mode(self):
        """Where a read runs: the config mode or the GPON interface the session is in.

        Display commands work in both, so a read between two interface steps
        (or during an undo) does not leave the interface and come back.
        """
        mode = tuple(self.session.mode)
        return mode if mode[:1] == ("config",) else ("config",)

    def _display(self, command, mode, empty=None):
        """A display command's text; '' when the OLT answers that nothing is there."""
        reply = self.session.execute(command, mode, done_patterns=(empty,) if empty else ())
        return "" if reply.already else reply.text

    def _read_ont(self, pon, onu_id=None, serial=None):
        """The fields of one ONT (by id on ``pon``, or by serial anywhere); None if absent."""
        if serial is not None:
            command, mode = f"display ont info by-sn {v.serial_to_hex(serial)}", self._read_mode()
        else:
            # The F S P N form works in config mode and in the GPON interface alike.
            command, mode = f"display ont info {' '.join(self.check_pon(pon).split('/'))} {onu_id}", self._read_mode()
        text = self._display(command, mode, _NO_ONT)
        rows = self._ont_info_rows(text, command, self.firmware) if text else []
        return rows[0] if rows and rows[0]["ont_id"] else None

    def _read_service_ports(self, pon, onu_id=None):
        """Service-port rows of a port, or of one ONT on it."""
        command = f"display service-port port {pon}" + (f" ont {onu_id}" if onu_id is not None else "")
        try:
            text = self._display(command, self._read_mode(), _NO_SERVICE_PORT)
        except CommandRejected:
            if onu_id is None:
                raise
            # A firmware (or a user level) that refuses the ONT filter: the port's table says it too.
            return [row for row in self._read_service_ports(pon) if _integer(row["ont_id"]) == onu_id]
        return self._service_port_rows(text, command, self.firmware) if text else []

    def _read_ont_answer(self, command, mode, parser):
        """wan-info / wlan-info: None when the ONT cannot answer (offline) or the OLT refuses to ask it."""
        try:
            reply = self.session.execute(command, mode, done_patterns=(_ONT_CANNOT_TELL,))
        except CommandRejected:
            return None
        if reply.already:
            return None
        return parser(reply.text, command=command, firmware=self.firmware)

    # -- the view: what the device holds for one ONU ---------------------------------------
    def _observe(self, pon, onu_id=None, serial=None, wan=False, wifi=False):
        """Read one ONU into a view.

        Keys: "onu" (id, serial, profiles, description, admin), "service_port:G/U"
        (by GEM port and user VLAN, which the OLT keeps unique per ONT),
        "wan:I" (by ip-index) and "wifi:I" (by SSID index), read only when asked.
        A WAN or WiFi the ONT cannot report (offline) is left out and the onu
        says so ("wan_read"/"wifi_read" False).
        """
        info = self._read_ont(pon, onu_id=onu_id, serial=serial)
        if info is None:
            return {}
        onu_pon, onu_id = _fsp(info["fsp"]), int(info["ont_id"])
        view = {
            "onu": {
                "pon": onu_pon,
                "id": onu_id,
                "serial": _serial(info["serial_hex"], info["serial_vendor"]),
                "line_profile": (info["line_profile_id"], info["line_profile_name"]),
                "service_profile": (info["service_profile_id"], info["service_profile_name"]),
                "description": info["description"],
                "admin": "deactivated" if info["control_flag"].lower() == "deactivated" else "active",
            }
        }
        for row in self._read_service_ports(onu_pon, onu_id):
            view[f"service_port:{row['gemport']}/{row['flow_para']}"] = {
                "index": int(row["index"]),
                "vlan": int(row["vlan"]),
                "traffic": row["rx"] if row["rx"] not in ("-", "") else "",
            }
        _, frame_slot, port = self._address(onu_pon)
        if wan:
            wans = self._read_ont_answer(
                f"display ont wan-info {frame_slot} {port} {onu_id}", self._read_mode(), self.parse_wan_info
            )
            view["onu"]["wan_read"] = wans is not None
            for item in wans or ():
                view[f"wan:{item.index}"] = {
                    "mode": item.mode,
                    "vlan": item.vlan,
                    "internet": item.service == "internet",
                    "routed": item.connection == "routed",
                }
        if wifi:
            ssids = self._read_ont_answer(
                f"display ont wlan-info {onu_pon} {onu_id}", self._read_mode(), self.parse_wlan_info
            )
            view["onu"]["wifi_read"] = ssids is not None
            for item in ssids or ():
                view[f"wifi:{item.index}"] = {"ssid": item.ssid}
        return view

    # -- the difference between two views, in either direction -------------------------------
    def _diff(self, current, target, context):
        """The steps that turn ``current`` into ``target`` (dependency order)."""
        steps = []
        have, want = current.get("onu"), target.get("onu")
        pon = context["pon"]
        _, frame_slot, port = self._address(pon)
        interface = self._interface(frame_slot)
        if have is not None:
            context["onu_id"] = have["id"]
        if have is not None and want is None:
            for key in sorted(k for k in current if k.startswith("service_port:")):
                steps.append(Step(f"undo service-port {current[key]['index']}", ("config",)))
            steps.append(Step(f"ont delete {port} {have['id']}", interface))
            return steps
        if want is None:
            return steps
        if have is None:
            if want.get("id") is not None:
                # Given: the commands after 'ont add' name it (the capture confirms it).
                context.setdefault("onu_id", want["id"])
            steps.append(
                Step(
                    self._ont_add_command(port, want),
                    interface,
                    capture=self._capture_ont_id(pon, want["serial"]),
                )
            )
            have = {"admin": "active", "wan_read": True, "wifi_read": True}
            current = {"onu": have}
        else:
            steps.extend(self._modify_steps(port, interface, have, want))
        ont = self._ont_ref(port)
        # Removals first: the OLT refuses a second service port on one GEM/user VLAN.
        for key in sorted(current):
            kind = key.split(":")[0]
            if key not in target or (kind == "service_port" and current[key]["vlan"] != target[key]["vlan"]):
                if kind == "service_port":
                    steps.append(Step(f"undo service-port {current[key]['index']}", ("config",)))
                elif kind == "wan":
                    steps.extend(self._undo_wan_steps(ont, interface, key.split(":")[1]))
                elif kind == "wifi":
                    steps.append(self._undo_wifi_step(ont, interface, key.split(":")[1]))
        for key in sorted(target):
            kind, wanted = key.split(":")[0], target[key]
            got = current.get(key)
            if kind == "wan" and (got != wanted or not have.get("wan_read", True)):
                steps.extend(self._wan_steps(ont, interface, key.split(":")[1], wanted, got, context))
            elif kind == "wifi" and (got != wanted or not have.get("wifi_read", True)):
                steps.extend(self._wifi_steps(ont, interface, key.split(":")[1], wanted, context))
        for key in sorted(target):
            if not key.startswith("service_port:"):
                continue
            wanted, got = target[key], current.get(key)
            if got is None or got["vlan"] != wanted["vlan"]:
                capture = None if wanted.get("index") is not None else self._capture_service_port(pon, key)
                steps.append(Step(self._service_port_command(pon, key, wanted), ("config",), capture=capture))
            elif wanted.get("traffic") and got.get("traffic") != wanted["traffic"]:
                table = self._traffic_table(wanted["traffic"])
                steps.append(Step(f"service-port {got['index']}{table}", ("config",)))
        if "native_vlan" in target:
            vlan = target["native_vlan"]["vlan"]
            steps.append(Step(lambda c: f"ont port native-vlan {ont(c)} eth 1 vlan {vlan} priority 0", interface))
        if want.get("admin") and want["admin"] != have.get("admin", "active"):
            verb = "activate" if want["admin"] == "active" else "deactivate"
            steps.append(Step(lambda c: f"ont {verb} {ont(c)}", interface))
        return steps

    @staticmethod
    def _ont_ref(port):
        """'P N' for commands sent after the ONT id is known (captured by 'ont add')."""

        def render(context):
            if "onu_id" not in context:
                raise DriverError("the OLT never reported which ONT id it gave the ONU")
            return f"{port} {context['onu_id']}"

        return render

    @staticmethod
    def _profile(kind, value):
        """ont-lineprofile-id 10 / ont-lineprofile-name NAME."""
        return f"{kind}-{'id' if str(value).isdigit() else 'name'} {value}"

    @classmethod
    def _ont_add_command(cls, port, want):
        command = f"ont add {port}"
        if want.get("id") is not None:
            command += f" {want['id']}"
        command += (
            f" sn-auth {v.serial_to_hex(want['serial'])} omci"
            f" {cls._profile('ont-lineprofile', want['line_profile'][0] or want['line_profile'][1])}"
            f" {cls._profile('ont-srvprofile', want['service_profile'][0] or want['service_profile'][1])}"
        )
        if want.get("description"):
            command += f' desc "{want["description"]}"'
        return command

    def _modify_steps(self, port, interface, have, want):
        steps = []
        ont = f"{port} {have['id']}"
        for key, kind in (("line_profile", "ont-lineprofile"), ("service_profile", "ont-srvprofile")):
            if key in want and key in have and not _same_profile(have[key], want[key]):
                wanted = want[key][0] or want[key][1]
                steps.append(Step(f"ont modify {ont} {self._profile(kind, wanted)}", interface))
        if want.get("description") and want["description"] != have.get("description"):
            steps.append(Step(f'ont modify {ont} desc "{want["description"]}"', interface))
        return steps

    def _capture_ont_id(self, pon, serial):
        def capture(text, context):
            match = _ONT_ID.search(text)
            if match:
                context["onu_id"] = int(match.group(1))
                return
            # A firmware that does not print the id: the ONT's own row says it.
            info = self._read_ont(pon, serial=serial)
            if info is None:
                raise ParseError(f"the OLT did not say which ONT id it gave {serial}: {text.strip()!r}")
            context["onu_id"] = int(info["ont_id"])

        return capture

    def _capture_service_port(self, pon, key):
        """The index the OLT gave a new service port, read back as part of the plan."""

        def capture(text, context):
            # The port's table (the observe reads the ONT's): a device that
            # refuses one form of the read still answers the other.
            for row in self._read_service_ports(pon):
                if _integer(row["ont_id"]) != context["onu_id"]:
                    continue
                if f"service_port:{row['gemport']}/{row['flow_para']}" == key:
                    context.setdefault("service_ports", {})[key] = int(row["index"])
                    return
            raise ParseError(f"the new service port of ONT {context['onu_id']} on {pon} is not listed")

        return capture

    @staticmethod
    def _traffic_table(value):
        if not value:
            return ""
        key = "index" if str(value).isdigit() else "name"
        return f" inbound traffic-table {key} {value} outbound traffic-table {key} {value}"

    def _service_port_command(self, pon, key, wanted):
        gemport, user_vlan = key.split(":")[1].split("/")
        head = f"service-port {wanted['index']}" if wanted.get("index") is not None else "service-port"
        table = self._traffic_table(wanted.get("traffic"))
        return lambda c: (
            f"{head} vlan {wanted['vlan']} gpon {pon} ont {c['onu_id']} gemport {gemport} multi-service"
            f" user-vlan {user_vlan} tag-transform translate{table}"
        )

    def _wan_steps(self, ont, interface, index, wanted, got, context):
        """The commands a WAN needs on this firmware; only the bindings when the IP host is right."""
        method = self.wan_method()
        steps = []
        config = context.get("wan_config")
        same_host = got is not None and (got["mode"], got["vlan"]) == (wanted["mode"], wanted["vlan"])
        if not same_host or wanted.get("push"):
            if config is None or (config.mode, config.vlan) != (wanted["mode"], wanted["vlan"]):
                # The WAN read before the call: its password cannot be read back.
                raise DriverError(f"WAN {index} as it was ({wanted['mode']}, VLAN {wanted['vlan']}) cannot be put back")
            steps.append(Step(lambda c: f"ont ipconfig {ont(c)} ip-index {index} {self._ip_host(config)}", interface))
            got = None
        if got is None or not got["internet"]:
            steps.append(Step(lambda c: f"ont internet-config {ont(c)} ip-index {index}", interface))
        if method == "wan-config" and (got is None or not got["routed"]):
            profile = int(self.target.options.get("wan_profile_id", self.default_wan_profile))
            steps.append(Step(lambda c: f"ont wan-config {ont(c)} ip-index {index} profile-id {profile}", interface))
        return steps

    @staticmethod
    def _ip_host(wan):
        if wan.mode == "pppoe":
            return f"pppoe vlan {wan.vlan} priority 0 user-account username {wan.username} password {wan.password}"
        if wan.mode == "dhcp":
            return f"dhcp vlan {wan.vlan} priority 0"
        text = f"static ip-address {wan.ip} mask {wan.netmask} gateway {wan.gateway}"
        if wan.dns1:
            text += f" pri-dns {wan.dns1}"
        if wan.dns2:
            text += f" slave-dns {wan.dns2}"
        return text + f" vlan {wan.vlan} priority 0"

    def _undo_wan_steps(self, ont, interface, index):
        # Bindings first, then the IP host; each answers 'repeatedly' when not set.
        steps = []
        if self.wan_method() == "wan-config":
            steps.append(Step(lambda c: f"undo ont wan-config {ont(c)} ip-index {index}", interface))
        steps.append(Step(lambda c: f"undo ont internet-config {ont(c)} ip-index {index}", interface))
        steps.append(Step(lambda c: f"undo ont ipconfig {ont(c)} ip-index {index}", interface))
        return steps

    @staticmethod
    def _undo_wifi_step(ont, interface, index):
        return Step(lambda c: f"undo ont wifi {ont(c)} ssid-index {index}", interface)

    def _wifi_steps(self, ont, interface, index, wanted, context):
        # MA5800 V100R019+ only, with options.olt_wifi: no public capture confirms
        # this syntax (the simulator documents the same doubt).
        wifi = context.get("wifi_config", {}).get(int(index))
        if wifi is None or wifi.ssid != wanted["ssid"]:
            # The SSID read before the call: its key cannot be read back.
            raise DriverError(f"SSID {index} as it was ({wanted['ssid']}) cannot be put back")
        auth = {"wpa2psk": "wpa2-psk", "wpapsk/wpa2psk": "wpa-wpa2-psk", "open": "open"}[wifi.auth_mode]
        security = f"auth-mode {auth}"
        if wifi.auth_mode != "open":
            encrypt = {"aes": "aes", "tkipaes": "tkip-aes"}[wifi.encrypt]
            security += f" encrypt-mode {encrypt} key {wifi.key}"
        hidden = "enable" if wifi.hidden else "disable"
        return [
            Step(
                lambda c: f"ont wifi {ont(c)} ssid-index {wifi.index} ssid {wifi.ssid} {security} hidden {hidden}",
                interface,
            )
        ]

    # -- operations -------------------------------------------------------------------------------
    def _converge(self, observe, wanted, context):
        return converge(self, observe, wanted, self._diff, context)

    def _discover(self):
        command = "display ont autofind all"
        reply = self.session.execute(command, ("config",), done_patterns=(_NO_AUTOFIND,))
        if reply.already:
            return []
        try:
            return self.parse_autofind_command(reply.text, command=command, firmware=self.firmware)
        except ParseError as error:
            # The other discovery command, port by port, for the ports the listing names:
            # one port's unreadable block (or a line a long listing picked up) spoils
            # only that port, and says so.
            self.session.note(f"{error.message}: reading auto-find port by port")
            ports = sorted(
                set(re.findall(rf"F/S/P\s*:\s*({_FSP})", reply.text)),
                key=lambda p: [int(x) for x in _fsp(p).split("/")],
            )
            if not ports:
                raise
            found = []
            for pon in map(_fsp, ports):
                _, frame_slot, port = self._address(pon)
                command = f"display ont autofind {port}"
                text = self._display(command, self._interface(frame_slot), _NO_AUTOFIND)
                if text:
                    found.extend(self.parse_autofind_command(text, command=command, firmware=self.firmware))
            return found

    def _provision(self, service, wan, wifi):
        pon = self.check_pon(service.pon)
        serial = v.normalize_serial(service.serial)
        self.open()
        self._check_device_can(wan, wifi)
        index = int(self.target.options.get("wan_ip_index", 1))
        context = {"pon": pon, "wan_config": wan, "wifi_config": {item.index: item for item in wifi}}
        user_vlan = service.user_vlan or service.vlan

        def observe():
            return self._observe(pon, serial=serial, wan=wan is not None, wifi=bool(wifi))

        def wanted(before, context):
            onu = before.get("onu")
            if onu is not None and onu["pon"] != pon:
                raise _unchanged(
                    CommandRejected(
                        f"display ont info by-sn {v.serial_to_hex(serial)}",
                        f"{serial} is registered on {onu['pon']} as ONT {onu['id']}, not on {pon}",
                    )
                )
            target = dict(before)
            target["onu"] = {
                **(onu or {"admin": "active"}),
                "pon": pon,
                "id": onu["id"] if onu else service.onu_id,
                "serial": serial,
                "line_profile": _profile_key(service.line_profile),
                "service_profile": _profile_key(service.service_profile),
                "description": service.description or (onu or {}).get("description", ""),
            }
            key = f"service_port:{service.gemport}/{user_vlan}"
            existing = before.get(key) or {}
            target[key] = {
                "index": existing.get("index"),
                "vlan": service.vlan,
                "traffic": str(service.traffic_profile or existing.get("traffic", "")),
            }
            if wan is not None:
                target[f"wan:{index}"] = {"mode": wan.mode, "vlan": wan.vlan, "internet": True, "routed": True}
            for item in wifi:
                target[f"wifi:{item.index}"] = {"ssid": item.ssid}
            return target

        done = self._converge(observe, wanted, context)
        onu_id = done.context["onu_id"]
        chosen = done.context.get("service_ports", {})
        missing = [
            key
            for key, entry in done.after.items()
            if key.startswith("service_port:") and entry["index"] is None and key not in chosen
        ]
        if missing:
            # The answer naming the index the OLT chose was lost (the re-login read the
            # port back, then resent the WAN or WiFi, whose keys it cannot read): read it.
            seen = engine.read(self, observe)
            chosen = {**chosen, **{key: seen[key]["index"] for key in missing}}
        ports = [
            entry["index"] if entry["index"] is not None else chosen[key]
            for key, entry in done.after.items()
            if key.startswith("service_port:")
        ]
        return ProvisionResult(
            pon,
            onu_id,
            serial,
            sorted(ports),
            onu_existed="onu" in done.before,
            created=done.created,
            preexisting=done.preexisting,
        )

    def _onu_operation(self, ref, wanted, context=None, **reads):
        """Converge one registered ONU (by id) to ``wanted(before)``; CommandRejected if absent."""
        pon = self.check_pon(ref.pon)
        context = {"pon": pon, **(context or {})}

        def observe():
            return self._observe(pon, onu_id=ref.onu_id, **reads)

        def target(before, context):
            if "onu" not in before:
                _, _, port = self._address(pon)
                raise _unchanged(
                    CommandRejected(
                        f"display ont info {port} {ref.onu_id}", f"ONT {ref.onu_id} does not exist on {pon}"
                    )
                )
            return wanted(before)

        return self._converge(observe, target, context)

    def _provision_wan(self, ref, wan):
        self.open()
        self._check_device_can(wan, ())
        index = int(self.target.options.get("wan_ip_index", 1))

        def wanted(before):
            key = f"wan:{index}"
            return {
                **before,
                # The PPPoE password cannot be read back: "push" sends the IP host again.
                key: {"mode": wan.mode, "vlan": wan.vlan, "internet": True, "routed": True, "push": True},
            }

        done = self._onu_operation(ref, wanted, {"wan_config": wan}, wan=True)
        return {"pon": done.context["pon"], "onu_id": ref.onu_id, "wan": wan.mode, "changed": done.changed}

    def _provision_wifi(self, ref, wifi):
        self.open()
        self._check_device_can(None, [wifi])

        def wanted(before):
            # The key cannot be read back: "push" makes the SSID differ, so it is sent.
            return {**before, f"wifi:{wifi.index}": {"ssid": wifi.ssid, "push": True}}

        done = self._onu_operation(ref, wanted, {"wifi_config": {wifi.index: wifi}}, wifi=True)
        return {"pon": done.context["pon"], "onu_id": ref.onu_id, "ssid_index": wifi.index, "changed": done.changed}

    def _set_admin(self, ref, admin):
        done = self._onu_operation(ref, lambda before: {**before, "onu": {**before["onu"], "admin": admin}})
        return {
            "pon": done.context["pon"],
            "onu_id": ref.onu_id,
            "admin_state": "enabled" if admin == "active" else "disabled",
            "already": not done.changed,
        }

    def _suspend(self, ref):
        return self._set_admin(ref, "deactivated")

    def _resume(self, ref):
        return self._set_admin(ref, "active")

    def _remove(self, ref):
        pon = self.check_pon(ref.pon)
        context = {"pon": pon}
        done = converge(self, lambda: self._observe(pon, onu_id=ref.onu_id), lambda before, c: {}, self._diff, context)
        if "onu" not in done.before:
            self.session.note(f"ONT {ref.onu_id} on {pon} does not exist: nothing to remove")
        return {
            "pon": pon,
            "onu_id": ref.onu_id,
            "removed": "onu" in done.before,
            "service_ports": sorted(
                entry["index"] for key, entry in done.before.items() if key.startswith("service_port:")
            ),
        }

    def _status(self, ref):
        pon, frame_slot, port = self._address(ref.pon)
        info = self._read_ont(pon, onu_id=ref.onu_id)
        if info is None:
            raise CommandRejected(f"display ont info {port} {ref.onu_id}", f"ONT {ref.onu_id} does not exist on {pon}")
        status = self._status_of_info(info)
        if status.run_state == "online":
            command = f"display ont optical-info {port} {ref.onu_id}"
            text = self._display(command, self._interface(frame_slot), r"Failure: The ONT is not online")
            for power in self.parse_optical(text, command=command, firmware=self.firmware) if text else ():
                status.rx_power_dbm = power.rx_power_dbm
                status.tx_power_dbm = power.tx_power_dbm
                status.olt_rx_power_dbm = power.olt_rx_power_dbm
        return status

    # -- changes to a live service ------------------------------------------------------
    def _reboot_step(self, ref):
        # 'ont reset P N' in the GPON interface (public automation code; no
        # capture of its answer).
        _, frame_slot, port = self._address(ref.pon)
        return Step(f"ont reset {port} {ref.onu_id}", self._interface(frame_slot))

    def _change_onu(self, ref, vlan, traffic_profile):
        """One converge over the ONT's service ports: a new VLAN re-creates the port
        (the OLT cannot change a service port's VLAN in place; the old one goes
        first, the new one keeps its GEM port, user VLAN and traffic table), a
        new traffic table is changed in place."""
        pon = self.check_pon(ref.pon)

        def wanted(before):
            ports = [key for key in before if key.startswith("service_port:")]
            if not ports:
                raise CommandRejected(f"display service-port port {pon}", "the ONU has no service port")
            target = dict(before)
            for key in ports:
                entry = dict(before[key], traffic=str(traffic_profile or before[key]["traffic"]))
                if vlan is not None and entry["vlan"] != vlan:
                    entry.update(index=None, vlan=vlan)
                target[key] = entry
            return target

        self._onu_operation(ref, wanted)

    # -- reading the whole ONU table back -------------------------------------------------
    def _inventory(self, pons):
        """Two port-wide reads per PON port: the ONT table (control flag, run state,
        serial, description) and its summary (last down cause, model, distance,
        RX/TX power); both run in config mode, no interface is entered.

        Each port's tables are parsed while the next port's are read: the reads
        wait on the device, the parsing on the CPU.
        """
        pons = pons or self._inventory_ports()
        with ThreadPoolExecutor(max_workers=1) as parser:
            parsed = [parser.submit(self._port_inventory, pon, *self._read_port(pon)) for pon in pons]
            return [status for future in parsed for status in future.result()]

    def _inventory_ports(self):
        ports = self.target.options.get("pon_ports")
        if not ports:
            raise InvalidInput("pons", "Huawei reads its ONU table port by port: list the PON ports to read")
        ports = ports.split(",") if isinstance(ports, str) else ports
        return [self.check_pon(str(port).strip(), "options.pon_ports") for port in ports]

    def _read_port(self, pon):
        """(the ONT table's text, the summary's text); no summary asked of a port without ONTs."""
        table = self._display(f"display ont info {' '.join(pon.split('/'))} all", self._read_mode(), _NO_ONT_ON_PORT)
        if not table:
            return "", ""
        return table, self._display(f"display ont info summary {pon}", self._read_mode(), _NO_ONT_ON_PORT)

    def _port_inventory(self, pon, table, summary):
        command = f"display ont info {' '.join(pon.split('/'))} all"
        onus = {row.onu_id: row for row in self.parse_port_onts(table, command, self.firmware)} if table else {}
        command = f"display ont info summary {pon}"
        for row in self.parse_summary(summary, command, self.firmware) if summary and onus else ():
            status = onus.get(row.onu_id)
            if status is None or row.pon != pon:
                continue
            status.last_down_cause = row.last_down_cause
            status.model, status.distance_m = row.model, row.distance_m
            status.rx_power_dbm, status.tx_power_dbm = row.rx_power_dbm, row.tx_power_dbm
            status.description = status.description or row.description
        return list(onus.values())

    def _save(self):
        reply = self.session.execute("save", ())
        return {"saved": True, "answer": reply.text.strip()}

    # -- bulk ------------------------------------------------------------------------------------------
    def _bulk_order(self, refs):
        # Port by port, so each port's table is read once while its ONUs are visited.
        return sorted(range(len(refs)), key=lambda i: (self.check_pon(refs[i].pon), refs[i].onu_id))

    def _apply_change(self, ref, change, context):
        pon = self.check_pon(ref.pon)
        if change.kind == "vlan":
            vlan = v.check_vlan(change.params["vlan"], "params.vlan")
            # The native VLAN cannot be read back (nothing to read first); the OLT
            # says 'repeatedly' when it is set already.
            self._bulk_converge(ref, pon, lambda before: {**before, "native_vlan": {"vlan": vlan}}, context, read=False)
            return
        if change.kind == "traffic_profile":
            profile = str(change.params["profile"])

            def wanted(before):
                ports = [key for key in before if key.startswith("service_port:")]
                if not ports:
                    raise CommandRejected(f"display service-port port {pon}", "the ONU has no service port")
                # Changed in place: the subscriber keeps the same service port throughout.
                return {**before, **{key: {**before[key], "traffic": profile} for key in ports}}

            self._bulk_converge(ref, pon, wanted, context)
            return
        raise UnsupportedOperation(f"bulk change {change.kind!r} is not supported on Huawei")

    def _bulk_converge(self, ref, pon, wanted, context, read=True):
        """One ONU of a bulk run, from the port's service-port table read once per port (and session)."""

        reads = []

        def observe():
            if not read:
                return {"onu": {"pon": pon, "id": ref.onu_id}}
            # The port's table as read for an earlier ONU serves the first look;
            # any later look (after a change or a reconnect) reads it again.
            key = (pon, self.sessions)
            if key not in context or reads:
                context[key] = self._read_service_ports(pon)
            reads.append(key)
            view = {"onu": {"pon": pon, "id": ref.onu_id}}
            for row in context[key]:
                if _integer(row["ont_id"]) == ref.onu_id:
                    view[f"service_port:{row['gemport']}/{row['flow_para']}"] = {
                        "index": int(row["index"]),
                        "vlan": int(row["vlan"]),
                        "traffic": row["rx"] if row["rx"] not in ("-", "") else "",
                    }
            return view

        converge(self, observe, lambda before, c: wanted(before), self._diff, {"pon": pon, "onu_id": ref.onu_id})


def _flag(value):
    """An option that is on: True, or 'true'/'yes'/'1' from a command line or JSON."""
    return value is True or str(value).strip().lower() in ("true", "yes", "1", "on")


def _profile_key(value):
    """A profile as given (id or name) in the (id, name) form the device prints."""
    value = str(value)
    return (value, "") if value.isdigit() else ("", value)


def _same_profile(have, want):
    """(id, name) pairs agree on what ``want`` names."""
    want_id, want_name = want
    return (want_id and want_id == have[0]) or (want_name and want_name == have[1]) or not (want_id or want_name)


def _unchanged(error):
    """An error found before anything was sent."""
    error.outcome = "unchanged"
    return error
