"""V-SOL V1600G / V1600D GPON OLTs, over SSH and Telnet.

Netmiko has no V-SOL class, so this module carries two small ones built on
CiscoBaseConnection (the CLI is Cisco-like: ``gpon-olt>``, ``enable`` with
its own password, ``configure terminal``, ``interface gpon 0/N``, ``exit``).
They differ from Cisco's in what they must not do: V-SOL answers
``terminal width 511`` with ``% Unknown command.``, so session preparation
sends only ``terminal length 0``.

Everything an ONU needs is configured inside ``interface gpon 0/P`` with
``onu N ...`` commands; the ONU id is the lowest free one read from
``show onu info`` on that port in the same session.  WAN and WiFi go through
V-SOL's private OMCI extension (``onu N pri wan_adv`` / ``pri wifi_ssid``),
which the OLT refuses with ``Unsupport private protocol`` until the ONU is
``working``.
"""

import contextlib
import re
from typing import ClassVar

from netmiko.cisco_base_connection import CiscoBaseConnection
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

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

# ---------------------------------------------------------------------------
# Netmiko connection classes
# ---------------------------------------------------------------------------

_LOGIN_PROMPT = r"(?:[Ll]ogin|[Uu]ser ?[Nn]ame)\s*:\s*$"
_PASSWORD_PROMPT = r"[Pp]assword\s*:\s*$"
_CLI_PROMPT = r"[>#]\s*$"


class VsolOltBase(CiscoBaseConnection):
    """Session preparation and modes of the V-SOL CLI."""

    def session_preparation(self):
        output = self._test_channel_read(pattern=rf"{_CLI_PROMPT}|{_LOGIN_PROMPT}")
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
# A prompt line of a captured session, with the PON port when inside one.
_CAPTURE_PROMPT = re.compile(r"^[\w.\-]+(?:\((?P<context>[^)]*)\))?[>#]\s?(?P<command>.*)$")
_NUMBER_IS = re.compile(r"number is\s*:?\s*(\d+)", re.IGNORECASE)
_EMPTY_VALUES = {"", "n/a", "na", "-", "--", "null", "none"}


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


def autofind_rows_to_onus(rows, pon=""):
    """Rows of the vsol_show_onu_auto_find template -> [DiscoveredOnu]."""
    onus = []
    for row in rows:
        index = row["onu_index"]
        onu_pon = pon
        if index and not index.isdigit():
            onu_pon, _ = parse_onu_index(index, pon)
        if not onu_pon:
            raise ParseError(f"auto-find row {index or row['serial']} does not say which PON port it is on")
        serial = _serial(row["serial"], f"auto-find row {index}")
        onus.append(
            DiscoveredOnu(
                serial=serial,
                pon=onu_pon,
                olt_index=index if not index.isdigit() else f"GPON{onu_pon}:{index}",
                model=_value(row["model"]),
                vendor_id=serial[:4],
                version=_value(row["version"]),
                password=_value(row["password"]),
                loid=_value(row["loid"]),
            )
        )
    return onus


def parse_onu_table(text, pon):
    """``show onu info`` -> {onu_id: row} for the port being read."""
    table = {}
    for row in parsing.parse("vsol_show_onu_info", text):
        onu_pon, onu_id = parse_onu_index(row["onu_index"], pon)
        if onu_pon == pon:
            table[onu_id] = row
    return table


def parse_rx_power(text):
    """The ONU's received optical power in dBm from the optical command; None if not reported."""
    rows = parsing.parse("vsol_show_onu_optical", text)
    for row in rows:
        value = row["rx_power"]
        if value and value.lower() not in _EMPTY_VALUES:
            try:
                return float(value)
            except ValueError as error:
                raise ParseError(f"RX power '{value}' is not a number") from error
    return None


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

#: the syslog lines V-SOL writes into a session at any time:
#: ``2025/09/10 13:58:45   User Login   User x-10.0.0.1-telnet log in.``
SYSLOG_LINE = r"^[ \t]*\d{4}/\d{1,2}/\d{1,2}[ \t]+\d{1,2}:\d{2}:\d{2}[^\n]*(?:\n|$)"

CONFIG = ("configure terminal",)


def port_mode(pon):
    return CONFIG + (f"interface gpon {pon}",)


class VsolDriver(CliOltDriver):
    """V-SOL V1600G / V1600D (and V1600GS: ``Target.options['model']``).

    Target.options: ``pon_ports`` (list or "0/1,0/2": the ports discovery
    reads; without it the ports are walked until the OLT refuses one),
    ``model`` (V1600GS saves with ``write memory``), ``autofind_detail``
    (read ``show onu auto-find detail-info``: model, password, LOID),
    ``wan_bind`` (ONU ports a WAN serves, default ``lan1 lan2 ssid1``),
    ``optical_command`` (e.g. ``show onu {onu_id} optical``),
    ``no_private_omci`` (firmware without ``pri`` WAN/WiFi), ``busy_delay``.
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
    #: the optical diagnostics command differs between firmware: tried in order
    optical_commands = ("show onu optical-info {onu_id}", "show onu {onu_id} optical")

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
        model = str(self.target.options.get("model", "")).upper()
        return "write memory" if model.startswith("V1600GS") else "write"

    # -- reads ----------------------------------------------------------------
    def _onu_table(self, pon):
        return parse_onu_table(self.session.read("show onu info", port_mode(pon)), pon)

    def _autofind(self, pon):
        command = "show onu auto-find"
        if _flag(self.target.options.get("autofind_detail")):
            command = "show onu auto-find detail-info"
        text = self.session.read(command, port_mode(pon))
        return autofind_rows_to_onus(parsing.parse("vsol_show_onu_auto_find", text), pon)

    def _onu_config(self, pon, onu_id):
        """The ONU's own lines of ``show running-config`` (``onu N ...`` in its port)."""
        return parse_running_config(self.session.read("show running-config")).get(pon, {}).get(onu_id, [])

    def _existing(self, ref):
        """The ONU-table row of ``ref`` (checking its serial when given), or None."""
        row = self._onu_table(ref.pon).get(ref.onu_id)
        if row and ref.serial and row["serial"] and row["serial"].upper() != v.normalize_serial(ref.serial):
            raise InvalidInput(
                "serial",
                f"ONU {ref.pon}:{ref.onu_id} holds {row['serial']}, not {ref.serial}: nothing was changed",
            )
        return row

    def _require(self, ref):
        row = self._existing(ref)
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

    # -- provision ------------------------------------------------------------
    def _provision(self, service, wan, wifi):
        serial = v.normalize_serial(service.serial)
        pon = self.check_pon(service.pon)
        table = self._onu_table(pon)
        registered = _find_serial(table, serial)
        if registered is not None:
            onu_id = registered
            self.session.note(f"{serial} is already ONU {pon}:{onu_id}: registration kept")
        elif service.onu_id is not None:
            onu_id = service.onu_id
            if onu_id in table:
                raise CommandRejected(
                    f"onu add {onu_id}",
                    f"ONU id {onu_id} on {pon} already holds {table[onu_id]['serial']}",
                )
        else:
            onu_id = _lowest_free(table, *self.onu_id_range)
            if onu_id is None:
                raise CommandRejected(f"onu add on {pon}", f"no free ONU id left on {pon}")
        steps = self._base_steps(service, serial, pon, onu_id, register=registered is None)
        if wan is not None and (registered is None or self._wan_missing(pon, onu_id, wan)):
            steps += self._wan_steps(pon, onu_id, wan)
        for item in wifi:
            steps.append(self._wifi_step(pon, onu_id, item))
        run_plan(self.session, steps, {"wan_index": None})
        return ProvisionResult(pon=pon, onu_id=onu_id, serial=serial, service_ports=[1])

    def _wan_missing(self, pon, onu_id, wan):
        """On a re-run: is the wanted WAN absent from the ONU's configuration?

        A WAN is added with ``add route`` (a new index each time), so
        re-sending it would create a second one.  V-SOL firmware prints the
        ``pri wan_adv`` lines in the running configuration; where the
        configuration shows no detail of the ONU at all (only its
        registration), the registration itself is the evidence: a
        provisioning that failed was rolled back, ``no onu`` included.
        """
        lines = self._onu_config(pon, onu_id)
        detailed = any(re.match(rf"onu {onu_id} (?:tcont|gemport|service|pri)\b", line) for line in lines)
        if not detailed:
            self.session.note(
                f"ONU {pon}:{onu_id} was registered by an earlier provisioning and its configuration "
                "shows no WAN detail: WAN taken as done (provision_wan changes it)"
            )
            return False
        wanted = rf"user {re.escape(wan.username)}\b" if wan.mode == "pppoe" else rf"route ipv4 {wan.mode}\b"
        for index in {m.group(1) for line in lines if (m := re.match(rf"onu {onu_id} pri wan_adv index (\d+) ", line))}:
            block = [line for line in lines if line.startswith(f"onu {onu_id} pri wan_adv index {index} ")]
            if any(re.search(wanted, line) for line in block) and any(
                f"wan_vlan {wan.vlan} " in line for line in block
            ):
                self.session.note(f"ONU {pon}:{onu_id} already has this WAN (index {index})")
                return False
        return True

    def _base_steps(self, service, serial, pon, onu_id, register):
        mode = port_mode(pon)
        user_vlan = service.user_vlan or service.vlan
        gem, tcont = service.gemport, service.tcont
        steps = []
        if register:
            steps.append(
                Step(
                    f"onu add {onu_id} profile {service.line_profile or self.default_onu_profile} sn {serial}",
                    mode,
                    # Removing the ONU takes its tcont, gemports, services and
                    # service ports with it: the one undo the base needs.
                    undo=Step(f"no onu {onu_id}", mode),
                )
            )
        if service.description:
            steps.append(Step(f"onu {onu_id} desc {service.description}", mode))
        dba = service.dba_profile or self.default_dba_profile
        steps += [
            # On a re-run these objects exist already: the same object
            # answering "already exists" is the wanted state.
            Step(
                f"onu {onu_id} tcont {tcont} name INTERNET dba {dba}",
                mode,
                done_patterns=(rf"Tcont {tcont} already",),
            ),
            Step(
                f"onu {onu_id} gemport {gem} tcont {tcont} gemport_name INTERNET",
                mode,
                done_patterns=(rf"Gemport {gem} already",),
            ),
        ]
        if service.traffic_profile:
            steps.append(
                Step(
                    f"onu {onu_id} gemport {gem} traffic-limit downstream {service.traffic_profile}",
                    mode,
                )
            )
        steps += [
            Step(
                f"onu {onu_id} service ser_{gem} gemport {gem} vlan {service.vlan}",
                mode,
                done_patterns=(rf"Service ser_{gem} already",),
            ),
            Step(
                f"onu {onu_id} service-port 1 gemport {gem} uservlan {user_vlan} vlan {service.vlan} new_cos 0",
                mode,
                done_patterns=(r"Service-port 1 already",),
            ),
            Step(f"onu {onu_id} portvlan veip 1 mode tag vlan {user_vlan}", mode),
        ]
        return steps

    def _wan_steps(self, pon, onu_id, wan):
        """The ``pri wan_adv`` sequence; the WAN index comes from the OLT's answer."""
        mode = port_mode(pon)
        prefix = f"onu {onu_id} pri wan_adv"

        def indexed(text):
            return lambda context: f"{prefix} index {context['wan_index']} {text}"

        if wan.mode == "pppoe":
            ipv4 = f"route ipv4 pppoe proxy disable user {wan.username} pwd {wan.password} mode auto nat enable"
        elif wan.mode == "dhcp":
            ipv4 = "route ipv4 dhcp nat enable"
        else:
            ipv4 = (
                f"route ipv4 static ip {wan.ip} mask {wan.netmask} gw {wan.gateway} "
                f"dns master {wan.dns1} slave {wan.dns2 or wan.dns1} nat enable"
            )
        return [
            Step(
                f"{prefix} add route",
                mode,
                capture=_capture_wan_index,
                undo=Step(
                    lambda context: f"{prefix} delete index {context['wan_index']}",
                    mode,
                ),
            ),
            Step(indexed(f"route mode internet mtu {wan.mtu or 1492}"), mode),
            Step(indexed(ipv4), mode),
            Step(indexed(f"vlan tag wan_vlan {wan.vlan} 0"), mode),
            Step(indexed(f"bind {self._wan_bind()}"), mode),
            Step(f"{prefix} commit", mode),
        ]

    def _wifi_step(self, pon, onu_id, wifi):
        hide = "enable" if wifi.hidden else "disable"
        if wifi.auth_mode == "open":
            security = "auth_mode open encrypt_type none"
        else:
            security = f"auth_mode {wifi.auth_mode} encrypt_type {wifi.encrypt} shared_key {wifi.key} rekey_interval 0"
        return Step(
            f"onu {onu_id} pri wifi_ssid {wifi.index} name {wifi.ssid} hide {hide} {security}",
            port_mode(pon),
        )

    def _provision_wan(self, ref, wan):
        self._require(ref)
        run_plan(self.session, self._wan_steps(ref.pon, ref.onu_id, wan), {"wan_index": None})
        return ProvisionResult(pon=ref.pon, onu_id=ref.onu_id, serial=ref.serial)

    def _provision_wifi(self, ref, wifi):
        self._require(ref)
        run_plan(self.session, [self._wifi_step(ref.pon, ref.onu_id, wifi)])
        return ProvisionResult(pon=ref.pon, onu_id=ref.onu_id, serial=ref.serial)

    # -- suspend / resume / remove ---------------------------------------------
    def _suspend(self, ref):
        self._require(ref)
        run_plan(self.session, [Step(f"onu {ref.onu_id} deactivate", port_mode(ref.pon))])
        return self._status(ref)

    def _resume(self, ref):
        self._require(ref)
        run_plan(self.session, [Step(f"onu {ref.onu_id} activate", port_mode(ref.pon))])
        return self._status(ref)

    def _remove(self, ref):
        if self._existing(ref) is None:
            self.session.note(f"ONU {ref.pon}:{ref.onu_id} is not registered: nothing to remove")
            return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": False}
        # Removing the ONU removes its tcont, gemports, services and service ports with it.
        run_plan(self.session, [Step(f"no onu {ref.onu_id}", port_mode(ref.pon))])
        return {"pon": ref.pon, "onu_id": ref.onu_id, "removed": True}

    # -- status / save ------------------------------------------------------------
    def _status(self, ref):
        row = self._require(ref)
        online = row["phase_state"].lower() == "working"
        status = OnuStatus(
            pon=ref.pon,
            onu_id=ref.onu_id,
            serial=row["serial"] or ref.serial,
            admin_state="enabled" if row["admin_state"].lower().startswith("enable") else "disabled",
            run_state="online" if online else "offline",
        )
        if online:
            status.rx_power_dbm = self._rx_power(ref)
        return status

    def _rx_power(self, ref):
        configured = self.target.options.get("optical_command")
        commands = (configured,) if configured else self.optical_commands
        for command in commands:
            try:
                text = self.session.read(command.format(onu_id=ref.onu_id), port_mode(ref.pon))
            except CommandRejected as error:
                self.session.note(f"RX power not read: {error.device_message}")
                continue
            return parse_rx_power(text)
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
        if ref.pon not in tables:
            tables[ref.pon] = self._onu_table(ref.pon)
        if ref.onu_id not in tables[ref.pon]:
            raise CommandRejected(f"onu {ref.onu_id}", f"ONU {ref.pon}:{ref.onu_id} is not registered")
        if "config" not in context and change.kind == "vlan":
            # The current service lines, so a failed change can be put back.
            context["config"] = parse_running_config(self.session.read("show running-config"))
        lines = context.get("config", {}).get(ref.pon, {}).get(ref.onu_id, [])
        run_plan(self.session, self._bulk_steps(ref, change, lines))

    def _bulk_steps(self, ref, change, lines):
        mode = port_mode(ref.pon)
        onu = ref.onu_id
        if change.kind == "traffic_profile":
            return [
                Step(
                    f"onu {onu} gemport 1 traffic-limit downstream {change.params['profile']}",
                    mode,
                )
            ]
        vlan = v.check_vlan(change.params.get("vlan"), "params.vlan")
        old_port = _line(lines, rf"onu {onu} service-port 1 ")
        old_service = _line(lines, rf"onu {onu} service ser_1 ")
        old_portvlan = _line(lines, rf"onu {onu} portvlan veip 1 ")
        return [
            Step(
                f"no onu {onu} service-port 1",
                mode,
                undo=Step(old_port, mode) if old_port else None,
            ),
            Step(
                f"onu {onu} service-port 1 gemport 1 uservlan {vlan} vlan {vlan} new_cos 0",
                mode,
                undo=Step(f"no onu {onu} service-port 1", mode),
            ),
            Step(
                f"no onu {onu} service ser_1",
                mode,
                undo=Step(old_service, mode) if old_service else None,
            ),
            Step(
                f"onu {onu} service ser_1 gemport 1 vlan {vlan}",
                mode,
                undo=Step(f"no onu {onu} service ser_1", mode),
            ),
            Step(
                f"onu {onu} portvlan veip 1 mode tag vlan {vlan}",
                mode,
                undo=Step(old_portvlan, mode) if old_portvlan else None,
            ),
        ]

    # -- parsing a captured terminal session ----------------------------------------
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
            found.extend(autofind_rows_to_onus(parsing.parse("vsol_show_onu_auto_find", block), pon))
        return found


def parse_running_config(text):
    """``show running-config`` -> {pon: {onu_id: ["onu N ...", ...]}} (the ONU lines of each port)."""
    config, pon = {}, None
    for raw in text.split("\n"):
        line = raw.strip()
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


def _line(lines, prefix):
    return next((line for line in lines if re.match(prefix, line)), "")


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


def _find_serial(table, serial):
    for onu_id, row in table.items():
        if row["serial"].upper() == serial:
            return onu_id
    return None


def _lowest_free(table, low, high):
    for onu_id in range(low, high + 1):
        if onu_id not in table:
            return onu_id
    return None


def _pon_key(pon):
    return tuple(int(part) for part in pon.split("/"))


def _flag(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")
