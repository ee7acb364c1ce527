"""ZTE ZXA10 C300/C320 (``zte``) and C600/C650 (``zte_c600``) GPON OLTs.

Both speak ZXROS over SSH or Telnet through Netmiko's ``zte_zxros`` classes,
which log in and send ``terminal length 0``; this module never sends
``terminal width`` (C320 rejects it) nor ``commit`` (C300 V2.1 rejects it),
and treats ``%Info 20272`` (the answer to ``configure terminal``) as the
information it is.  The two models share everything but three things, which
ZteC600Driver changes:

- interface names: C300 ``gpon-olt_1/1/1`` / ``gpon-onu_1/1/1:N``; C600
  ``gpon_olt-1/1/1`` / ``gpon_onu-1/1/1:N`` plus ``vport-1/1/1.N:1``;
- discovery: C300 ``show gpon onu uncfg``; C600 (and C300 firmware V2.1 and
  later, ``Target.options['firmware']``) ``show pon onu uncfg``.  An OLT that
  refuses its first command is asked the other one;
- service-port placement: inside ``interface gpon-onu_...`` with its vport on
  the C300, inside ``interface vport-...`` on the C600.

ONU ids are never chosen locally: the lowest id free on the port is read from
``show gpon onu state`` in the same session, and an ONU whose serial is already
registered (``show gpon onu by sn``) keeps its id, so a re-run registers
nothing twice.

Suspend/resume.  Two command forms exist in the wild: ``onu N state
disable|enable`` under the gpon-olt interface, and ``shutdown`` / ``no
shutdown`` under the ONU's own interface.  The default is ``onu_state`` on the
C300/C320, whose ONUs are entries of the gpon-olt interface (that is where they
are created and deleted), and ``shutdown`` on the C600, where every ONU is a
first-class interface with the usual interface admin state.  Either model takes
the other form with ``Target.options['suspend_form'] = 'onu_state' | 'shutdown'``
for firmware that only knows one.

WAN and WiFi go through ``pon-onu-mng``.  ZXAN keeps a WAN's VLAN, and a static
WAN's gateway and DNS, in OLT-wide profiles: ``Target.options['vlan_profile']``
and ``['ip_profile']`` name them (WanConfig.gateway/dns are not sent).  Old ONU
firmware without OMCI WAN/WiFi is declared with ``options['wan'|'wifi'] = False``
and refused before anything is sent.

Undo.  Removing an ONU (``no onu N``) removes its interface and pon-onu-mng
configuration with it, so the registration's undo also takes back the tcont,
gemport, service, WAN and WiFi lines; the service port, which the OLT also
lists in its global service-port table, gets its own undo, run first.
"""

import re

from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout
from netmiko.zte.zte_zxros import ZteZxrosTelnet

from . import parsing
from . import validation as v
from .cli import CliOltDriver, clean_output
from .engine import Step, run_plan
from .errors import (
    CommandRejected,
    InvalidInput,
    ParseError,
    UnsupportedOperation,
)
from .models import DiscoveredOnu, OnuStatus, ProvisionResult

CONFIG = ("configure terminal",)
#: (template, command) of the two discovery commands
GPON_UNCFG = ("zte_show_gpon_onu_uncfg", "show gpon onu uncfg")
PON_UNCFG = ("zte_show_pon_onu_uncfg", "show pon onu uncfg")

#: ``gpon-onu_1/1/1:5``, ``gpon_onu-1/1/1:5``, or the bare ``1/1/1:5`` of the state table
_ONU_INDEX = re.compile(r"^(?:gpon-onu_|gpon_onu-)?(?P<pon>\d+/\d+/\d+):(?P<onu>\d+)$")
#: ``gpon-olt_1/1/1`` or ``gpon_olt-1/1/1``
_OLT_INDEX = re.compile(r"^(?:gpon-olt_|gpon_olt-)(?P<pon>\d+/\d+/\d+)$")
#: a prompt line of a captured session: ``ZXAN#``, ``OLT-1(config-if)#show ...``
_CAPTURE_PROMPT = re.compile(r"^[\w.\-]+(?:\([^)]*\))?[>#]")
_EMPTY_VALUES = {"", "n/a", "na", "-", "--", "none", "no signal"}

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
# Parsing
# ---------------------------------------------------------------------------


def parse_onu_index(index):
    """``gpon-onu_1/1/1:5`` (or C600/bare forms) -> ('1/1/1', 5)."""
    match = _ONU_INDEX.match(index.strip())
    if not match:
        raise ParseError(f"'{index}' is not a ZTE ONU index like gpon-onu_1/1/1:5")
    return match.group("pon"), int(match.group("onu"))


def _value(text):
    return "" if (text or "").strip().lower() in _EMPTY_VALUES else text.strip()


def _serial(text, where):
    try:
        return v.normalize_serial(text, "serial")
    except InvalidInput as error:
        raise ParseError(f"{where}: {error.reason}") from error


def uncfg_rows_to_onus(rows):
    """Rows of the zte_show_*_onu_uncfg templates -> [DiscoveredOnu]."""
    onus = []
    for row in rows:
        index = row["olt_index"]
        olt = _OLT_INDEX.match(index)
        pon = olt.group("pon") if olt else parse_onu_index(index)[0]
        serial = _serial(row["serial"], f"uncfg row {index}")
        onus.append(
            DiscoveredOnu(
                serial=serial,
                pon=pon,
                olt_index=index,
                model=_value(row.get("model", "")),
                vendor_id=serial[:4],
                password=_value(row.get("password", "")),
            )
        )
    return onus


def parse_onu_table(text, pon):
    """``show gpon onu state <pon>`` -> {onu_id: row} of the ONUs on ``pon``."""
    table = {}
    for row in parsing.parse("zte_show_gpon_onu_state", text):
        onu_pon, onu_id = parse_onu_index(row["onu_index"])
        if onu_pon == pon:
            table[onu_id] = row
    return table


def _dbm(value, where):
    if _value(value) == "":
        return None
    try:
        return float(value)
    except ValueError as error:
        raise ParseError(f"{where}: '{value}' is not a power in dBm") from error


def parse_attenuation_rx(text):
    """The power the ONU receives (the 'down ... Rx' column), dBm or None."""
    rows = parsing.parse("zte_show_pon_power_attenuation", text)
    return _dbm(rows[0]["onu_rx"], "attenuation") if rows else None


def parse_onu_rx(text, onu_index):
    """The RX power of one ONU from ``show pon power onu-rx``, dBm or None."""
    wanted = parse_onu_index(onu_index)
    for row in parsing.parse("zte_show_pon_power_onu_rx", text):
        if parse_onu_index(row["onu_index"]) == wanted:
            return _dbm(row["rx_power"], "onu-rx")
    return None


def strip_capture(text, async_patterns=ASYNC_LINES):
    """A raw terminal capture -> the command output alone (no prompts, echo, pager, alarms)."""
    lines = clean_output(text, async_patterns).split("\n")
    return "\n".join(line for line in lines if not _CAPTURE_PROMPT.match(line.strip()))


def _false(value):
    return value is not None and str(value).strip().lower() in ("0", "false", "no", "off")


def _firmware_version(text):
    match = re.search(r"[Vv]?(\d+)\.(\d+)", str(text or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


# ---------------------------------------------------------------------------
# The drivers
# ---------------------------------------------------------------------------


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
        r"%Code \d+-\w+\s*:(?!\s*No related information)",
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
    #: (template, command) of the discovery commands, in the order they are tried
    uncfg_commands = (GPON_UNCFG, PON_UNCFG)

    # -- names ------------------------------------------------------------------
    def olt_interface(self, pon):
        return f"gpon-olt_{pon}"

    def onu_interface(self, pon, onu_id):
        return f"gpon-onu_{pon}:{onu_id}"

    def olt_mode(self, pon):
        return CONFIG + (f"interface {self.olt_interface(pon)}",)

    def onu_mode(self, pon, onu_id):
        return CONFIG + (f"interface {self.onu_interface(pon, onu_id)}",)

    def mng_mode(self, pon, onu_id):
        return CONFIG + (f"pon-onu-mng {self.onu_interface(pon, onu_id)}",)

    # -- options and input ---------------------------------------------------------
    def check_target(self):
        target = super().check_target()
        self._suspend_form()
        for name in ("onu_type", "tcont_profile", "vlan_profile", "ip_profile"):
            if target.options.get(name):
                v.check_name(str(target.options[name]), f"options.{name}")
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
        return v.check_choice(form, "options.suspend_form", self.suspend_forms)

    def _option(self, name, default):
        return str(self.target.options.get(name) or default)

    def _uncfg_commands(self):
        """Discovery commands to try: C300 firmware V2.1 and later is asked the C600 one first."""
        version = _firmware_version(self.target.options.get("firmware"))
        if version is not None and version >= (2, 1):
            return (PON_UNCFG, GPON_UNCFG)
        return self.uncfg_commands

    # -- reads ------------------------------------------------------------------------
    def _onu_table(self, pon):
        return parse_onu_table(self.session.read(f"show gpon onu state {self.olt_interface(pon)}"), pon)

    def _find_serial(self, serial):
        """(pon, onu_id) where ``serial`` is registered, or None."""
        rows = parsing.parse("zte_show_gpon_onu_by_sn", self.session.read(f"show gpon onu by sn {serial}"))
        return parse_onu_index(rows[0]["onu_index"]) if rows else None

    def _detail(self, ref):
        text = self.session.read(f"show gpon onu detail-info {self.onu_interface(ref.pon, ref.onu_id)}")
        rows = parsing.parse("zte_show_gpon_onu_detail_info", text)
        if not rows:
            raise ParseError(f"no detail-info for ONU {ref.pon}:{ref.onu_id}")
        return rows[0]

    def _check_serial(self, ref):
        """Refuses to change an ONU that holds another serial than the caller expects."""
        if not ref.serial:
            return
        held = self._detail(ref)["serial"].upper()
        if held and held != v.normalize_serial(ref.serial):
            raise InvalidInput(
                "serial", f"ONU {ref.pon}:{ref.onu_id} holds {held}, not {ref.serial}: nothing was changed"
            )

    def _rx_power(self, ref):
        """The power the ONU receives: from the attenuation table, else from onu-rx; None if neither answers."""
        onu = self.onu_interface(ref.pon, ref.onu_id)
        try:
            return parse_attenuation_rx(self.session.read(f"show pon power attenuation {onu}"))
        except CommandRejected as error:
            self.session.note(f"attenuation not read ({error.device_message}): reading onu-rx")
        try:
            return parse_onu_rx(self.session.read(f"show pon power onu-rx {onu}"), onu)
        except CommandRejected as error:
            self.session.note(f"RX power not read: {error.device_message}")
            return None

    # -- discover -------------------------------------------------------------------------
    def _discover(self):
        commands = self._uncfg_commands()
        for number, (template, command) in enumerate(commands):
            try:
                text = self.session.read(command)
            except CommandRejected:
                if number + 1 == len(commands):
                    raise
                self.session.note(f"'{command}' refused: asking '{commands[number + 1][1]}'")
                continue
            return uncfg_rows_to_onus(parsing.parse(template, text))
        return []

    @classmethod
    def parse_autofind(cls, text):
        """Either uncfg layout, from a raw capture (prompts, echo, pager, alarms included)."""
        return uncfg_rows_to_onus(parsing.parse("zte_show_gpon_onu_uncfg", strip_capture(text, cls.async_patterns)))

    # -- provision ----------------------------------------------------------------------------
    def _provision(self, service, wan, wifi):
        serial = v.normalize_serial(service.serial)
        pon = self.check_pon(service.pon)
        onu_id, registered = self._onu_id_for(service, serial, pon)
        steps = []
        if not registered:
            steps += self._base_steps(service, serial, pon, onu_id)
        # WAN and WiFi lines have no undo of their own: on a first run the
        # registration's undo removes them with the ONU; on a re-run (ONU
        # already registered) they overwrite with the same values, and taking
        # them back would remove what the first run made.
        if wan is not None:
            steps += self._wan_steps(pon, onu_id, wan)
        for item in wifi:
            steps += self._wifi_steps(pon, onu_id, item)
        run_plan(self.session, steps)
        return ProvisionResult(pon=pon, onu_id=onu_id, serial=serial, service_ports=[1])

    def _onu_id_for(self, service, serial, pon):
        """(onu_id, already_registered), read from the device in this session."""
        found = self._find_serial(serial)
        if found is not None:
            found_pon, found_id = found
            if found_pon != pon or (service.onu_id is not None and service.onu_id != found_id):
                raise CommandRejected(
                    f"show gpon onu by sn {serial}",
                    f"{serial} is already registered as {self.onu_interface(found_pon, found_id)}: nothing was changed",
                )
            self.session.note(f"{serial} is already ONU {pon}:{found_id}: registration kept")
            return found_id, True
        table = self._onu_table(pon)
        if service.onu_id is not None:
            if service.onu_id in table:
                raise CommandRejected(
                    f"onu {service.onu_id} type",
                    f"ONU id {service.onu_id} on {self.olt_interface(pon)} is already in use: nothing was changed",
                )
            return service.onu_id, False
        low, high = self.onu_id_range
        free = next((number for number in range(low, high + 1) if number not in table), None)
        if free is None:
            raise CommandRejected("onu type", f"no free ONU id left on {self.olt_interface(pon)}")
        return free, False

    def _registration_step(self, service, serial, pon, onu_id):
        onu_type = service.onu_type or self._option("onu_type", self.default_onu_type)
        mode = self.olt_mode(pon)
        command = f"onu {onu_id} type {onu_type} sn {serial}"
        undo = Step(f"no onu {onu_id}", mode, done_patterns=_GONE)
        return Step(command, mode, undo=undo, capture=_require_successful(command))

    def _tcont_profile(self, service):
        return service.line_profile or service.dba_profile or self._option("tcont_profile", self.default_tcont_profile)

    def _registration_steps(self, service, serial, pon, onu_id):
        """The ONU itself and its description: the same on every ZXAN model."""
        steps = [self._registration_step(service, serial, pon, onu_id)]
        if service.description:
            steps.append(Step(f"description {service.description}", self.onu_mode(pon, onu_id)))
        return steps

    def _base_steps(self, service, serial, pon, onu_id):
        onu = self.onu_mode(pon, onu_id)
        profile = self._tcont_profile(service)
        user_vlan = service.user_vlan or service.vlan
        tcont, gem = service.tcont, service.gemport
        steps = self._registration_steps(service, serial, pon, onu_id)
        steps += [
            Step(f"tcont {tcont} name inet profile {profile}", onu),
            Step(f"gemport {gem} name inet tcont {tcont}", onu),
            Step("switchport mode trunk vport 1", onu),
            Step(
                f"service-port 1 vport 1 user-vlan {user_vlan} vlan {service.vlan}",
                onu,
                undo=Step("no service-port 1", onu, done_patterns=_GONE),
            ),
            Step(f"service inet gemport {gem} vlan {service.vlan}", self.mng_mode(pon, onu_id)),
        ]
        return steps

    def _wan_command(self, wan):
        vlan_profile = self._option("vlan_profile", self.default_vlan_profile)
        if wan.mode == "pppoe":
            credentials = f"username {wan.username} password {wan.password}"
            return f"wan-ip 1 mode pppoe {credentials} vlan-profile {vlan_profile} host 1"
        if wan.mode == "dhcp":
            return f"wan-ip 1 mode dhcp vlan-profile {vlan_profile} host 1"
        ip_profile = self._option("ip_profile", self.default_ip_profile)
        return (
            f"wan-ip 1 mode static ip-profile {ip_profile} ip-address {wan.ip} mask {wan.netmask} "
            f"vlan-profile {vlan_profile} host 1"
        )

    def _wan_steps(self, pon, onu_id, wan):
        return [Step(self._wan_command(wan), self.mng_mode(pon, onu_id))]

    def _wifi_steps(self, pon, onu_id, wifi):
        mode = self.mng_mode(pon, onu_id)
        port = f"wifi_0/{wifi.index}"
        name = f"ssid ctrl {port} name {wifi.ssid}" + (" hide enable" if wifi.hidden else "")
        if wifi.auth_mode == "open":
            auth = f"ssid auth wep {port} open-system"
        else:
            method = f"{_WIFI_AUTH[wifi.auth_mode]} encrypt {_WIFI_ENCRYPT[wifi.encrypt]}"
            auth = f"ssid auth wpa {port} {method} key {wifi.key}"
        return [Step(name, mode), Step(auth, mode)]

    def _provision_wan(self, ref, wan):
        self._check_serial(ref)
        run_plan(self.session, self._wan_steps(ref.pon, ref.onu_id, wan))
        return ProvisionResult(pon=ref.pon, onu_id=ref.onu_id, serial=ref.serial)

    def _provision_wifi(self, ref, wifi):
        self._check_serial(ref)
        run_plan(self.session, self._wifi_steps(ref.pon, ref.onu_id, wifi))
        return ProvisionResult(pon=ref.pon, onu_id=ref.onu_id, serial=ref.serial)

    # -- suspend / resume / remove ---------------------------------------------------------------
    def _admin_step(self, ref, enable):
        if self._suspend_form() == "shutdown":
            return Step("no shutdown" if enable else "shutdown", self.onu_mode(ref.pon, ref.onu_id))
        return Step(f"onu {ref.onu_id} state {'enable' if enable else 'disable'}", self.olt_mode(ref.pon))

    def _set_admin(self, ref, enable):
        self._check_serial(ref)
        run_plan(self.session, [self._admin_step(ref, enable)])
        return self._status(ref, check_serial=False)

    def _suspend(self, ref):
        return self._set_admin(ref, enable=False)

    def _resume(self, ref):
        return self._set_admin(ref, enable=True)

    def _remove(self, ref):
        if ref.onu_id not in self._onu_table(ref.pon):
            self.session.note(f"ONU {ref.pon}:{ref.onu_id} is not registered: nothing to remove")
            return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": False}
        self._check_serial(ref)
        # Removing the ONU removes its interface, pon-onu-mng lines and service ports with it.
        run_plan(self.session, [Step(f"no onu {ref.onu_id}", self.olt_mode(ref.pon))])
        return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": True}

    # -- status / save --------------------------------------------------------------------------
    def _status(self, ref, check_serial=True):
        detail = self._detail(ref)
        serial = detail["serial"].upper()
        if check_serial and ref.serial and serial and serial != v.normalize_serial(ref.serial):
            raise InvalidInput("serial", f"ONU {ref.pon}:{ref.onu_id} holds {serial}, not {ref.serial}")
        online = detail["phase_state"].lower() == "working"
        return OnuStatus(
            pon=ref.pon,
            onu_id=ref.onu_id,
            serial=serial,
            admin_state="enabled" if detail["admin_state"].lower() == "enable" else "disabled",
            run_state="online" if online else "offline",
            rx_power_dbm=self._rx_power(ref) if online else None,
        )

    def _save(self):
        reply = self.session.execute("write")
        return {"saved": True, "answer": reply.text.strip()}

    # -- bulk ---------------------------------------------------------------------------------------
    def _bulk_steps(self, ref, change):
        if change.kind == "traffic_profile":
            profile = change.params["profile"]
            return [Step(f"tcont 1 profile {profile}", self.onu_mode(ref.pon, ref.onu_id))]
        if change.kind == "vlan":
            vlan = v.check_vlan(change.params["vlan"], "params.vlan")
            return [
                Step(f"service-port 1 vport 1 user-vlan {vlan} vlan {vlan}", self.onu_mode(ref.pon, ref.onu_id)),
                Step(f"service inet gemport 1 vlan {vlan}", self.mng_mode(ref.pon, ref.onu_id)),
            ]
        raise UnsupportedOperation(f"bulk change {change.kind!r} is not supported on ZTE OLTs")

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
        run_plan(self.session, self._bulk_steps(ref, change))


class ZteC600Driver(ZteDriver):
    """ZTE ZXA10 C600 / C650 (TITAN)."""

    platform = "zte_c600"
    default_suspend_form = "shutdown"
    uncfg_commands = (PON_UNCFG, GPON_UNCFG)

    def olt_interface(self, pon):
        return f"gpon_olt-{pon}"

    def onu_interface(self, pon, onu_id):
        return f"gpon_onu-{pon}:{onu_id}"

    def vport_mode(self, pon, onu_id, vport=1):
        return CONFIG + (f"interface vport-{pon}.{onu_id}:{vport}",)

    def _uncfg_commands(self):
        return self.uncfg_commands

    def _base_steps(self, service, serial, pon, onu_id):
        onu = self.onu_mode(pon, onu_id)
        vport = self.vport_mode(pon, onu_id)
        mng = self.mng_mode(pon, onu_id)
        profile = self._tcont_profile(service)
        user_vlan = service.user_vlan or service.vlan
        tcont, gem = service.tcont, service.gemport
        steps = self._registration_steps(service, serial, pon, onu_id)
        steps += [
            Step(f"tcont {tcont} profile {profile}", onu),
            Step(f"gemport {gem} name inet tcont {tcont}", onu),
            Step(
                f"service-port 1 user-vlan {user_vlan} vlan {service.vlan}",
                vport,
                undo=Step("no service-port 1", vport, done_patterns=_GONE),
            ),
            Step(f"service inet gemport {gem} vlan {service.vlan}", mng),
            Step(f"vlan port eth_0/1 mode tag vlan {user_vlan}", mng),
        ]
        return steps

    def _bulk_steps(self, ref, change):
        if change.kind == "vlan":
            vlan = v.check_vlan(change.params["vlan"], "params.vlan")
            return [
                Step(f"service-port 1 user-vlan {vlan} vlan {vlan}", self.vport_mode(ref.pon, ref.onu_id)),
                Step(f"service inet gemport 1 vlan {vlan}", self.mng_mode(ref.pon, ref.onu_id)),
            ]
        return super()._bulk_steps(ref, change)


def _require_successful(command):
    """ZXAN confirms a registration with a line containing 'Successful'; anything else failed."""

    def capture(text, context):
        if "successful" not in text.lower():
            raise CommandRejected(command, f"the OLT did not confirm the registration: {text.strip() or '(no answer)'}")

    return capture
