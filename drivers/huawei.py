"""Huawei SmartAX GPON OLTs: MA5600T, MA5683T, MA5608T and MA5800.

Like a Netmiko vendor module, this only changes the CLI defaults (device
types, error words, prompts) and writes the plans.  Facts relied upon:

- Modes: ``#`` -> ``config`` -> ``interface gpon F/S``; ``quit`` leaves one.
  ONT commands run in the GPON interface and take the port and the ONT id
  (``ont add P ...``); service ports are global (config mode) and take F/S/P.
- ``ont add`` without an id lets the OLT pick the lowest free one and says
  ``PortID :P, ONTID :N``; sn-auth takes the 16-hex serial.
- ``Failure: Make configuration repeatedly`` and ``Failure: Service virtual
  port has existed already`` mean the wanted state is there already.
- WAN over OMCI (``ont ipconfig`` + ``ont internet-config``) is missing on
  MA5608T V800R013; OLT-side WiFi exists only from MA5800 V100R019 on.
  Target.options ``model`` and ``firmware`` say which box this is.
- Deleting an ONT deletes its OMCI settings (WAN, WiFi, native VLAN) with it,
  but not its service ports: those go first.
- A new service port gets the lowest free index read from
  ``display service-port all`` before the plan runs, so its undo
  (``undo service-port N``, which asks ``(y/n)[n]:``) is known up front.
- OLT-side WiFi is sent as ``ont wifi P N ssid-index I ssid ... auth-mode ...``:
  no public MA5800 capture confirms this syntax.
"""

import contextlib
import re
import time
from typing import ClassVar

from netmiko.exceptions import NetmikoAuthenticationException
from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH

from . import parsing
from . import validation as v
from .cli import CliOltDriver, clean_output
from .engine import Step, run_plan
from .errors import (
    CommandRejected,
    DriverError,
    InvalidInput,
    ParseError,
    UnsupportedOperation,
)
from .models import DiscoveredOnu, OnuStatus, ProvisionResult

# Alarm blocks the OLT prints whenever something happens on a port, in the
# middle of whatever it was answering: a header line starting with "!" or
# "ALARM" ("! EVENT WARNING ...", "ALARM 21837 FAULT MAJOR ..."), then lines
# up to "--- END".  The header is matched at the start of a line only, which
# keeps this cheap on a 2,000-ONU auto-find listing.
_ALARM_BLOCK = r"^[ \t]*(?:!|ALARM\b)[^\n]*\n.*?^[ \t]*-+[ \t]*END[ \t]*$\n?"
# After a completion prompt is answered the OLT repeats the command it is
# about to run ("  Command:" and the command on the next line).
_COMMAND_ECHO = r"^[ \t]*Command:[ \t]*\n[^\n]*(?:\n|$)"
# A prompt, with or without an echoed command after it: "MA5800(config)#...".
_PROMPT_LINE = re.compile(r"^[A-Za-z0-9_.\-]+(\([^)\s]*\))?[#>].*$")
_ONT_ID = re.compile(r"ONTID\s*:\s*(\d+)")
_NO_PASSWORD = re.compile(r"^(0x)?0*$")


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

    # "Username or password invalid.", "Reenter times have reached the upper limit."
    _LOGIN_FAILED = re.compile(r"invalid|Reenter times|authentication fail", re.IGNORECASE)

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

    #: answers of read commands that mean "nothing there", not a failure
    _NO_AUTOFIND = r"Failure: The automatically found ONTs do not exist"
    _NO_ONT = r"Failure: The ONT does not exist"
    _NO_ONT_ON_PORT = r"Failure: (The ONT does not exist|There is no ONT available)"
    _NOT_ONLINE = r"Failure: The ONT is not online"
    _NO_SERVICE_PORT = r"Failure: No service virtual port can be operated"

    # -- what this box can do -----------------------------------------------
    def _model_text(self):
        options = self.target.options
        return f"{options.get('model', '')} {options.get('firmware', '')}".upper()

    def supports_wan(self):
        text = self._model_text()
        return not ("MA5608T" in text and "V800R013" in text)

    def supports_wifi(self):
        text = self._model_text()
        release = re.search(r"V(\d{3})R(\d{3})", text)
        return "MA5800" in text and bool(release) and (int(release.group(1)), int(release.group(2))) >= (100, 19)

    def check_target(self):
        target = super().check_target()
        v.check_int("options.wan_ip_index", target.options.get("wan_ip_index", 1), 0, 7)
        return target

    def check_wan(self, wan):
        if not self.supports_wan():
            raise UnsupportedOperation(
                "WAN over OMCI is unsupported on MA5608T V800R013 (no 'ont internet-config'); "
                "configure it through TR-069"
            )
        return super().check_wan(wan)

    def check_wifi(self, wifi):
        if not self.supports_wifi():
            raise UnsupportedOperation(
                "WiFi from the OLT needs an MA5800 with V100R019 or later; on this OLT WiFi goes through TR-069"
            )
        return super().check_wifi(wifi)

    # -- validation -----------------------------------------------------------
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

    # -- helpers ----------------------------------------------------------------
    def _address(self, pon):
        """'0/1/3' -> ('0/1/3', frame/slot, port), normalised."""
        pon = self.check_pon(pon)
        frame, slot, port = pon.split("/")
        return pon, f"{frame}/{slot}", port

    @staticmethod
    def _interface(frame_slot):
        return ("config", f"interface gpon {frame_slot}")

    @staticmethod
    def _profile(kind, value):
        """ont-lineprofile-id 10 / ont-lineprofile-name NAME."""
        return f"{kind}-{'id' if str(value).isdigit() else 'name'} {value}"

    @staticmethod
    def _traffic_table(value):
        if not value:
            return ""
        key = "index" if str(value).isdigit() else "name"
        return f" inbound traffic-table {key} {value} outbound traffic-table {key} {value}"

    def _read_or_empty(self, command, mode, empty_pattern):
        """A display command whose 'nothing there' answer is a Failure line: '' then."""
        reply = self.session.execute(command, mode, done_patterns=(empty_pattern,))
        return "" if reply.already else reply.text

    def _port_onts(self, pon):
        """Rows of 'display ont info P all': the ONTs registered on one PON port."""
        pon, frame_slot, port = self._address(pon)
        text = self._read_or_empty(
            f"display ont info {port} all",
            self._interface(frame_slot),
            self._NO_ONT_ON_PORT,
        )
        return parsing.parse("huawei_display_ont_info_all", text)

    def _ont_info(self, pon, onu_id):
        """'display ont info P N' as one dict; None when there is no such ONT."""
        pon, frame_slot, port = self._address(pon)
        text = self._read_or_empty(
            f"display ont info {port} {onu_id}",
            self._interface(frame_slot),
            self._NO_ONT,
        )
        rows = parsing.parse("huawei_display_ont_info", text) if text else []
        return rows[0] if rows else None

    def _all_service_ports(self):
        """Every service port of the OLT ('display service-port all'), F/S/P unpadded."""
        text = self._read_or_empty("display service-port all", ("config",), self._NO_SERVICE_PORT)
        rows = parsing.parse("huawei_display_service_port", text)
        for row in rows:
            row["fsp"] = re.sub(r"\s+", "", row["fsp"])
        return rows

    def _service_ports(self, pon, onu_id):
        """Rows of 'display service-port port F/S/P ont N'."""
        text = self._read_or_empty(
            f"display service-port port {pon} ont {onu_id}",
            ("config",),
            self._NO_SERVICE_PORT,
        )
        return parsing.parse("huawei_display_service_port", text)

    def _ont_add_command(self, port, onu_id, serial_hex, line_profile, service_profile, description):
        command = f"ont add {port}"
        if onu_id is not None:
            command += f" {onu_id}"
        command += (
            f" sn-auth {serial_hex} omci {self._profile('ont-lineprofile', line_profile)}"
            f" {self._profile('ont-srvprofile', service_profile)}"
        )
        if description:
            command += f' desc "{description}"'
        return command

    @staticmethod
    def _service_port_command(pon, onu_id, vlan, gemport, user_vlan, traffic, index=None):
        head = f"service-port {index}" if index is not None else "service-port"
        return (
            f"{head} vlan {vlan} gpon {pon} ont {onu_id} gemport {gemport} multi-service"
            f" user-vlan {user_vlan} tag-transform translate{HuaweiDriver._traffic_table(traffic)}"
        )

    @staticmethod
    def _matching_port(rows, vlan, gemport, user_vlan):
        for row in rows:
            if (int(row["vlan"]), int(row["gemport"])) == (vlan, gemport) and row["flow_para"] == str(user_vlan):
                return int(row["index"])
        return None

    # -- parsing ------------------------------------------------------------------
    @classmethod
    def parse_autofind(cls, text):
        """'display ont autofind all' as captured from a terminal -> [DiscoveredOnu]."""
        text = clean_output(text, cls.async_patterns)
        lines = [line for line in text.split("\n") if not _PROMPT_LINE.match(line)]
        found = []
        for row in parsing.parse("huawei_display_ont_autofind", "\n".join(lines)):
            found.append(
                DiscoveredOnu(
                    serial=cls._serial_of(row),
                    pon=re.sub(r"\s+", "", row["fsp"]),
                    olt_index=re.sub(r"\s+", "", row["fsp"]),
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
        """'0x31323334...' -> '1234...'; all zeros means the ONU has none."""
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
    def _serial_of(row):
        """The 12-character vendor form: from the hex serial, else from the bracketed one."""
        try:
            return v.normalize_serial(row["serial_hex"])
        except InvalidInput:
            if row["serial_vendor"]:
                return v.normalize_serial(row["serial_vendor"])
            raise ParseError(f"autofind entry {row['number']}: {row['serial_hex']!r} is not a GPON serial") from None

    # -- operations -----------------------------------------------------------------
    def _discover(self):
        reply = self.session.execute("display ont autofind all", ("config",), done_patterns=(self._NO_AUTOFIND,))
        return [] if reply.already else self.parse_autofind(reply.text)

    def _provision(self, service, wan, wifi):
        pon, frame_slot, port = self._address(service.pon)
        serial = v.normalize_serial(service.serial)
        serial_hex = v.serial_to_hex(serial)
        interface = self._interface(frame_slot)
        context = {}
        steps = []

        # Service ports are global: their indexes, and whether this ONU has its
        # port already, come from one read made before anything changes, so
        # every step of the plan knows what undoes it.
        service_ports = self._all_service_ports()
        # A re-run finds the ONT registered already: its id is reused and the
        # registration counts as done (nothing to undo for it).
        registered = next(
            (row for row in self._port_onts(pon) if row["serial_hex"].upper() == serial_hex),
            None,
        )
        if registered:
            context["onu_id"] = int(registered["ont_id"])
            self.session.note(f"{serial} is registered on {pon} as ONT {context['onu_id']} already: reusing it")
        else:
            steps.append(
                Step(
                    self._ont_add_command(
                        port,
                        service.onu_id,
                        serial_hex,
                        service.line_profile,
                        service.service_profile,
                        service.description,
                    ),
                    mode=interface,
                    capture=self._capture_ont_id(pon, serial_hex),
                    undo=Step(
                        lambda c: f"ont delete {port} {_known(c, 'onu_id')}",
                        mode=interface,
                    ),
                )
            )
        # Without a new ONT, OMCI settings need their own undo; with one,
        # deleting the ONT takes them away.
        own_undo = bool(registered)
        if wan is not None:
            steps.extend(self._wan_steps(port, interface, wan, own_undo))
        for item in wifi:
            steps.extend(self._wifi_steps(port, interface, item, own_undo))

        user_vlan = service.user_vlan or service.vlan
        mine = [
            row for row in service_ports if registered and (row["fsp"], int(row["ont_id"])) == (pon, context["onu_id"])
        ]
        existing = self._matching_port(mine, service.vlan, service.gemport, user_vlan)
        if existing is not None:
            context["service_port"] = existing
            self.session.note(f"service port {existing} exists already")
        else:
            used = {int(row["index"]) for row in service_ports}
            context["service_port"] = index = next(i for i in range(len(used) + 1) if i not in used)
            steps.append(
                Step(
                    lambda c: self._service_port_command(
                        pon,
                        c["onu_id"],
                        service.vlan,
                        service.gemport,
                        user_vlan,
                        service.traffic_profile,
                        index=index,
                    ),
                    mode=("config",),
                    undo=Step(f"undo service-port {index}", mode=("config",)),
                )
            )
        run = run_plan(self.session, steps, context)
        return ProvisionResult(pon, run.context["onu_id"], serial, [run.context["service_port"]])

    def _capture_ont_id(self, pon, serial_hex):
        def capture(text, context):
            match = _ONT_ID.search(text)
            if match:
                context["onu_id"] = int(match.group(1))
                return
            # "Make configuration repeatedly" or a firmware that does not print the
            # id: the port's ONT table says which id the serial got.
            for row in self._port_onts(pon):
                if row["serial_hex"].upper() == serial_hex:
                    context["onu_id"] = int(row["ont_id"])
                    return
            raise ParseError(f"the OLT did not say which ONT id it gave {serial_hex}: {text.strip()!r}")

        return capture

    def _wan_steps(self, port, interface, wan, own_undo):
        index = int(self.target.options.get("wan_ip_index", 1))

        def ont(command):
            return lambda c: f"{command} {port} {c['onu_id']} ip-index {index}"

        if wan.mode == "pppoe":
            how = f"pppoe user-account username {wan.username} password {wan.password}"
        elif wan.mode == "dhcp":
            how = "dhcp"
        else:
            how = f"static ip-address {wan.ip} mask {wan.netmask} gateway {wan.gateway}"
            if wan.dns1:
                how += f" pri-dns {wan.dns1}"
            if wan.dns2:
                how += f" slave-dns {wan.dns2}"
        ipconfig = ont("ont ipconfig")
        internet = ont("ont internet-config")
        return [
            Step(
                lambda c: f"{ipconfig(c)} {how} vlan {wan.vlan} priority 0",
                mode=interface,
                undo=Step(ont("undo ont ipconfig"), mode=interface) if own_undo else None,
            ),
            # No undo of its own: undoing the ipconfig above removes the whole
            # ip-index, its internet binding included.
            Step(internet, mode=interface),
        ]

    def _wifi_steps(self, port, interface, wifi, own_undo):
        # MA5800 V100R019+.  No public capture confirms this syntax (the
        # simulator documents the same doubt): check it on a real MA5800.
        auth = {
            "wpa2psk": "wpa2-psk",
            "wpapsk/wpa2psk": "wpa-wpa2-psk",
            "open": "open",
        }[wifi.auth_mode]
        security = f"auth-mode {auth}"
        if wifi.auth_mode != "open":
            encrypt = {"aes": "aes", "tkipaes": "tkip-aes"}[wifi.encrypt]
            security += f" encrypt-mode {encrypt} key {wifi.key}"
        hidden = "enable" if wifi.hidden else "disable"
        return [
            Step(
                lambda c: (
                    f"ont wifi {port} {c['onu_id']} ssid-index {wifi.index} ssid {wifi.ssid} {security} hidden {hidden}"
                ),
                mode=interface,
                undo=(
                    Step(
                        lambda c: f"undo ont wifi {port} {c['onu_id']} ssid-index {wifi.index}",
                        mode=interface,
                    )
                    if own_undo
                    else None
                ),
            )
        ]

    def _provision_wan(self, ref, wan):
        pon, frame_slot, port = self._address(ref.pon)
        run_plan(
            self.session,
            self._wan_steps(port, self._interface(frame_slot), wan, True),
            {"onu_id": ref.onu_id},
        )
        return {"pon": pon, "onu_id": ref.onu_id, "wan": wan.mode}

    def _provision_wifi(self, ref, wifi):
        pon, frame_slot, port = self._address(ref.pon)
        run_plan(
            self.session,
            self._wifi_steps(port, self._interface(frame_slot), wifi, True),
            {"onu_id": ref.onu_id},
        )
        return {"pon": pon, "onu_id": ref.onu_id, "ssid_index": wifi.index}

    def _set_active(self, ref, active):
        pon, frame_slot, port = self._address(ref.pon)
        interface = self._interface(frame_slot)
        verb, opposite = ("activate", "deactivate") if active else ("deactivate", "activate")
        step = Step(
            f"ont {verb} {port} {ref.onu_id}",
            mode=interface,
            undo=Step(f"ont {opposite} {port} {ref.onu_id}", mode=interface),
        )
        run = run_plan(self.session, [step])
        return {
            "pon": pon,
            "onu_id": ref.onu_id,
            "admin_state": "enabled" if active else "disabled",
            "already": run.replies[0].already,
        }

    def _suspend(self, ref):
        return self._set_active(ref, False)

    def _resume(self, ref):
        return self._set_active(ref, True)

    def _remove(self, ref):
        pon, frame_slot, port = self._address(ref.pon)
        interface = self._interface(frame_slot)
        info = self._ont_info(pon, ref.onu_id)
        if info is None:
            self.session.note(f"ONT {ref.onu_id} on {pon} does not exist: nothing to remove")
            return {
                "pon": pon,
                "onu_id": ref.onu_id,
                "removed": False,
                "service_ports": [],
            }
        ports = self._service_ports(pon, ref.onu_id)
        steps = []
        # Service ports first: the OLT refuses to delete an ONT that still has some.
        for row in ports:
            traffic = row["rx"] if row["rx"] not in ("-", "") else ""
            steps.append(
                Step(
                    f"undo service-port {row['index']}",
                    mode=("config",),
                    undo=Step(
                        self._service_port_command(
                            pon,
                            ref.onu_id,
                            int(row["vlan"]),
                            int(row["gemport"]),
                            row["flow_para"],
                            traffic,
                            index=row["index"],
                        ),
                        mode=("config",),
                    ),
                )
            )
        description = info["description"] if re.fullmatch(r"[A-Za-z0-9._\-/:#@]{1,64}", info["description"]) else ""
        readd = self._ont_add_command(
            port,
            ref.onu_id,
            info["serial_hex"].upper(),
            info["line_profile_id"] or info["line_profile_name"],
            info["service_profile_id"] or info["service_profile_name"],
            description,
        )
        steps.append(
            Step(
                f"ont delete {port} {ref.onu_id}",
                mode=interface,
                undo=Step(readd, mode=interface),
            )
        )
        run_plan(self.session, steps)
        return {
            "pon": pon,
            "onu_id": ref.onu_id,
            "removed": True,
            "service_ports": [int(row["index"]) for row in ports],
        }

    def _status(self, ref):
        pon, frame_slot, port = self._address(ref.pon)
        info = self._ont_info(pon, ref.onu_id)
        if info is None:
            raise CommandRejected(
                f"display ont info {port} {ref.onu_id}",
                f"ONT {ref.onu_id} does not exist on {pon}",
            )
        run_state = "online" if info["run_state"].lower() == "online" else "offline"
        rx_power = None
        if run_state == "online":
            text = self._read_or_empty(
                f"display ont optical-info {port} {ref.onu_id}",
                self._interface(frame_slot),
                self._NOT_ONLINE,
            )
            rows = parsing.parse("huawei_display_ont_optical_info", text) if text else []
            if rows and re.fullmatch(r"-?\d+(\.\d+)?", rows[0]["rx_power"]):
                rx_power = float(rows[0]["rx_power"])
        serial = info["serial_hex"]
        with contextlib.suppress(InvalidInput):  # an odd serial does not spoil the status
            serial = v.normalize_serial(serial)
        return OnuStatus(
            pon=pon,
            onu_id=ref.onu_id,
            serial=serial,
            admin_state="enabled" if info["control_flag"].lower() == "active" else "disabled",
            run_state=run_state,
            rx_power_dbm=rx_power,
        )

    def _save(self):
        reply = self.session.execute("save", ())
        return {"saved": True, "answer": reply.text.strip()}

    # -- bulk -------------------------------------------------------------------
    def _apply_change(self, ref, change, context):
        run_plan(self.session, self._bulk_steps(ref, change))

    def _bulk_steps(self, ref, change):
        pon, frame_slot, port = self._address(ref.pon)
        interface = self._interface(frame_slot)
        if change.kind == "vlan":
            vlan = v.check_vlan(change.params["vlan"], "params.vlan")
            return [
                Step(
                    f"ont port native-vlan {port} {ref.onu_id} eth 1 vlan {vlan} priority 0",
                    mode=interface,
                )
            ]
        if change.kind == "traffic_profile":
            return self._traffic_steps(pon, ref.onu_id, str(change.params["profile"]))
        raise UnsupportedOperation(f"bulk change {change.kind!r} is not supported on Huawei")

    def _traffic_steps(self, pon, onu_id, profile):
        """Each service port of the ONU re-created, same index, with the new traffic table."""
        ports = self._service_ports(pon, onu_id)
        if not ports:
            raise CommandRejected(
                f"display service-port port {pon} ont {onu_id}",
                "the ONU has no service port",
            )
        steps = []
        for row in ports:
            old = row["rx"] if row["rx"] not in ("-", "") else ""
            if old == profile:
                continue
            index, vlan, gemport, user_vlan = (
                row["index"],
                int(row["vlan"]),
                int(row["gemport"]),
                row["flow_para"],
            )
            steps.append(
                Step(
                    f"undo service-port {index}",
                    mode=("config",),
                    undo=Step(
                        self._service_port_command(pon, onu_id, vlan, gemport, user_vlan, old, index=index),
                        mode=("config",),
                    ),
                )
            )
            steps.append(
                Step(
                    self._service_port_command(pon, onu_id, vlan, gemport, user_vlan, profile, index=index),
                    mode=("config",),
                    undo=Step(f"undo service-port {index}", mode=("config",)),
                )
            )
        return steps


def _known(context, key):
    """A value an earlier step captured; an undo without it cannot be sent."""
    if key not in context:
        raise DriverError(f"cannot undo: the device never reported the {key.replace('_', ' ')}")
    return context[key]
