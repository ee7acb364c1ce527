"""V-SOL V1600G dialect (Zebra-style CLI), grounded in public captures.

Device options (``options=`` of ``simulator.start``):

- ``firmware``: the family whose layouts the device prints (README, V-SOL row):

  - ``"v1.4.8r"`` (default; V1600G0-B V1.4.8R, layouts learned from a lab
    capture published without a licence, so only its structure is used):
    ``show version`` as ``Olt Device Model:`` / ``Software Version:`` lines;
    ``show onu info`` and ``show onu state`` place every cell with
    ``\r ESC[<n>C`` (back to column 0, then n right), ``show onu info``
    leaves a blank line after each row and its header ends in spaces,
    ``show onu state`` prints ``Serial Number`` and a
    ``pon: 1 total: N working: M`` footer; ``show onu N optical_info`` prints
    ``Rx optical level(ONU)      : -18.15``; ``show onu N optical`` is
    ``% Unknown command.``; gemport lines carry ``portid N``.
  - ``"v2.1.6r"`` (V1600G1; layouts of nanoncore/nano-southbound's fixtures
    and a V1600G session log): plain spaces; ``show onu state`` as
    ``1/1/1:1  enable  enable  working  1(GPON)`` under a ``Channel`` header
    (auto-find rows are ``1/1/1:N`` too; ``show onu info all`` and ``show onu
    state all`` are accepted on both families, as public tools send them);
    ``show onu N optical_info`` and ``show onu N optical`` print
    ``Rx optical level:             -19.580(dBm)``; an empty auto-find is its
    header, separator and ``Error: No related information to show. 62310``.

- ``onu_running_config`` (True): ``show running-config onu N`` exists (False:
  ``% Unknown command.``, as on builds public tools fall back from).
- ``model``: overrides the firmware's model (``"V1600GS"`` saves with
  ``write memory``; the others with ``write``).
- ``hostname`` (``gpon-olt``), ``pons`` (default ``0/1`` .. ``0/4``).
- ``autofind_format``: shape of ``show onu auto-find``: ``"simple"`` (default:
  ``OnuIndex / Sn / State`` rows like ``GPON0/1:1  GPON002E64F8  unknow``),
  ``"equipment"`` (``Index / Sn / Equipment ID``) or ``"detail"`` (the
  ``show onu auto-find detail-info`` table: ``OltIndex SN PW LOID Model Ver LOIDPW``).
- ``cursor_columns`` (False): auto-find tables position columns with
  ``ESC[<n>C`` instead of spaces (as some firmware does).
- ``terminal_length``: initial pager length (24; ``terminal length 0`` disables;
  the pager is ``--More--``: space next page, Enter one line, q stops).
- ``onu_profiles`` (``["default"]``), ``dba_profiles`` (``["default1", "default2"]``).

Login: banner ``Hello, this is gpon olt platform (version 1.00).``, ``Login:``,
``Password:``; 3 failures close the connection. ``gpon-olt>``; ``enable`` asks
``Password:`` (the enable secret; no question when the secret is empty) ->
``gpon-olt#``; ``configure terminal`` -> ``gpon-olt(config)#``;
``interface gpon 0/N`` -> ``gpon-olt(config-pon-0/N)#``. ``exit`` leaves one
level (logs out from ``>``/``#``), ``end`` goes to ``#``, ``disable`` to ``>``.

Accepted commands (pon mode unless noted; ``N`` ONU id 1..128):

any mode: ``terminal length N`` (``terminal width N`` answers ``% Unknown command.``),
``exit``, ``end``, ``show version``;
``#`` and below: ``write`` (``write memory`` on V1600GS), ``configure terminal`` (``#``),
``show running-config`` (per port ``interface gpon 0/N``, then every ONU's configuration
as `` onu N ...`` lines in the syntax below, then ``exit`` and ``!``).
config: ``interface gpon 0/N``.
pon: ``show onu auto-find``, ``show onu auto-find detail-info``, ``show onu info``,
``show onu info N``, ``show onu state``, ``show onu state N``, ``show onu N optical_info``,
``show onu N optical`` (v2.1.6r), ``show running-config onu N`` (a
``----------onu N running-config----------`` banner, then the ONU's lines; PPPoE
password and WiFi key shown as ``******``; a WAN shows an ``onu N pri wan_adv add
route`` line; ``pri wan_adv commit`` is not shown),
``onu add N profile P sn SN``, ``no onu N``, ``onu N desc TEXT``,
``onu N tcont T name NAME dba DBA``, ``no onu N tcont T``,
``onu N gemport G tcont T gemport_name NAME``, ``no onu N gemport G``,
``onu N gemport G traffic-limit upstream|downstream PROFILE`` (option ``traffic_profiles``:
list of existing profile names; default ``None`` = any name accepted),
``onu N service NAME gemport G vlan V``, ``no onu N service NAME``,
``onu N service-port S gemport G uservlan U vlan V [new_cos C]``, ``no onu N service-port S``,
``onu N portvlan veip|eth K mode tag vlan V`` (``mode transparent`` too),
``onu N|A-B activate``, ``onu N|A-B deactivate``, ``onu reset N`` (the ONU reboots: offline, online again after
``reboot_seconds``; ``Error: onu N is offline.`` when it is not working),
``onu N pri wan_adv add route`` (answers ``... number is I``),
``onu N pri wan_adv index I route mode internet mtu M``,
``onu N pri wan_adv index I route ipv4 pppoe proxy disable user U pwd P mode auto nat enable``,
``onu N pri wan_adv index I route ipv4 dhcp nat enable``,
``onu N pri wan_adv index I route ipv4 static ip A mask M gw G dns master D slave D nat enable``
(the form public V1600 automation sends),
``onu N pri wan_adv index I vlan tag wan_vlan V P``, ``onu N pri wan_adv index I bind lan1 ... ssid1``,
``onu N pri wan_adv commit`` (the WAN lines reach the ONU: ``committed``),
``onu N pri wan_adv delete index I``,
``onu N pri wifi_ssid I name NAME hide enable|disable auth_mode open|wpapsk|wpa2psk|wpapsk/wpa2psk
encrypt_type none|tkip|aes|tkipaes shared_key KEY rekey_interval S``.
``pri`` commands answer ``Unsupport private protocol`` unless the ONU is online and active.

State (``sim.state()``): each ONU also has ``profile`` (= ``line_profile``), ``tconts``
``{"T": {"name", "dba"}}``, ``gemports`` ``{"G": {"tcont", "name", "traffic_limit"}}``,
``services`` ``{name: {"gemport", "vlan"}}``, ``portvlan`` ``{"veip 1": {"mode", "vlan"}}``,
``wan`` ``[{"index", "mode", "service", "mtu", "ipv4", "username", "password", "nat", "vlan",
"priority", "bind", "committed"}]``, ``wifi`` ``{"1": {"ssid", "hidden", "auth_mode",
"encrypt_type", "key", "rekey_interval"}}``; ``service_ports`` entries carry
``key`` (``"0/1:3:1"``), ``index``, ``pon``, ``onu_id``, ``gemport``, ``user_vlan``, ``vlan``, ``new_cos``.

Keywords may be abbreviated to a unique prefix (``conf t``, ``sh onu auto``).

Error words: ``% Unknown command.``, ``% Command incomplete.``, ``% Too many parameters.``.
The texts for duplicated serials/ids and unknown ids were not found in any capture;
they are the simulator's choice: ``Onu N already exists.`` (same id),
``SN already exists.`` (serial registered elsewhere), ``Onu N is not exist.``,
``Profile P is not exist.``, ``Tcont T already exists.``, ``Gemport G already exists.``,
``Service NAME already exists.``, ``Service-port S already exists.``; so are the
optical answer of an offline ONU (``N/A`` values) and the ``add route`` answer. Re-issuing
a state-setting command (desc, portvlan, activate, deactivate) succeeds silently.
"""

from __future__ import annotations

import re

from .core import CliSession, CommandTable, Device

VALUE = r"\S+"
ALL = ("user", "enable", "config", "pon")
PRIV = ("enable", "config", "pon")
PON = ("pon",)


def build_commands():
    t = CommandTable()
    add = t.add
    add(r"terminal length (?P<n>\d+)", "do_terminal_length", ALL)
    add(r"exit", "do_exit", ALL)
    add(r"quit", "do_exit", ALL)
    add(r"end", "do_end", PRIV)
    add(r"enable", "do_enable", ("user",))
    add(r"disable", "do_disable", PRIV)
    add(r"show version", "do_version", ALL)
    add(r"configure terminal", "do_configure", ("enable",))
    add(r"write", "do_write", PRIV)
    add(r"write memory", "do_write_memory", PRIV)
    add(r"show running-config", "do_running", PRIV)
    add(r"interface gpon (?P<pon>\d+/\d+)", "do_interface", ("config", "pon"))
    add(r"show onu auto-find", "do_autofind", PON)
    add(r"show onu auto-find detail-info", "do_autofind_detail", PON)
    add(r"show onu info(?: (?P<n>\d+|all))?", "do_onu_info", PON)
    add(r"show onu state(?: (?P<n>\d+|all))?", "do_onu_state", PON)
    add(r"show onu (?P<n>\d+) (?P<form>optical_info|optical)", "do_optical", PON)
    add(r"show running-config onu (?P<n>\d+)", "do_running_onu", PON)
    add(r"onu add (?P<n>\d+) profile (?P<profile>\S+) sn (?P<sn>[A-Za-z0-9]{12})", "do_onu_add", PON)
    add(r"no onu (?P<n>\d+)", "do_no_onu", PON)
    add(r"onu (?P<n>\d+) desc (?P<desc>.+)", "do_desc", PON)
    add(r"onu (?P<n>\d+) tcont (?P<t>\d+) name (?P<name>\S+) dba (?P<dba>\S+)", "do_tcont", PON)
    add(r"no onu (?P<n>\d+) tcont (?P<t>\d+)", "do_no_tcont", PON)
    add(r"onu (?P<n>\d+) gemport (?P<g>\d+) tcont (?P<t>\d+) gemport_name (?P<name>\S+)", "do_gemport", PON)
    add(r"no onu (?P<n>\d+) gemport (?P<g>\d+)", "do_no_gemport", PON)
    add(
        r"onu (?P<n>\d+) gemport (?P<g>\d+) traffic-limit (?P<dir>upstream|downstream) (?P<profile>\S+)",
        "do_traffic_limit",
        PON,
    )
    add(r"onu (?P<n>\d+) service (?P<name>\S+) gemport (?P<g>\d+) vlan (?P<vlan>\d+)", "do_service", PON)
    add(r"no onu (?P<n>\d+) service (?P<name>\S+)", "do_no_service", PON)
    add(
        r"onu (?P<n>\d+) service-port (?P<s>\d+) gemport (?P<g>\d+) uservlan (?P<uvlan>\d+) vlan (?P<vlan>\d+)"
        r"(?: new_cos (?P<cos>\d+))?",
        "do_service_port",
        PON,
    )
    add(r"no onu (?P<n>\d+) service-port (?P<s>\d+)", "do_no_service_port", PON)
    add(
        r"onu (?P<n>\d+) portvlan (?P<port>veip|eth) (?P<k>\d+) mode "
        r"(?:tag vlan (?P<vlan>\d+)|(?P<transparent>transparent))",
        "do_portvlan",
        PON,
    )
    add(r"onu (?P<range>\d+(?:-\d+)?) (?P<action>activate|deactivate)", "do_activate", PON)
    add(r"onu reset (?P<n>\d+)", "do_onu_reset", PON)
    add(r"onu (?P<n>\d+) pri wan_adv add route", "do_wan_add", PON)
    add(r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) route mode internet mtu (?P<mtu>\d+)", "do_wan_mode", PON)
    add(
        r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 pppoe proxy (?:disable|enable) user (?P<user>\S+) "
        r"pwd (?P<pwd>\S+) mode auto nat (?P<nat>enable|disable)",
        "do_wan_pppoe",
        PON,
    )
    add(r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 dhcp nat (?P<nat>enable|disable)", "do_wan_dhcp", PON)
    add(
        r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) route ipv4 static ip (?P<ip>\S+) mask (?P<mask>\S+) "
        r"gw (?P<gw>\S+) dns master (?P<dns1>\S+) slave (?P<dns2>\S+) nat (?P<nat>enable|disable)",
        "do_wan_static",
        PON,
    )
    add(r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) vlan tag wan_vlan (?P<vlan>\d+) (?P<pri>\d+)", "do_wan_vlan", PON)
    add(
        r"onu (?P<n>\d+) pri wan_adv index (?P<i>\d+) bind (?P<ports>(?:lan\d|ssid\d)(?: (?:lan\d|ssid\d))*)",
        "do_wan_bind",
        PON,
    )
    add(r"onu (?P<n>\d+) pri wan_adv commit", "do_wan_commit", PON)
    add(r"onu (?P<n>\d+) pri wan_adv delete index (?P<i>\d+)", "do_wan_delete", PON)
    add(
        r"onu (?P<n>\d+) pri wifi_ssid (?P<i>\d+) name (?P<name>\S+) hide (?P<hide>enable|disable) "
        r"auth_mode (?P<auth>open|wpapsk|wpa2psk|wpapsk/wpa2psk) encrypt_type (?P<enc>none|tkip|aes|tkipaes)"
        r"(?: shared_key (?P<key>\S+))?(?: rekey_interval (?P<rekey>\d+))?",
        "do_wifi",
        PON,
    )
    return t


COMMANDS = build_commands()

#: what each firmware family prints (module docstring)
FIRMWARE = {
    "v1.4.8r": {
        "model": "V1600G0-B",
        "version": "V1.4.8R",
        "hardware": "V3.1.4",
        "created": "Thu, 10 Apr 2025 11:09:48",
        "cells": True,
        "state_column": "Serial Number",
        "state_footer": True,
        "offline_phase": "offline",
        "optical_forms": ("optical_info",),
        "optical_layout": "onu",
        "autofind_empty": "No related information to show\n",
        "portid": True,
        "info_dashes": 93,
        "slot_index": False,
    },
    "v2.1.6r": {
        "model": "V1600G1",
        "version": "V2.1.6R",
        "hardware": "V1.0",
        "created": "Mon, 14 Mar 2022 10:12:31",
        "cells": False,
        "state_column": "Channel",
        "state_footer": False,
        "offline_phase": "OffLine",
        "optical_forms": ("optical_info", "optical"),
        "optical_layout": "dbm",
        "autofind_empty": (
            "OnuIndex                 Sn                       State\n" + "-" * 57 + "\n\n"
            "Error: No related information to show. 62310\n"
        ),
        "portid": False,
        "info_dashes": 76,
        "slot_index": True,
    },
}
#: where each column of the ONU tables starts (the headers' own positions)
INFO_COLUMNS = (0, 11, 32, 55, 63)
STATE_COLUMNS = (0, 12, 27, 41, 56)


class VsolSession(CliSession):
    username_prompt = "Login: "
    password_prompt = "Password: "
    login_failed_text = "\n% Bad username or password.\n\n"
    banner = "\n\nHello, this is gpon olt platform (version 1.00).\n\n"
    pager_text = "--More--"
    pager_erase = "\r        \r"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = "user"
        self.iface = None
        self.scroll = int(self.device.options.get("terminal_length", 24))

    def login(self):
        ok = super().login()
        if not ok:
            self.write("% Bad passwords, too many failures!\n")
        return ok

    def prompt(self):
        host = self.device.hostname
        return {
            "user": f"{host}>",
            "enable": f"{host}#",
            "config": f"{host}(config)#",
            "pon": f"{host}(config-pon-{self.iface})#",
        }[self.mode]

    def rejected(self, line):
        return "% Unknown command.\n"

    def busy(self, line):
        return "% System is busy, please try again later.\n"

    def too_many_sessions(self):
        return "% Too many users are logged in, please try later.\n"

    def async_message(self):
        self.device.syslog_seq += 1
        return (
            f"\n2026/11/29 10:{self.device.syslog_seq % 60:02d}:00   User Login   "
            f"User {self.device.username}-{self.peer}-{self.protocol} log in.\n"
        )

    def handle(self, line):
        command, found = COMMANDS.match(line, self.mode)
        if command is None:
            kind = found[0]
            self.write(
                {"incomplete": "% Command incomplete.\n", "toomany": "% Too many parameters.\n"}.get(
                    kind, "% Unknown command.\n"
                )
            )
            return True
        return getattr(self, command.handler)(found, line)

    # -- helpers -------------------------------------------------------------------
    def table(self, text):
        """Column runs of 2+ spaces become ESC[nC on firmware that positions columns."""
        if self.device.options.get("cursor_columns"):
            text = re.sub(r"(?<=\S)( {2,})(?=\S)", lambda m: f"\x1b[{len(m.group(1))}C", text)
        self.out(text)

    def onus(self):
        return self.device.onus[self.iface]

    def onu_or_fail(self, n):
        onu = self.onus().get(int(n))
        if onu is None:
            self.write(f"Onu {int(n)} is not exist.\n")
        return onu

    def working(self, onu):
        return onu["admin_state"] == "active" and onu["run_state"] == "online"

    # -- session ----------------------------------------------------------------
    def do_terminal_length(self, m, line):
        self.scroll = int(m["n"])

    def do_exit(self, m, line):
        if self.mode in ("user", "enable"):
            return False
        self.mode = {"config": "enable", "pon": "config"}[self.mode]

    def do_end(self, m, line):
        self.mode = "enable"

    def do_enable(self, m, line):
        if self.device.secret:
            for _ in range(3):
                if self.ask("Password: ", echo=False) == self.device.secret:
                    break
            else:
                self.write("% Bad passwords, too many failures!\n")
                return True
        self.mode = "enable"

    def do_disable(self, m, line):
        self.mode = "user"

    def do_configure(self, m, line):
        self.mode = "config"

    def do_version(self, m, line):
        firmware = self.device.firmware
        self.out(
            "  Olt Serial Number:           V2504240405\n"
            f"  Olt Device Model:            {self.device.model}\n"
            f"  Hardware Version:            {firmware['hardware']}\n"
            f"  Software Version:            {firmware['version']}\n"
            f"  Software Created Time:       {firmware['created']}\n"
            "  Copyright 2020-2025\n"
        )

    def _save(self):
        self.device.saved += 1
        self.device.changed()
        self.write("Building configuration...\n[OK]\n")

    def do_write(self, m, line):
        if self.device.model.startswith("V1600GS"):
            self.write("% Command incomplete.\n")
            return True
        self._save()

    def do_write_memory(self, m, line):
        if not self.device.model.startswith("V1600GS"):
            self.write("% Too many parameters.\n")
            return True
        self._save()

    def do_running(self, m, line):
        lines = ["!", f"hostname {self.device.hostname}", "!"]
        for pon in self.device.pons:
            lines.append(f"interface gpon {pon}")
            for _onu_id, onu in sorted(self.device.onus[pon].items()):
                lines += [" " + text for text in self.device.onu_config(pon, onu)]
            lines += ["exit", "!"]
        self.out("\n".join(lines) + "\n")

    def do_interface(self, m, line):
        if m["pon"] not in self.device.onus:
            self.write("% Unknown command.\n")
            return True
        self.iface = m["pon"]
        self.mode = "pon"

    # -- discovery / status ----------------------------------------------------------
    def _index(self, onu_id):
        """An ONU index as the firmware writes it in auto-find and state tables."""
        if self.device.firmware["slot_index"]:
            return f"1/1/{int(self.iface.split('/')[1])}:{onu_id}"
        return f"GPON{self.iface}:{onu_id}"

    def _autofind_rows(self):
        return [a for a in self.device.autofind if a["pon"] == self.iface]

    def do_autofind(self, m, line):
        shape = self.device.options.get("autofind_format", "simple")
        if shape == "detail":
            return self.do_autofind_detail(m, line)
        rows = self._autofind_rows()
        if not rows:
            self.write(self.device.firmware["autofind_empty"])
            return True
        if shape == "equipment":
            text = (
                "Index        Sn              Equipment ID\n"
                + "-" * 48
                + "\n"
                + "".join(f"{self._index(i):<12} {a['serial']:<15} {a['model']}\n" for i, a in enumerate(rows, 1))
            )
        else:
            text = (
                "OnuIndex     Sn              State\n"
                + "-" * 40
                + "\n"
                + "".join(f"{self._index(i):<12} {a['serial']:<15} unknow\n" for i, a in enumerate(rows, 1))
            )
        self.table(text)

    def do_autofind_detail(self, m, line):
        rows = self._autofind_rows()
        if not rows:
            self.write(self.device.firmware["autofind_empty"])
            return True
        text = (
            "OltIndex     SN             PW          LOID        Model          Ver        LOIDPW\n"
            + "-" * 90
            + "\n"
            + "".join(
                f"{self._index(i):<12} {a['serial']:<14} {a.get('password') or 'N/A':<11} "
                f"{a.get('loid') or 'N/A':<11} {a['model']:<14} {a['version']:<10} N/A\n"
                for i, a in enumerate(rows, 1)
            )
        )
        self.table(text)

    def _phase(self, onu):
        offline = self.device.firmware["offline_phase"]
        if onu["admin_state"] != "active":
            return "disable", "disable", offline
        if onu["run_state"] == "online":
            return "enable", "enable", "working"
        return "enable", "disable", offline

    def _row(self, cells, starts):
        """One table row: spaces up to each column, or ``\\r ESC[<n>C`` where the firmware does."""
        if self.device.firmware["cells"]:
            # A cell wider than its column pushes the next one right, one space
            # after it (the captured wide-header layout): never drawn over it.
            line, end = cells[0], len(cells[0])
            for cell, start in zip(cells[1:], starts[1:], strict=True):
                start = max(start, end + 1)
                line += f"\r\x1b[{start}C{cell}"
                end = start + len(cell)
            return line
        line = ""
        for cell, start in zip(cells, starts, strict=True):
            line = line.ljust(start) if len(line) < start else line + " "
            line += cell
        return line

    def _selected(self, m):
        onus = self.onus()
        ids = sorted(onus) if m["n"] in (None, "all") else [int(m["n"])]
        return [onus[i] for i in ids if i in onus]

    def do_onu_info(self, m, line):
        rows = self._selected(m)
        if m["n"] not in (None, "all") and not rows:
            self.write("No related information to show\n")
            return True
        firmware = self.device.firmware
        header = "Onuindex   Model                Profile                Mode    AuthInfo"
        text = (header + " " * 22 if firmware["cells"] else header) + "\n" + "-" * firmware["info_dashes"] + "\n"
        for onu in rows:
            cells = (f"GPON{self.iface}:{onu['id']}", onu.get("model") or "unknown", onu.get("profile", "default"))
            text += self._row(cells + ("sn", onu["serial"]), INFO_COLUMNS) + "\n"
            if firmware["cells"]:
                text += "\n"
        self.out(text)

    def do_onu_state(self, m, line):
        rows = self._selected(m)
        if m["n"] not in (None, "all") and not rows:
            self.write("No related information to show\n")
            return True
        firmware = self.device.firmware
        text = f"OnuIndex    Admin State    OMCC State    Phase State    {firmware['state_column']}\n" + "-" * 63 + "\n"
        port = int(self.iface.split("/")[1])
        for onu in rows:
            admin, omcc, phase = self._phase(onu)
            if firmware["state_column"] == "Channel":
                cells = (self._index(onu["id"]), admin, omcc, phase, "1(GPON)")
            else:
                cells = (f"GPON{self.iface}:{onu['id']}", admin, omcc, phase, onu["serial"])
            text += self._row(cells, STATE_COLUMNS) + "\n"
        if firmware["state_footer"]:
            working = sum(self._phase(o)[2] == "working" for o in self.onus().values())
            text += f"pon: {port} total: {len(self.onus())} working: {working}\n"
        self.out(text)

    def do_optical(self, m, line):
        firmware = self.device.firmware
        if m["form"] not in firmware["optical_forms"]:
            self.write("% Unknown command.\n")
            return True
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        lit = self.working(onu) and onu["rx_power"] is not None
        rx = f"{onu['rx_power']:.2f}" if lit else "N/A"
        if firmware["optical_layout"] == "onu":
            self.out(
                "Alarm                      : enable\n"
                "Piggyback DBA rpt mode     : mode 0 only\n"
                f"Rx optical level(ONU)      : {rx}\n"
                "Lower rx optical threshold : ont internal policy\n"
                "Upper rx optical threshold : ont internal policy\n"
                f"Tx optical level           : {'2.31' if lit else 'N/A'}\n"
                "Lower tx optical threshold : ont internal policy\n"
                "Upper tx optical threshold : ont internal policy\n"
                f"ONU response time          : {'22320' if lit else 'N/A'}\n"
                f"Power feed voltage         : {'3.26(V)' if lit else 'N/A'}\n"
                f"Laser bias current         : {'11.290(mA)' if lit else 'N/A'}\n"
                f"Temperature                : {'45.000(C)' if lit else 'N/A'}\n"
            )
            return
        dbm = f"{onu['rx_power']:.3f}(dBm)" if lit else "N/A"
        self.out(
            f"ONU ID: {onu['id']}\n"
            f"ONU PON Interface:            pon_{self.iface}\n"
            "Alarm:                        enable\n"
            f"Rx optical level:             {dbm}\n"
            "Lower rx optical threshold:   ont internal policy\n"
            "Upper rx optical threshold:   ont internal policy\n"
            f"Tx optical level:             {'2.310(dBm)' if lit else 'N/A'}\n"
            f"Power feed voltage:           {'3.30(V)' if lit else 'N/A'}\n"
            f"Laser bias current:           {'12.200(mA)' if lit else 'N/A'}\n"
            f"Temperature:                  {'44.309(C)' if lit else 'N/A'}\n"
        )

    def do_running_onu(self, m, line):
        if not self.device.options.get("onu_running_config", True):
            self.write("% Unknown command.\n")
            return True
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        lines = self.device.onu_config(self.iface, onu)
        self.out(f"----------onu {onu['id']} running-config----------\n" + "\n".join(lines) + "\n")

    # -- registration ------------------------------------------------------------------
    def do_onu_add(self, m, line):
        device = self.device
        onu_id = int(m["n"])
        serial = m["sn"].upper()
        if not device.first_onu_id <= onu_id <= device.max_onu_id:
            self.write("% Unknown command.\n")
            return True
        if m["profile"] not in device.onu_profiles:
            self.write(f"Profile {m['profile']} is not exist.\n")
            return True
        existing = self.onus().get(onu_id)
        if existing is not None:
            self.write(f"Onu {onu_id} already exists.\n")
            return True
        if device.find_serial(serial):
            self.write("SN already exists.\n")
            return True
        facts = device.take_autofind(serial, self.iface)
        if facts is None:
            facts = {
                "serial": serial,
                "serial_hex": serial[:4].encode().hex().upper() + serial[4:],
                "vendor_id": serial[:4],
                "offline": True,
                "rx_power": None,
            }
        device.add_onu(
            self.iface,
            onu_id,
            facts,
            profile=m["profile"],
            line_profile=m["profile"],
            tconts={},
            gemports={},
            services={},
            portvlan={},
        )
        device.changed()

    def do_no_onu(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        device = self.device
        for key in [
            k for k, sp in device.service_ports.items() if sp["pon"] == self.iface and sp["onu_id"] == onu["id"]
        ]:
            del device.service_ports[key]
        device.remove_onu(self.iface, onu["id"])
        device.changed()

    def _set(self, onu, key, value):
        if onu.get(key) != value:
            onu[key] = value
            self.device.changed()

    def do_desc(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is not None:
            self._set(onu, "description", m["desc"].strip())

    def _create(self, onu, table, key, value, label):
        if key in onu[table]:
            self.write(f"{label} {key} already exists.\n")
            return
        onu[table][key] = value
        self.device.changed()

    def _delete(self, onu, table, key, label):
        if onu[table].pop(key, None) is None:
            self.write(f"{label} {key} is not exist.\n")
            return
        self.device.changed()

    def do_tcont(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        if m["dba"] not in self.device.dba_profiles:
            self.write(f"Dba profile {m['dba']} is not exist.\n")
            return True
        self._create(onu, "tconts", m["t"], {"name": m["name"], "dba": m["dba"]}, "Tcont")

    def do_no_tcont(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is not None:
            self._delete(onu, "tconts", m["t"], "Tcont")

    def do_gemport(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        if m["t"] not in onu["tconts"]:
            self.write(f"Tcont {m['t']} is not exist.\n")
            return True
        self._create(onu, "gemports", m["g"], {"tcont": int(m["t"]), "name": m["name"]}, "Gemport")

    def do_no_gemport(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is not None:
            self._delete(onu, "gemports", m["g"], "Gemport")

    def do_traffic_limit(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        gem = onu["gemports"].get(m["g"])
        if gem is None:
            self.write(f"Gemport {m['g']} is not exist.\n")
            return True
        profiles = self.device.traffic_profiles
        if profiles is not None and m["profile"] not in profiles:
            self.write(f"Traffic profile {m['profile']} is not exist.\n")
            return True
        limits = gem.setdefault("traffic_limit", {})
        if limits.get(m["dir"]) != m["profile"]:
            limits[m["dir"]] = m["profile"]
            self.device.changed()

    def _gemport_exists(self, onu, gemport):
        """Whether the ONU has ``gemport``; says so in the device's words when not."""
        if gemport in onu["gemports"]:
            return True
        self.write(f"Gemport {gemport} is not exist.\n")
        return False

    def do_service(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        if not self._gemport_exists(onu, m["g"]):
            return True
        self._create(onu, "services", m["name"], {"gemport": int(m["g"]), "vlan": int(m["vlan"])}, "Service")

    def do_no_service(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is not None:
            self._delete(onu, "services", m["name"], "Service")

    def do_service_port(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        if not self._gemport_exists(onu, m["g"]):
            return True
        key = f"{self.iface}:{onu['id']}:{int(m['s'])}"
        if key in self.device.service_ports:
            self.write(f"Service-port {int(m['s'])} already exists.\n")
            return True
        self.device.service_ports[key] = {
            "key": key,
            "index": int(m["s"]),
            "pon": self.iface,
            "onu_id": onu["id"],
            "gemport": int(m["g"]),
            "user_vlan": int(m["uvlan"]),
            "vlan": int(m["vlan"]),
            "new_cos": int(m["cos"] or 0),
        }
        self.device.changed()

    def do_no_service_port(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        key = f"{self.iface}:{onu['id']}:{int(m['s'])}"
        if self.device.service_ports.pop(key, None) is None:
            self.write(f"Service-port {int(m['s'])} is not exist.\n")
            return True
        self.device.changed()

    def do_portvlan(self, m, line):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        value = {"mode": "transparent"} if m["transparent"] else {"mode": "tag", "vlan": int(m["vlan"])}
        port = f"{m['port']} {m['k']}"
        if onu["portvlan"].get(port) != value:
            onu["portvlan"][port] = value
            self.device.changed()

    def do_activate(self, m, line):
        first, _, last = m["range"].partition("-")
        ids = range(int(first), int(last or first) + 1)
        onus = self.onus()
        if not any(i in onus for i in ids):
            self.write(f"Onu {m['range']} is not exist.\n")
            return True
        wanted = "active" if m["action"] == "activate" else "deactivated"
        for onu_id in ids:
            onu = onus.get(onu_id)
            if onu and onu["admin_state"] != wanted:
                onu["admin_state"] = wanted
                onu["run_state"] = "online" if wanted == "active" and onu["rx_power"] is not None else "offline"
        self.device.changed()

    def do_onu_reset(self, m, line):
        """The ONU restarts (offline, then online again); only a working one hears it."""
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return True
        if not self.working(onu):
            self.write(f"Error: onu {int(m['n'])} is offline.\n")
            return True
        self.device.reboot_onu(onu)
        return True

    # -- WAN / WiFi (private OMCI extensions) ----------------------------------------------
    def pri_onu(self, m):
        onu = self.onu_or_fail(m["n"])
        if onu is None:
            return None
        if not self.working(onu):
            self.write("Unsupport private protocol\n")
            return None
        return onu

    def wan(self, onu, index):
        wan = next((w for w in onu["wan"] if w["index"] == int(index)), None)
        if wan is None:
            self.write(f"Wan index {int(index)} is not exist.\n")
        return wan

    def do_wan_add(self, m, line):
        onu = self.pri_onu(m)
        if onu is None:
            return True
        index = next(i for i in range(1, 9) if all(w["index"] != i for w in onu["wan"]))
        onu["wan"].append({"index": index, "mode": "route", "committed": False})
        self.device.changed()
        self.write(f"Add wan connection success, the wan connection number is {index}.\n")

    def _wan_update(self, m, **values):
        onu = self.pri_onu(m)
        if onu is None:
            return True
        wan = self.wan(onu, m["i"])
        if wan is None:
            return True
        if any(wan.get(k) != v for k, v in values.items()):
            wan.update(values)
            wan["committed"] = False
            self.device.changed()

    def do_wan_mode(self, m, line):
        return self._wan_update(m, service="internet", mtu=int(m["mtu"]))

    def do_wan_pppoe(self, m, line):
        return self._wan_update(m, ipv4="pppoe", username=m["user"], password=m["pwd"], nat=m["nat"] == "enable")

    def do_wan_dhcp(self, m, line):
        return self._wan_update(m, ipv4="dhcp", nat=m["nat"] == "enable")

    def do_wan_static(self, m, line):
        return self._wan_update(
            m,
            ipv4="static",
            ip=m["ip"],
            mask=m["mask"],
            gateway=m["gw"],
            dns_pri=m["dns1"],
            dns_sec=m["dns2"],
            nat=m["nat"] == "enable",
        )

    def do_wan_vlan(self, m, line):
        return self._wan_update(m, vlan=int(m["vlan"]), priority=int(m["pri"]))

    def do_wan_bind(self, m, line):
        return self._wan_update(m, bind=m["ports"].split())

    def do_wan_commit(self, m, line):
        onu = self.pri_onu(m)
        if onu is None:
            return True
        for wan in onu["wan"]:
            wan["committed"] = True
        self.device.changed()

    def do_wan_delete(self, m, line):
        onu = self.pri_onu(m)
        if onu is None:
            return True
        wan = self.wan(onu, m["i"])
        if wan is not None:
            onu["wan"].remove(wan)
            self.device.changed()

    def do_wifi(self, m, line):
        onu = self.pri_onu(m)
        if onu is None:
            return True
        if not 1 <= int(m["i"]) <= 8 or (m["auth"] != "open" and not m["key"]):
            self.write("% Unknown command.\n")
            return True
        value = {
            "ssid": m["name"],
            "hidden": m["hide"] == "enable",
            "auth_mode": m["auth"],
            "encrypt_type": m["enc"],
            "key": m["key"] or "",
            "rekey_interval": int(m["rekey"] or 0),
        }
        if onu["wifi"].get(m["i"]) != value:
            onu["wifi"][m["i"]] = value
            self.device.changed()


class VsolDevice(Device):
    platform = "vsol"
    session_class = VsolSession
    default_pons = ("0/1", "0/2", "0/3", "0/4")
    first_onu_id = 1
    max_onu_id = 128
    vendor_mix = ("GPON", "GPON", "HWTC", "ZTEG")

    def setup(self, options):
        name = str(options.get("firmware", "v1.4.8r")).lower()
        if name not in FIRMWARE:
            raise ValueError(f"unknown V-SOL firmware {name!r}: one of {', '.join(FIRMWARE)}")
        self.firmware = FIRMWARE[name]
        self.model = options.get("model", self.firmware["model"])
        self.hostname = options.get("hostname", "gpon-olt")
        self.onu_profiles = list(options.get("onu_profiles") or ["default"])
        self.dba_profiles = list(options.get("dba_profiles") or ["default1", "default2"])
        self.syslog_seq = 0
        profiles = options.get("traffic_profiles")
        self.traffic_profiles = list(profiles) if profiles is not None else None

    def onu_config(self, pon, onu):
        """The ONU's lines of ``show running-config``, in the syntax they were entered with.

        Secrets are masked as the device masks them (``pwd ******``,
        ``shared_key ******``)."""
        n = onu["id"]
        lines = [f"onu add {n} profile {onu.get('profile', 'default')} sn {onu['serial']}"]
        if onu["description"]:
            lines.append(f"onu {n} desc {onu['description']}")
        for t, tcont in sorted(onu.get("tconts", {}).items()):
            lines.append(f"onu {n} tcont {t} name {tcont['name']} dba {tcont['dba']}")
        for g, gem in sorted(onu.get("gemports", {}).items()):
            portid = f" portid {128 + n}" if self.firmware["portid"] else ""
            lines.append(f"onu {n} gemport {g} tcont {gem['tcont']} gemport_name {gem['name']}{portid}")
            for direction, profile in sorted(gem.get("traffic_limit", {}).items()):
                lines.append(f"onu {n} gemport {g} traffic-limit {direction} {profile}")
        for name, service in sorted(onu.get("services", {}).items()):
            lines.append(f"onu {n} service {name} gemport {service['gemport']} vlan {service['vlan']}")
        for _key, sp in sorted(self.service_ports.items(), key=lambda item: str(item[0])):
            if sp["pon"] == pon and sp["onu_id"] == n:
                lines.append(
                    f"onu {n} service-port {sp['index']} gemport {sp['gemport']} uservlan "
                    f"{sp['user_vlan']} vlan {sp['vlan']} new_cos {sp['new_cos']}"
                )
        for port, value in sorted(onu.get("portvlan", {}).items()):
            mode = "transparent" if value["mode"] == "transparent" else f"tag vlan {value['vlan']}"
            lines.append(f"onu {n} portvlan {port} mode {mode}")
        for wan in onu["wan"]:
            lines.append(f"onu {n} pri wan_adv add route")
            head = f"onu {n} pri wan_adv index {wan['index']} route"
            if "mtu" in wan:
                lines.append(f"{head} mode {wan.get('service', 'internet')} mtu {wan['mtu']}")
            nat = "nat enable" if wan.get("nat", True) else "nat disable"
            if wan.get("ipv4") == "pppoe":
                lines.append(f"{head} ipv4 pppoe proxy disable user {wan['username']} pwd ****** mode auto {nat}")
            elif wan.get("ipv4") == "dhcp":
                lines.append(f"{head} ipv4 dhcp {nat}")
            elif wan.get("ipv4") == "static":
                lines.append(
                    f"{head} ipv4 static ip {wan['ip']} mask {wan['mask']} gw {wan['gateway']} "
                    f"dns master {wan['dns_pri']} slave {wan['dns_sec']} {nat}"
                )
            if "vlan" in wan:
                lines.append(
                    f"onu {n} pri wan_adv index {wan['index']} vlan tag wan_vlan {wan['vlan']} {wan['priority']}"
                )
            if "bind" in wan:
                lines.append(f"onu {n} pri wan_adv index {wan['index']} bind {' '.join(wan['bind'])}")
        for index, wifi in sorted(onu["wifi"].items()):
            key = " shared_key ******" if wifi["key"] else ""
            lines.append(
                f"onu {n} pri wifi_ssid {index} name {wifi['ssid']} hide "
                f"{'enable' if wifi['hidden'] else 'disable'} auth_mode {wifi['auth_mode']} "
                f"encrypt_type {wifi['encrypt_type']}{key} rekey_interval {wifi['rekey_interval']}"
            )
        if onu["admin_state"] != "active":
            lines.append(f"onu {n} deactivate")
        return lines

    def new_registered_onu(self, pon, onu_id, facts):
        onu = self.add_onu(
            pon,
            onu_id,
            facts,
            profile="default",
            line_profile="default",
            description=f"CT-{len(self.service_ports) + 1:05d}",
            tconts={"1": {"name": "INTERNET", "dba": "default1"}},
            gemports={"1": {"tcont": 1, "name": "INTERNET"}},
            services={"ser_1": {"gemport": 1, "vlan": 100}},
            portvlan={"veip 1": {"mode": "tag", "vlan": 100}},
        )
        key = f"{pon}:{onu_id}:1"
        self.service_ports[key] = {
            "key": key,
            "index": 1,
            "pon": pon,
            "onu_id": onu_id,
            "gemport": 1,
            "user_vlan": 100,
            "vlan": 100,
            "new_cos": 0,
        }
        return onu

    def platform_state(self):
        return {"model": self.model, "onu_profiles": list(self.onu_profiles), "dba_profiles": list(self.dba_profiles)}
