"""Huawei SmartAX (MA5600T / MA5683T / MA5608T / MA5800) dialect.

The layouts are those of the real captures in tests/drivers/captures/huawei/
(tests/simulator/test_sim_huawei.py checks every one).  Device options
(``options=`` of ``simulator.start``; defaults in ``FIRMWARES``):

- ``firmware``: a profile of ``FIRMWARES``: ``ma5800_v100r018`` (MA5800-X7),
  ``ma5800_v100r019`` (the default, ``ma5800``), ``ma5800_v100r022``
  (MA5800-X17), ``ma5683t_v800r017`` (``ma5683t``), ``ma5608t_v800r015``,
  ``ma5608t_v800r013`` (``ma5608t``).  Each says its ``version``/``patch``/
  ``product`` (``display version``), its auto-find block (``"new"``: MA5800,
  bracketed serial and password text; ``"old"``: ``VenderID``, hex only),
  whether it has ``ont internet-config`` (``internet_config``) and
  ``ont wan-config`` (``wan_config``: answered ``% Unknown command`` on
  V800R013/V800R015, as a live test reports), and ``ont wifi`` (``wifi``:
  the simulator's choice, no public source).  Any key can be overridden alone.
- ``wan_profiles``: ``{id: "route" | "bridge"}`` (default ``{0: "route"}``): the
  OLT's WAN profiles ``ont wan-config ... profile-id`` binds; the ONT reports a
  WAN as ``IP routed`` once a routed profile is bound (or, on a firmware without
  ``ont wan-config``, once ``ont internet-config`` is set).
- ``frame`` (0) and ``pons`` (default ``0/1/0`` .. ``0/1/3``).
- ``scroll``: initial page length (default 40 lines; ``scroll`` alone sets 512,
  ``scroll N`` sets N, 10..512), so long outputs page with
  ``---- More ( Press 'Q' to break ) ----`` (space: next page, Enter: one line, q: stop).
- ``completion_prompts``: ``"always"`` (default; the firmware asks
  ``{ <cr>||<K> }:``-style questions after ``display ont info``,
  ``display ont optical-info``, ``display service-port`` and ``save`` even after
  ``undo smart``, as seen in captures), ``"smart"`` (only while smart mode is on)
  or ``"never"``. Answer with a bare Enter.
- ``confirm_undo_service_port`` (True): ``undo service-port`` asks ``(y/n)[n]:``.
- ``cursor_escapes`` (True): output of display commands carries `` ESC[1D``.
- ``line_profiles`` / ``service_profiles``: ``{id: name}``; default
  ``{1: "default", 10: "line-profile_10", 100: "line-profile_100"}`` and the same ids for
  service profiles (``srv-profile_N``); ``traffic_tables``: ids, default 0-6 (built in), 10, 20.
- ``vlans``: list of existing VLANs; default ``None`` = every VLAN 1-4094 exists.
- ``yes_no_banner`` (False): login banner asks ``(YES.NO)``.

Login (telnet): ``>>User name:`` / ``>>User password:``; 3 failures close the
connection. SSH: password auth. Prompt ``HOST>``; ``enable`` -> ``HOST#``;
``config`` -> ``HOST(config)#``; ``interface gpon F/S`` -> ``HOST(config-if-gpon-F/S)#``;
``ont-lineprofile gpon profile-id N`` -> ``HOST(config-gpon-lineprofile-N)#``;
``ont-srvprofile gpon profile-id N`` -> ``HOST(config-gpon-srvprofile-N)#``.
``quit`` leaves one level (and logs out from ``>``/``#`` after
``Are you sure to log out? (y/n)[n]:``), ``return`` goes to ``#``, ``disable``
from ``#`` to ``>``.

Accepted commands (``"..."`` quotes optional for one-word values). Keywords may be
abbreviated to a unique prefix (``dis ont autofind all``), as on the device; where a
short word could mean two commands (``ont de``) it is refused with ``% Parameter error``.

any mode: ``undo smart``, ``smart``, ``scroll [N]``, ``quit``, ``display version``
``>``: ``enable``;  ``#`` and below: ``infoswitch cli OFF|ON``, ``save``, ``return``,
``display service-port all|INDEX|port F/S/P [ont N]``, ``display ont info F S P N``,
``display ont info F S P all``, ``display ont info F S all`` (one block per port), ``display board F``
config: ``interface gpon F/S``, ``display ont autofind all``,
``display ont info summary F/S/P`` (or ``F/S``: every port), ``display ont info by-sn SN``
(16 hex, ``VEND-XXXXXXXX`` or the 12-character label form), ``display ont wan-info F/S P N``,
``display ont wlan-info F/S/P N``,
``service-port INDEX inbound traffic-table index T outbound traffic-table index T`` (in place),
``service-port [INDEX] vlan V gpon F/S/P ont N gemport G multi-service user-vlan U
[tag-transform translate] [inbound traffic-table index T outbound traffic-table index T]``,
``undo service-port INDEX``, ``vlan V smart``, ``ont-lineprofile gpon profile-id N [profile-name X]``,
``ont-srvprofile gpon profile-id N [profile-name X]``, ``display ont-lineprofile gpon all``,
``display ont-srvprofile gpon all``, ``mmi-mode enable|disable``
lineprofile/srvprofile: ``tcont T dba-profile-id D``, ``gem add G eth tcont T [encrypt on|off]``,
``gem mapping G M vlan V``, ``ont-port eth N [pots N]``, ``commit``
interface gpon F/S (port P, ONT id N):
``ont add P [N] sn-auth SN16|VEND-XXXXXXXX omci ont-lineprofile-id X ont-srvprofile-id Y [desc D]``
(or ``ont-lineprofile-name X ont-srvprofile-name Y``),
``ont delete P N``, ``ont delete P all``, ``ont deactivate P N``, ``ont activate P N``,
``ont reset P N`` (the ONT reboots: offline, online again after ``reboot_seconds``; only an online one),
``ont modify P N desc D | ont-lineprofile-id X | ont-lineprofile-name X | ont-srvprofile-id Y |
ont-srvprofile-name Y``,
``ont port native-vlan P N eth K vlan V [priority 0-7]``,
``ont ipconfig P N [ip-index I] pppoe [vlan V] [priority X] user-account username U password PW``
(key/value pairs in any order), ``ont ipconfig P N [ip-index I] dhcp [vlan V] [priority X]``,
``ont ipconfig P N [ip-index I] static ip-address A mask M gateway G [pri-dns D] [slave-dns D]
[vlan V] [priority X]``, ``undo ont ipconfig P N [ip-index I]``,
``ont internet-config P N ip-index I`` / ``ont wan-config P N ip-index I profile-id X`` and their
``undo ont internet-config P N ip-index I`` / ``undo ont wan-config P N ip-index I``
(firmware ``internet_config``; undoing what is not set answers ``Make configuration repeatedly``),
``ont tr069-server-config P N profile-id X``,
``ont wifi P N ssid-index I ssid NAME auth-mode open|wpa-psk|wpa2-psk|wpa-wpa2-psk
[encrypt-mode aes|tkip|tkip-aes] [key K] [hidden enable|disable]`` (firmware ``wifi``; the
exact MA5800 WiFi syntax could not be confirmed from a public capture: this is the
simulator's choice), ``undo ont wifi P N ssid-index I``,
``display ont info P N``, ``display ont info P all``, ``display ont info summary P``,
``display ont optical-info P N``, ``display ont optical-info P all``, ``display ont autofind P``,
``display ont wan-info P N``.

Empty answers in the device's words: ``Failure: The automatically found ONTs do
not exist``, ``Failure: There is no ONT available`` (a port without ONTs),
``  The required ONT does not exist`` (display of an ONT that is not there),
``Failure: No service virtual port can be operated``, ``Failure: The ONT is not
online`` (wan-info, wlan-info, optical-info of an offline ONT); an ONT without
WAN prints only the F/S/P and ONT ID lines of ``display ont wan-info``.

State (``sim.state()``): each ONU has ``line_profile``/``service_profile`` (ids),
``native_vlan`` ``{"eth 1": {"vlan", "priority"}}``, ``wan`` ``[{"ip_index", "mode"
(pppoe|dhcp|static), "username", "password", "vlan", "priority", "ip_address", "mask",
"gateway", "pri_dns", "slave_dns", "internet_config", "wan_profile"}]``, ``wifi``
``{"1": {"ssid", "auth_mode", "encrypt_mode", "key", "hidden"}}``, ``tr069_profile``;
``service_ports`` entries: ``index``, ``vlan``, ``pon``, ``onu_id``, ``gemport``,
``user_vlan``, ``tag_transform``, ``inbound_traffic_table``, ``outbound_traffic_table``;
plus ``firmware``, ``line_profiles``, ``service_profiles``, ``traffic_tables``, ``vlans``.
Start-up ONUs (``registered``) get line/service profile 10, native VLAN 100 on eth 1 and
one service port (VLAN 100, gemport 1, traffic table 10).

Idempotent re-issues answer ``Failure: Make configuration repeatedly`` (activate an
active ONT, same native VLAN, same ipconfig/internet-config/wifi, same profile) and
``Failure: Service virtual port has existed already`` (same service port).
"""

from __future__ import annotations

import re
from typing import ClassVar

from .core import CliSession, CommandTable, Device, DropConnection, token_offset

FIRMWARES = {
    # MA5800 V100R018C00: ClaudeMegaISP captures (display version, ONT tables,
    # optical tables).  No OLT-side WiFi before V100R019.
    "ma5800_v100r018": {
        "hostname": "MA5800-X7",
        "autofind_format": "new",
        "internet_config": True,
        "wan_config": True,
        "wifi": False,
        "version": "MA5800V100R018C00",
        "patch": "SPH505",
        "product": "MA5800-X7",
    },
    # MA5800 V100R019: public MA5800 automation (ont ipconfig + internet-config
    # + wan-config ... profile-id).  'ont wifi' is the simulator's choice: no
    # public capture confirms it.
    "ma5800_v100r019": {
        "hostname": "MA5800-X7",
        "autofind_format": "new",
        "internet_config": True,
        "wan_config": True,
        "wifi": True,
        "version": "MA5800V100R019C10",
        "patch": "SPH206",
        "product": "MA5800-X7",
    },
    # MA5800 V100R022C10: display version as published with the NSO NED README.
    "ma5800_v100r022": {
        "hostname": "MA5800-X17",
        "autofind_format": "new",
        "internet_config": True,
        "wan_config": True,
        "wifi": True,
        "version": "MA5800V100R022C10",
        "patch": "SPH206 HP0229",
        "product": "MA5800-X17",
    },
    # MA5683T V800R017: recipes bind the ip-index to a WAN profile with
    # 'ont wan-config' from V800R017 on (no capture of this box in the corpus).
    "ma5683t_v800r017": {
        "hostname": "MA5683T",
        "autofind_format": "old",
        "internet_config": True,
        "wan_config": True,
        "wifi": False,
        "version": "MA5600V800R017C10",
        "patch": "SPC200",
        "product": "MA5683T",
    },
    # MA5608T V800R015: a live test answers '% Unknown command' to
    # ont internet-config / wan-config / wifi-config; ONT table from
    # olt-client-parser's MA5600V800R015C00 capture.
    "ma5608t_v800r015": {
        "hostname": "MA5608T",
        "autofind_format": "old",
        "internet_config": False,
        "wan_config": False,
        "wifi": False,
        "version": "MA5600V800R015C00",
        "patch": "SPH106 HP1013",
        "product": "MA5608T",
    },
    "ma5608t_v800r013": {
        "hostname": "MA5608T",
        "autofind_format": "old",
        "internet_config": False,
        "wan_config": False,
        "wifi": False,
        "version": "MA5600V800R013C00",
        "patch": "SPC100",
        "product": "MA5608T",
    },
}
#: the short names earlier tests and demos use
FIRMWARE_ALIASES = {"ma5800": "ma5800_v100r019", "ma5683t": "ma5683t_v800r017", "ma5608t": "ma5608t_v800r013"}

UNKNOWN = "% Unknown command, the error locates at '^'"
PARAMETER = "% Parameter error, the error locates at '^'"
INCOMPLETE = "% Incomplete command, the error locates at '^'"
PAGER = "---- More ( Press 'Q' to break ) ----"
CURSOR = " \x1b[1D"

F_NO_ONT = "  Failure: The ONT does not exist\n"
#: what display commands answer for an ONT that is not there (no "Failure:")
F_NO_SUCH_ONT = "  The required ONT does not exist\n"
F_REPEAT = "  Failure: Make configuration repeatedly\n"
F_SP_EXISTS = "  Failure: Service virtual port has existed already\n"
F_SP_NONE = "  Failure: No service virtual port can be operated\n"
F_BUSY = "  Failure: System is busy, please retry after a while\n"

SN16 = r"[0-9A-Fa-f]{16}|[A-Za-z0-9]{4}-[0-9A-Fa-f]{8}"
#: by-sn also takes the 12-character form printed on the label
SN_ANY = SN16 + r"|[A-Za-z0-9]{4}[0-9A-Fa-f]{8}"
VALUE = r'(?:"[^"]*"|\S+)'

ALL = ("user", "enable", "config", "if", "lineprofile", "srvprofile")
PRIV = ("enable", "config", "if", "lineprofile", "srvprofile")
CONF = ("config", "if", "lineprofile", "srvprofile")
PROFILE = ("lineprofile", "srvprofile")


def unquote(value):
    return value[1:-1] if value and len(value) >= 2 and value[0] == value[-1] == '"' else value


def kv_pairs(text):
    """``key value key value`` (quoted values allowed) -> dict; None when odd."""
    tokens = re.findall(r'"[^"]*"|\S+', text or "")
    if len(tokens) % 2:
        return None
    return {tokens[i]: unquote(tokens[i + 1]) for i in range(0, len(tokens), 2)}


def serial_from_sn(sn):
    """``485754430B086EA9``, ``HWTC-0B086EA9`` or ``HWTC0B086EA9`` -> (serial12, hex16) upper case."""
    sn = sn.upper()
    if len(sn) == 12:
        sn = f"{sn[:4]}-{sn[4:]}"
    if "-" in sn:
        vendor, rest = sn.split("-")
        return vendor + rest, vendor.encode().hex().upper() + rest
    return bytes.fromhex(sn[:8]).decode("latin-1") + sn[8:], sn


def build_commands():
    t = CommandTable()
    add = t.add
    add(r"undo smart", "do_undo_smart", ALL)
    add(r"smart", "do_smart", ALL)
    add(r"scroll(?: (?P<n>\d+))?", "do_scroll", ALL)
    add(r"quit", "do_quit", ALL)
    add(r"display version", "do_version", ALL)
    add(r"enable", "do_enable", ("user",))
    add(r"disable", "do_disable", ("enable",))
    add(r"infoswitch cli (?P<v>OFF|ON|off|on)", "do_noop", PRIV)
    add(r"return", "do_return", PRIV)
    add(r"save", "do_save", PRIV)
    add(r"config", "do_config", ("enable",))
    add(r"display board (?P<f>\d+)", "do_display_board", PRIV)
    add(r"display service-port (?P<what>all|\d+|port \d+/\d+/\d+(?: ont \d+)?)", "do_display_sp", PRIV)
    add(r"display ont info (?P<f>\d+) (?P<s>\d+) (?P<p>\d+) (?P<n>\d+)", "do_display_info_fspn", PRIV)
    add(r"display ont info summary (?P<fsp>\d+/\d+/\d+)", "do_display_summary", CONF)
    add(r"display ont info summary (?P<fs>\d+/\d+)", "do_display_summary_slot", CONF)
    add(r"display ont info (?P<f>\d+) (?P<s>\d+) (?P<p>\d+) all", "do_display_info_fsp_all", PRIV)
    add(r"display ont info (?P<f>\d+) (?P<s>\d+) all", "do_display_info_slot_all", PRIV)
    add(r"display ont info by-sn (?P<sn>\S+)", "do_display_by_sn", CONF)
    add(r"display ont autofind all", "do_autofind_all", CONF)
    add(r"mmi-mode (?:enable|disable)", "do_noop", ("config",))
    add(r"interface gpon (?P<fs>\d+/\d+)", "do_interface", ("config",))
    add(r"vlan (?P<v>\d+) smart", "do_vlan", ("config",))
    add(
        r"service-port(?: (?P<index>\d+))? vlan (?P<vlan>\d+) gpon (?P<fsp>\d+/\d+/\d+) ont (?P<ont>\d+) "
        r"gemport (?P<gem>\d+) multi-service user-vlan (?P<uvlan>\d+)(?P<tag> tag-transform translate)?"
        r"(?: inbound traffic-table index (?P<tin>\d+) outbound traffic-table index (?P<tout>\d+))?",
        "do_service_port",
        ("config",),
    )
    add(r"undo service-port (?P<index>\d+)", "do_undo_sp", ("config",))
    add(r"ont-lineprofile gpon profile-id (?P<id>\d+)(?: profile-name (?P<name>\S+))?", "do_lineprofile", ("config",))
    add(r"ont-srvprofile gpon profile-id (?P<id>\d+)(?: profile-name (?P<name>\S+))?", "do_srvprofile", ("config",))
    add(r"display ont-lineprofile gpon all", "do_display_lineprofiles", CONF)
    add(r"display ont-srvprofile gpon all", "do_display_srvprofiles", CONF)
    add(r"tcont (?P<t>\d+) dba-profile-id (?P<d>\d+)", "do_profile_line", ("lineprofile",))
    add(r"gem add (?P<g>\d+) eth tcont (?P<t>\d+)(?: encrypt (?:on|off))?", "do_profile_line", ("lineprofile",))
    add(r"gem mapping (?P<g>\d+) (?P<m>\d+) vlan (?P<v>\d+)", "do_profile_line", ("lineprofile",))
    add(r"ont-port eth (?P<eth>\d+)(?: pots (?P<pots>\d+))?", "do_profile_line", ("srvprofile",))
    add(r"commit", "do_noop", PROFILE)
    # interface gpon F/S
    add(
        r"ont add (?P<p>\d+)(?: (?P<n>\d+))? sn-auth (?P<sn>" + SN16 + r") omci "
        r"(?:ont-lineprofile-id (?P<lid>\d+)|ont-lineprofile-name (?P<lname>" + VALUE + r")) "
        r"(?:ont-srvprofile-id (?P<sid>\d+)|ont-srvprofile-name (?P<sname>" + VALUE + r"))"
        r"(?: desc (?P<desc>" + VALUE + r"))?",
        "do_ont_add",
        ("if",),
    )
    add(r"ont delete (?P<p>\d+) (?P<n>\d+|all)", "do_ont_delete", ("if",))
    add(r"ont (?P<action>activate|deactivate) (?P<p>\d+) (?P<n>\d+)", "do_ont_state", ("if",))
    add(r"ont reset (?P<p>\d+) (?P<n>\d+)", "do_ont_reset", ("if",))
    add(
        r"ont modify (?P<p>\d+) (?P<n>\d+) (?P<key>desc|ont-lineprofile-(?:id|name)|ont-srvprofile-(?:id|name)) "
        r"(?P<value>" + VALUE + ")",
        "do_ont_modify",
        ("if",),
    )
    add(
        r"ont port native-vlan (?P<p>\d+) (?P<n>\d+) eth (?P<eth>\d+) vlan (?P<vlan>\d+)(?: priority (?P<pri>\d+))?",
        "do_native_vlan",
        ("if",),
    )
    add(
        r"ont ipconfig (?P<p>\d+) (?P<n>\d+)(?: ip-index (?P<idx>\d+))? (?P<mode>pppoe|dhcp|static)(?P<rest>(?: "
        + VALUE
        + r")*)",
        "do_ipconfig",
        ("if",),
    )
    add(r"undo ont ipconfig (?P<p>\d+) (?P<n>\d+)(?: ip-index (?P<idx>\d+))?", "do_undo_ipconfig", ("if",))
    add(r"ont internet-config (?P<p>\d+) (?P<n>\d+) ip-index (?P<idx>\d+)", "do_internet_config", ("if",))
    add(r"ont wan-config (?P<p>\d+) (?P<n>\d+) ip-index (?P<idx>\d+) profile-id (?P<pid>\d+)", "do_wan_config", ("if",))
    add(r"undo ont internet-config (?P<p>\d+) (?P<n>\d+) ip-index (?P<idx>\d+)", "do_undo_internet_config", ("if",))
    add(r"undo ont wan-config (?P<p>\d+) (?P<n>\d+) ip-index (?P<idx>\d+)", "do_undo_wan_config", ("if",))
    add(r"ont tr069-server-config (?P<p>\d+) (?P<n>\d+) profile-id (?P<pid>\d+)", "do_tr069", ("if",))
    add(r"ont wifi (?P<p>\d+) (?P<n>\d+) ssid-index (?P<idx>\d+)(?P<rest>(?: " + VALUE + r")*)", "do_wifi", ("if",))
    add(r"undo ont wifi (?P<p>\d+) (?P<n>\d+) ssid-index (?P<idx>\d+)", "do_undo_wifi", ("if",))
    add(r"display ont info (?P<p>\d+) (?P<n>\d+)", "do_display_info", ("if",))
    add(r"display ont info (?P<p>\d+) all", "do_display_info_all", ("if",))
    add(r"display ont optical-info (?P<p>\d+) (?P<n>\d+)", "do_optical", ("if",))
    add(r"display ont autofind (?P<p>\d+)", "do_autofind_port", ("if",))
    add(r"display ont wan-info (?P<p>\d+) (?P<n>\d+)", "do_wan_info", ("if",))
    add(r"display ont optical-info (?P<p>\d+) all", "do_optical_all", ("if",))
    add(r"display ont info summary (?P<p>\d+)", "do_display_summary_port", ("if",))
    # F/S P N and F/S/P N forms, as public automation types them in config mode
    add(r"display ont wan-info (?P<fs>\d+/\d+) (?P<p>\d+) (?P<n>\d+)", "do_wan_info_fs", CONF)
    add(r"display ont wlan-info (?P<fsp>\d+/\d+/\d+) (?P<n>\d+)", "do_wlan_info", CONF)
    add(
        r"service-port (?P<index>\d+) inbound traffic-table index (?P<tin>\d+) "
        r"outbound traffic-table index (?P<tout>\d+)",
        "do_service_port_traffic",
        ("config",),
    )
    return t


COMMANDS = build_commands()


def _optical_cell(onu):
    """'-18.50/2.31' (RX/TX dBm) for an online ONU, '-/-' otherwise."""
    if onu["run_state"] == "online" and onu["rx_power"] is not None:
        return "{:.2f}/2.31".format(onu["rx_power"])
    return "-/-"


class HuaweiSession(CliSession):
    username_prompt = ">>User name:"
    password_prompt = ">>User password:"
    login_failed_text = "\n  Username or password invalid.\n\n"
    pager_text = PAGER
    pager_erase = "\x1b[37D" + " " * 37 + "\x1b[37D"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode = "user"
        self.iface = None
        self.profile_id = None
        self.smart = True
        self.scroll = self.device.fw.get("scroll", 40)

    # -- session ------------------------------------------------------------
    def login(self):
        ok = super().login()
        if not ok:
            self.write("  Configuration console exit, please retry to log on\n")
        return ok

    def after_login(self):
        fw = self.device.fw
        text = (
            f"\n  Huawei Integrated Access Software ({fw['product']}).\n"
            "  Copyright(C) Huawei Technologies Co., Ltd. 2002-2019. All rights reserved.\n\n"
            "  -----------------------------------------------------------------------------\n"
            "  User last login information:\n"
            "  -----------------------------------------------------------------------------\n"
            f"  Access Type : {'SSH' if self.protocol == 'ssh' else 'Telnet'}\n"
            f"  IP-Address  : {self.peer}\n"
            "  Login  Time : 2026-11-29 08:00:00+08:00\n"
            "  Logout Time : 2026-11-29 08:10:00+08:00\n"
            "  -----------------------------------------------------------------------------\n\n"
        )
        if fw.get("yes_no_banner"):
            question = text + "  Warning: The user is using the default password. Continue? (YES.NO):"
            for _ in range(3):
                answer = self.ask(question).strip().lower()
                if answer.startswith("y"):
                    return ""
                if answer.startswith("n"):
                    break
                question = "  (YES.NO):"  # a bare Enter asks again
            return self._close()
        return text

    def too_many_sessions(self):
        # A user's own session limit ("Permitted Reenter Number", 1 for root).
        return "\n  Reenter times have reached the upper limit.\n"

    def locked_out(self):
        # 'system lock condition' locks the user and the terminal IP after
        # failed logins (3 by default).  The wording is not in a public
        # capture: this is the simulator's choice.
        return "\n  The user has been locked, please retry to log on later\n"

    def _close(self):
        raise DropConnection()

    def prompt(self):
        host = self.device.fw["hostname"]
        return {
            "user": f"{host}>",
            "enable": f"{host}#",
            "config": f"{host}(config)#",
            "if": f"{host}(config-if-gpon-{self.iface})#",
            "lineprofile": f"{host}(config-gpon-lineprofile-{self.profile_id})#",
            "srvprofile": f"{host}(config-gpon-srvprofile-{self.profile_id})#",
        }[self.mode]

    def rejected(self, line):
        return self._error(line, PARAMETER, 1 if len(line.split()) > 1 else 0)

    def busy(self, line):
        return F_BUSY + "\n"

    def async_message(self):
        self.device.alarm_seq += 1
        seq = self.device.alarm_seq
        return (
            f"\n  ! EVENT WARNING 2026-11-29 10:{seq % 60:02d}:{seq % 60:02d}+08:00\n"
            "  ALARM NAME :The ONT is online\n"
            f"  PARAMETERS :FrameID: 0, SlotID: 1, PortID: 0, ONT ID: {seq % 128}, "
            f"ONT SN: 48575443ABCDEF{seq % 256:02X}\n"
            "  --- END\n\n"
        )

    def _error(self, line, text, token_index):
        indent = len(self.prompt()) + token_offset(line, token_index)
        return " " * indent + "^\n  " + text + "\n\n"

    def handle(self, line):
        command, found = COMMANDS.match(line, self.mode)
        if command is None:
            kind, index = found
            text = {"unknown": UNKNOWN, "parameter": PARAMETER, "incomplete": INCOMPLETE, "toomany": PARAMETER}[kind]
            self.write(self._error(line, text, index))
            return True
        return getattr(self, command.handler)(found, line)

    # -- helpers --------------------------------------------------------------
    def emit(self, text):
        if self.device.fw.get("cursor_escapes", True) and text.startswith("  "):
            text = " " + CURSOR + text[1:]
        self.out(text + "\n")

    def completion(self, choices="{ <cr>||<K> }:", line=""):
        """The smart-mode question; True to go on (bare Enter)."""
        mode = self.device.fw.get("completion_prompts", "always")
        if mode == "never" or (mode == "smart" and not self.smart):
            return True
        answer = self.ask(choices)
        if answer.strip():
            self.write(self._error(answer, PARAMETER, 0))
            return False
        self.write(f"\n  Command:\n          {line}\n")
        return True

    def pon(self, port):
        return f"{self.iface}/{port}"

    def port_ok(self, port):
        return self.pon(port) in self.device.onus

    def onu_or_fail(self, port, onu_id):
        onu = self.device.find_onu(self.pon(port), int(onu_id))
        if onu is None:
            self.write(F_NO_ONT + "\n")
        return onu

    def no_port(self):
        self.write("  Failure: The port does not exist\n\n")

    # -- global -----------------------------------------------------------------
    def do_noop(self, m, line):
        return True

    def do_undo_smart(self, m, line):
        self.smart = False

    def do_smart(self, m, line):
        self.smart = True

    def do_scroll(self, m, line):
        if m["n"] is None:
            self.scroll = 512
        elif 10 <= int(m["n"]) <= 512:
            self.scroll = int(m["n"])
        else:
            self.write(self._error(line, PARAMETER, 1))

    def do_version(self, m, line):
        # The layout of the MA5800/MA5608T captures (VERSION / PATCH / PRODUCT, then the areas).
        fw = self.device.fw
        area = (
            "  --------------------------------------------------\n"
            "  Current Program Area : Area A\n"
            "  Current Data Area : Area A\n\n"
            f"  Program Area A Version : {fw['version']}\n"
            f"  Program Area B Version : {fw['version']}\n\n"
            f"  Data Area A Version : {fw['version']}\n"
            f"  Data Area B Version : {fw['version']}\n"
            "  --------------------------------------------------\n\n"
        )
        self.out(
            f"\n  VERSION : {fw['version']}\n  PATCH   : {fw['patch']}\n  PRODUCT : {fw['product']}\n\n"
            "  Active Mainboard Running Area Information:\n"
            + area
            + "  Standby Mainboard Running Area Information:\n"
            + area
            + "  Uptime is 20 day(s), 23 hour(s), 19 minute(s), 16 second(s)\n\n"
        )

    def do_enable(self, m, line):
        self.mode = "enable"

    def do_disable(self, m, line):
        self.mode = "user"

    def do_config(self, m, line):
        self.mode = "config"

    def do_return(self, m, line):
        self.mode = "enable"

    def do_quit(self, m, line):
        if self.mode in ("user", "enable"):
            answer = self.ask("  Are you sure to log out? (y/n)[n]:")
            if answer.strip().lower() == "y":
                self.write(
                    "\n  Check whether system data has been changed. Please save data before logout.\n"
                    "  Configuration console exit, please retry to log on\n"
                )
                return False
            return True
        self.mode = {"config": "enable", "if": "config", "lineprofile": "config", "srvprofile": "config"}[self.mode]
        return True

    def do_save(self, m, line):
        if not self.completion("{ <cr>|configuration<K>|data<K> }:", line):
            return True
        self.device.saved += 1
        self.device.changed()
        self.write(
            "  It will take several minutes to save configuration file, please wait...\n"
            "  The data of the system has been saved completely\n\n"
        )

    def do_display_board(self, m, line):
        slots = sorted({pon.split("/")[1] for pon in self.device.onus})
        rows = "".join(f"  {s:<6} H901GPHF  Normal\n" for s in slots)
        self.emit(
            "  -------------------------------------------------------------------------\n"
            "  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline\n"
            "  -------------------------------------------------------------------------\n"
            + rows
            + "  -------------------------------------------------------------------------\n"
        )

    # -- profiles / vlans -----------------------------------------------------
    def do_vlan(self, m, line):
        vlans = self.device.vlans
        if vlans is not None:
            if int(m["v"]) in vlans:
                self.write("  Failure: The VLAN already exists\n\n")
                return True
            vlans.add(int(m["v"]))
            self.device.changed()

    def _enter_profile(self, kind, m):
        table = self.device.profiles[kind]
        pid = int(m["id"])
        if pid not in table:
            table[pid] = {"name": m["name"] or f"{'line' if kind == 'line' else 'srv'}-profile_{pid}", "lines": []}
            self.device.changed()
        self.profile_id = pid
        self.mode = "lineprofile" if kind == "line" else "srvprofile"

    def do_lineprofile(self, m, line):
        self._enter_profile("line", m)

    def do_srvprofile(self, m, line):
        self._enter_profile("service", m)

    def do_profile_line(self, m, line):
        kind = "line" if self.mode == "lineprofile" else "service"
        lines = self.device.profiles[kind][self.profile_id]["lines"]
        normal = " ".join(line.split())
        if normal in lines:
            self.write(F_REPEAT + "\n")
            return True
        lines.append(normal)
        self.device.changed()

    def _display_profiles(self, kind, title):
        rows = "".join(f"  {pid:<11}{p['name']:<32}0\n" for pid, p in sorted(self.device.profiles[kind].items()))
        self.emit(
            "  -----------------------------------------------------------------------------\n"
            "  Profile-ID  Profile-name                                Binding times\n"
            "  -----------------------------------------------------------------------------\n"
            + rows
            + "  -----------------------------------------------------------------------------\n"
            f"  Total: {len(self.device.profiles[kind])}\n"
        )

    def do_display_lineprofiles(self, m, line):
        self._display_profiles("line", "line")

    def do_display_srvprofiles(self, m, line):
        self._display_profiles("service", "srv")

    # -- interface ---------------------------------------------------------------
    def do_interface(self, m, line):
        fs = m["fs"]
        if not any(pon.startswith(fs + "/") for pon in self.device.onus):
            self.write("  Failure: This board does not exist\n\n")
            return True
        self.iface = fs
        self.mode = "if"

    # -- auto-find -----------------------------------------------------------
    def _autofind_block(self, number, a):
        new = self.device.fw["autofind_format"] == "new"
        lines = [
            "   ----------------------------------------------------------------------------",
            f"   Number              : {number}",
            f"   F/S/P               : {a['pon']}",
        ]
        if new:
            lines.append("   ONT NNI type        : 2.5G/1.25G")
        # MA5800 prints the serial's vendor form and the password's text in
        # brackets; the older block (a V800R016-era capture) prints neither.
        password = a.get("password", "")
        lines += [
            f"   Ont SN              : {a['serial_hex']}" + (f" ({a['vendor_id']}-{a['serial'][4:]})" if new else ""),
            f"   Password            : 0x{password.encode().hex().upper():0<20}"
            + (f"({password})" if new and password else ""),
            f"   Loid                : {a.get('loid', '')}",
            "   Checkcode           :",
            f"   {'VendorID' if new else 'VenderID'}            : {a['vendor_id']}",
            f"   Ont Version         : {a['version']}",
            f"   Ont SoftwareVersion : {a['software_version']}",
            f"   Ont EquipmentID     : {a['model']}",
        ]
        if new:
            lines += [
                "   Ont Customized Info : COMMON",
                f"   Ont MAC             : {a['mac']}",
                f"   Ont Equipment SN    : {a['equipment_sn']}",
            ]
        lines.append(f"   Ont autofind time   : {a['found_at']}-04:00")
        if new:
            lines.append("   Multi channel       : -")
        return lines

    def _autofind(self, entries):
        if not entries:
            self.write("  Failure: The automatically found ONTs do not exist\n\n")
            return True
        lines = []
        for number, entry in enumerate(entries, 1):
            lines += self._autofind_block(number, entry)
        lines.append("   ----------------------------------------------------------------------------")
        lines.append(f"   The number of GPON autofind ONT is {len(entries)}")
        self.out("\n".join(lines) + "\n\n")

    def do_autofind_all(self, m, line):
        return self._autofind(sorted(self.device.autofind, key=lambda a: [int(x) for x in a["pon"].split("/")]))

    def do_autofind_port(self, m, line):
        return self._autofind([a for a in self.device.autofind if a["pon"] == self.pon(m["p"])])

    # -- ONT lifecycle -------------------------------------------------------------
    def do_ont_add(self, m, line):
        device = self.device
        port = m["p"]
        if not self.port_ok(port):
            return self.no_port()
        pon = self.pon(port)
        serial, hex16 = serial_from_sn(m["sn"])
        if m["n"] is not None and not device.first_onu_id <= int(m["n"]) <= device.max_onu_id:
            self.write(self._error(line, PARAMETER, 3))
            return True
        line_profile = self._profile_id("line", m["lid"], m["lname"])
        if line_profile is None:
            self.write("  Failure: The ont-lineprofile does not exist\n\n")
            return True
        srv_profile = self._profile_id("service", m["sid"], m["sname"])
        if srv_profile is None:
            self.write("  Failure: The ont-srvprofile does not exist\n\n")
            return True
        if device.find_serial(hex16):
            self.write("  Failure: SN already exists\n\n")
            return True
        onu_id = int(m["n"]) if m["n"] is not None else device.free_onu_id(pon)
        if onu_id is None:
            self.write("  Failure: The number of ONTs on the port reaches the upper limit\n\n")
            return True
        if device.find_onu(pon, onu_id):
            self.write("  Failure: The ONT ID has already existed\n\n")
            return True
        desc = unquote(m["desc"]) if m["desc"] else "ONT_NO_DESCRIPTION"
        facts = device.take_autofind(hex16, pon)
        if facts is None:
            # pre-provisioned, not (yet) plugged in: registered but offline
            facts = {"serial": serial, "serial_hex": hex16, "vendor_id": serial[:4], "offline": True, "rx_power": None}
        onu = device.add_onu(
            pon, onu_id, facts, description=desc, line_profile=line_profile, service_profile=srv_profile
        )
        onu["ip"] = {}
        device.changed()
        self.write(f"  Number of ONTs that can be added: 1, success: 1\n  PortID :{port}, ONTID :{onu_id}\n\n")

    def _profile_id(self, kind, pid, name):
        table = self.device.profiles[kind]
        if pid is not None:
            return int(pid) if str(pid).isdigit() and int(pid) in table else None
        name = unquote(name)
        for key, profile in table.items():
            if profile["name"] == name:
                return key
        return None

    def do_ont_delete(self, m, line):
        device = self.device
        pon = self.pon(m["p"])
        if not self.port_ok(m["p"]):
            return self.no_port()
        ids = sorted(device.onus[pon]) if m["n"] == "all" else [int(m["n"])]
        ids = [i for i in ids if i in device.onus[pon]]
        if not ids:
            self.write(F_NO_ONT + "\n")
            return True
        if any(sp["pon"] == pon and sp["onu_id"] in ids for sp in device.service_ports.values()):
            self.write("  Failure: This configured object has some service virtual ports\n\n")
            return True
        for onu_id in ids:
            device.remove_onu(pon, onu_id)
        device.changed()
        self.write(f"  Number of ONTs that can be deleted: {len(ids)}, success: {len(ids)}\n\n")

    def do_ont_state(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        wanted = "active" if m["action"] == "activate" else "deactivated"
        if onu["admin_state"] == wanted:
            self.write(F_REPEAT + "\n")
            return True
        onu["admin_state"] = wanted
        onu["run_state"] = (
            "offline" if wanted == "deactivated" else ("offline" if onu["rx_power"] is None else "online")
        )
        self.device.changed()

    def do_ont_reset(self, m, line):
        """The ONT restarts (offline, then online again): only an online one hears it."""
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        if onu["run_state"] != "online":
            self.write("  Failure: The ONT is not online\n\n")
            return True
        self.device.reboot_onu(onu)
        return True

    def do_ont_modify(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        value = unquote(m["value"])
        if m["key"] == "desc":
            field_name, new = "description", value
        else:
            kind = "line" if m["key"].startswith("ont-lineprofile") else "service"
            by_id = m["key"].endswith("-id")
            new = self._profile_id(kind, value if by_id else None, None if by_id else value)
            if new is None:
                self.write(f"  Failure: The ont-{'lineprofile' if kind == 'line' else 'srvprofile'} does not exist\n\n")
                return True
            field_name = "line_profile" if kind == "line" else "service_profile"
        if onu[field_name] == new:
            self.write(F_REPEAT + "\n")
            return True
        onu[field_name] = new
        self.device.changed()

    def do_native_vlan(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        if not 1 <= int(m["eth"]) <= 4:
            self.write("  Failure: The ONT port does not exist\n\n")
            return True
        if not self._vlan_exists(int(m["vlan"])):
            return True
        key = f"eth {int(m['eth'])}"
        value = {"vlan": int(m["vlan"]), "priority": int(m["pri"] or 0)}
        if onu["native_vlan"].get(key) == value:
            self.write(F_REPEAT + "\n")
            return True
        onu["native_vlan"][key] = value
        self.device.changed()

    def _vlan_exists(self, vlan):
        vlans = self.device.vlans
        if not 1 <= vlan <= 4094 or (vlans is not None and vlan not in vlans):
            self.write("  Failure: The VLAN does not exist\n\n")
            return False
        return True

    # -- WAN -------------------------------------------------------------------
    IP_KEYS: ClassVar[dict] = {
        "pppoe": ({"vlan", "priority", "user-account"}, set()),
        "dhcp": ({"vlan", "priority"}, set()),
        "static": (
            {"vlan", "priority", "ip-address", "mask", "gateway", "pri-dns", "slave-dns"},
            {"ip-address", "mask", "gateway"},
        ),
    }

    def do_ipconfig(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        rest = m["rest"].strip()
        config = {"mode": m["mode"], "ip_index": int(m["idx"] or 0)}
        if m["mode"] == "pppoe":
            found = re.search(r"user-account username (" + VALUE + r") password (" + VALUE + r")", rest)
            if not found:
                self.write(
                    self._error(line, INCOMPLETE if "user-account" not in rest else PARAMETER, len(line.split()))
                )
                return True
            config["username"], config["password"] = unquote(found[1]), unquote(found[2])
            rest = (rest[: found.start()] + rest[found.end() :]).strip()
        pairs = kv_pairs(rest)
        allowed, required = self.IP_KEYS[m["mode"]]
        if pairs is None or set(pairs) - allowed or required - set(pairs):
            self.write(self._error(line, PARAMETER, 5))
            return True
        for key, value in pairs.items():
            config[key.replace("-", "_")] = int(value) if key in ("vlan", "priority") and value.isdigit() else value
        if "vlan" in config and not self._vlan_exists(int(config["vlan"])):
            return True
        wans = onu["wan"]
        current = next((w for w in wans if w["ip_index"] == config["ip_index"]), None)
        if current is not None:
            merged = dict(
                config, internet_config=current.get("internet_config", False), wan_profile=current.get("wan_profile")
            )
            if merged == current:
                self.write(F_REPEAT + "\n")
                return True
            wans.remove(current)
            config = merged
        else:
            config.update(internet_config=False, wan_profile=None)
        wans.append(config)
        wans.sort(key=lambda w: w["ip_index"])
        self.device.changed()

    def do_undo_ipconfig(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        idx = int(m["idx"] or 0)
        before = len(onu["wan"])
        onu["wan"] = [w for w in onu["wan"] if w["ip_index"] != idx]
        if len(onu["wan"]) == before:
            self.write("  Failure: The IP index does not exist\n\n")
            return True
        self.device.changed()

    def _wan_flag(self, m, line, key, value, undo=False):
        if not self.device.fw["internet_config" if key == "internet_config" else "wan_config"]:
            self.write(self._error(line, UNKNOWN, 2 if undo else 1))
            return True
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        wan = next((w for w in onu["wan"] if w["ip_index"] == int(m["idx"])), None)
        if wan is None:
            self.write("  Failure: The IP index does not exist\n\n")
            return True
        if wan.get(key) == value:
            self.write(F_REPEAT + "\n")
            return True
        wan[key] = value
        self.device.changed()

    def do_internet_config(self, m, line):
        return self._wan_flag(m, line, "internet_config", True)

    def do_wan_config(self, m, line):
        if self.device.fw["wan_config"] and int(m["pid"]) not in self.device.wan_profiles:
            self.write("  Failure: The WAN profile does not exist\n\n")
            return True
        return self._wan_flag(m, line, "wan_profile", int(m["pid"]))

    def do_undo_internet_config(self, m, line):
        return self._wan_flag(m, line, "internet_config", False, undo=True)

    def do_undo_wan_config(self, m, line):
        return self._wan_flag(m, line, "wan_profile", None, undo=True)

    def do_tr069(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        if onu.get("tr069_profile") == int(m["pid"]):
            self.write(F_REPEAT + "\n")
            return True
        onu["tr069_profile"] = int(m["pid"])
        self.device.changed()

    def do_wan_info(self, m, line):
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        return self._wan_info(onu)

    def do_wan_info_fs(self, m, line):
        onu = self.device.find_onu(f"{m['fs']}/{m['p']}", int(m["n"]))
        if onu is None:
            self.write(F_NO_ONT + "\n")
            return True
        return self._wan_info(onu)

    def _routed(self, wan):
        """What the ONT reports: routed once a routed WAN profile is bound, or,
        where the firmware has no 'ont wan-config', once the WAN serves internet."""
        fw = self.device.fw
        if fw["wan_config"]:
            return self.device.wan_profiles.get(wan.get("wan_profile")) == "route"
        return bool(wan.get("internet_config"))

    def _wan_info(self, onu):
        """The ONT's own report (the layout of the ntc-templates captures); an
        offline ONT cannot report."""
        if onu["run_state"] != "online":
            self.write("  Failure: The ONT is not online\n\n")
            return True
        rule = "  ---------------------------------------------------------------------"
        lines = [
            rule,
            f"  F/S/P                      : {onu['pon']}",
            f"  ONT ID                     : {onu['id']}",
            rule,
        ]
        access = {"pppoe": "PPPoE", "dhcp": "DHCP", "static": "Static"}
        for wan in onu["wan"]:
            routed = self._routed(wan)
            lines += [
                f"  Index                      : {wan['ip_index']}",
                f"  Name                       : {wan['ip_index']}_INTERNET_{'RB'[not routed]}_VID_{wan.get('vlan')}",
                f"  Service type               : {'Internet' if wan.get('internet_config') else 'Other'}",
                f"  Connection type            : {'IP routed' if routed else 'IP bridged'}",
                "  IPv4 Connection status     : Connected",
                f"  IPv4 access type           : {access[wan['mode']]}",
                f"  IPv4 address               : {wan.get('ip_address') or '-'}",
                f"  Subnet mask                : {wan.get('mask') or '-'}",
                f"  Default gateway            : {wan.get('gateway') or '-'}",
                f"  Primary DNS                : {wan.get('pri_dns') or '-'}",
                f"  Secondary DNS              : {wan.get('slave_dns') or '-'}",
                f"  Manage VLAN                : {wan.get('vlan', '-')}",
                f"  Manage priority            : {wan.get('priority', 0)}",
                "  Multicast VLAN             : -",
                f"  NAT switch                 : {'Enable' if routed else 'Disable'}",
                "  Switch                     : Enable",
                rule,
            ]
        self.emit("\n".join(lines) + "\n")

    def do_wlan_info(self, m, line):
        onu = self.device.find_onu(m["fsp"], int(m["n"]))
        if onu is None:
            self.write(F_NO_ONT + "\n")
            return True
        if onu["run_state"] != "online":
            self.write("  Failure: The ONT is not online\n\n")
            return True
        rule = "  ------------------------------------------------------------------------------"
        lines = [
            rule,
            f"  F/S/P                    : {onu['pon']}",
            f"  ONT ID                   : {onu['id']}",
            f"  The total number of SSID : {len(onu['wifi'])}",
            rule,
        ]
        for index in sorted(onu["wifi"], key=int):
            lines += [
                f"  SSID Index               : {index}",
                f"  SSID                     : {onu['wifi'][index]['ssid']}",
                "  Wireless Standard        : IEEE 802.11b/g/n",
                "  Administrative state     : enable",
                "  Operational state        : up",
                "  Maximum associate number : 32",
                "  Current associate number : 0",
                rule,
            ]
        self.emit("\n".join(lines) + "\n")

    # -- WiFi --------------------------------------------------------------------
    WIFI_KEYS: ClassVar[set] = {"ssid", "auth-mode", "encrypt-mode", "key", "hidden"}

    def do_wifi(self, m, line):
        if not self.device.fw["wifi"]:
            self.write(self._error(line, UNKNOWN, 1))
            return True
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        pairs = kv_pairs(m["rest"].strip())
        if (
            pairs is None
            or set(pairs) - self.WIFI_KEYS
            or "ssid" not in pairs
            or "auth-mode" not in pairs
            or pairs["auth-mode"] not in ("open", "wpa-psk", "wpa2-psk", "wpa-wpa2-psk")
            or pairs.get("hidden", "disable") not in ("enable", "disable")
            or (pairs["auth-mode"] != "open" and "key" not in pairs)
        ):
            self.write(self._error(line, PARAMETER, 5))
            return True
        if not 1 <= int(m["idx"]) <= 8:
            self.write(self._error(line, PARAMETER, 5))
            return True
        config = {
            "ssid": pairs["ssid"],
            "auth_mode": pairs["auth-mode"],
            "encrypt_mode": pairs.get("encrypt-mode", "aes"),
            "key": pairs.get("key", ""),
            "hidden": pairs.get("hidden", "disable") == "enable",
        }
        if onu["wifi"].get(m["idx"]) == config:
            self.write(F_REPEAT + "\n")
            return True
        onu["wifi"][m["idx"]] = config
        self.device.changed()

    def do_undo_wifi(self, m, line):
        if not self.device.fw["wifi"]:
            self.write(self._error(line, UNKNOWN, 2))
            return True
        onu = self.onu_or_fail(m["p"], m["n"])
        if onu is None:
            return True
        if onu["wifi"].pop(m["idx"], None) is None:
            self.write("  Failure: The SSID does not exist\n\n")
            return True
        self.device.changed()

    # -- service ports -------------------------------------------------------------
    def do_service_port(self, m, line):
        device = self.device
        pon = m["fsp"]
        if pon not in device.onus:
            self.write("  Failure: The port does not exist\n\n")
            return True
        if device.find_onu(pon, int(m["ont"])) is None:
            self.write(F_NO_ONT + "\n")
            return True
        if not self._vlan_exists(int(m["vlan"])):
            return True
        for key in ("tin", "tout"):
            if m[key] is not None and int(m[key]) not in device.traffic_tables:
                self.write("  Failure: The traffic table does not exist\n\n")
                return True
        entry = {
            "vlan": int(m["vlan"]),
            "pon": pon,
            "onu_id": int(m["ont"]),
            "gemport": int(m["gem"]),
            "user_vlan": int(m["uvlan"]),
            "tag_transform": "translate" if m["tag"] else "default",
            "inbound_traffic_table": int(m["tin"]) if m["tin"] else 6,
            "outbound_traffic_table": int(m["tout"]) if m["tout"] else 6,
        }
        for sp in device.service_ports.values():
            same = {k: sp[k] for k in ("pon", "onu_id", "gemport", "user_vlan")} == {
                k: entry[k] for k in ("pon", "onu_id", "gemport", "user_vlan")
            }
            if same:
                self.write(F_SP_EXISTS + "\n")
                return True
        if m["index"] is not None:
            index = int(m["index"])
            if index in device.service_ports:
                self.write("  Failure: The service virtual port index has existed already\n\n")
                return True
        else:
            index = next(i for i in range(65536) if i not in device.service_ports)
        entry["index"] = index
        device.service_ports[index] = entry
        device.changed()

    def do_undo_sp(self, m, line):
        index = int(m["index"])
        if index not in self.device.service_ports:
            self.write(F_SP_NONE + "\n")
            return True
        if self.device.fw.get("confirm_undo_service_port", True):
            answer = self.ask("  Are you sure to release service virtual port(s)? (y/n)[n]:")
            if answer.strip().lower() != "y":
                return True
        del self.device.service_ports[index]
        self.device.changed()
        self.write("\n")

    SP_HEADER = "   INDEX VLAN VLAN     PORT F/ S/ P VPI  VCI   FLOW  FLOW       RX   TX   STATE"
    SP_NOTE = (
        "   Note : F--Frame, S--Slot, P--Port,\n"
        "          VPI indicates ONT ID for PON, VCI indicates GEM index for GPON,\n"
        "          v/e--vlan/encap, pritag--priority-tagged,\n"
        "          ppp--pppoe, ip--ipoe, ip4--ipv4oe, ip6--ipv6oe, vxl--vxlan.\n"
    )

    def _sp_row(self, sp):
        """One row placed under the header's columns, as the captures show them."""
        frame, slot, port = sp["pon"].split("/")
        starts = [match.start() for match in re.finditer(r"\S+", self.SP_HEADER)]
        # INDEX is right-aligned to its header; the others start under theirs.
        cells = [
            (starts[1] + len("VLAN") - 1 - len(str(sp["index"])) - 1, str(sp["index"])),
            (starts[1], str(sp["vlan"])),
            (starts[2], "common"),
            (starts[3], "gpon"),
            (starts[4], f"{frame}/{slot} /{port}"),
            (starts[7], str(sp["onu_id"])),
            (starts[8], str(sp["gemport"])),
            (starts[9], "vlan"),
            (starts[10], str(sp["user_vlan"])),
            (starts[11], str(sp["inbound_traffic_table"])),
            (starts[12], str(sp["outbound_traffic_table"])),
            (starts[13], "up"),
        ]
        row = ""
        for start, text in cells:
            row = row.ljust(start) if len(row) < start else row + " "
            row += text
        return row

    def do_display_sp(self, m, line):
        what = m["what"]
        sps = sorted(self.device.service_ports.values(), key=lambda s: s["index"])
        choices = "{ <cr>|sort-by<K>||<K> }:"
        if what.isdigit():
            sps = [s for s in sps if s["index"] == int(what)]
        elif what.startswith("port"):
            parts = what.split()
            sps = [s for s in sps if s["pon"] == parts[1] and (len(parts) < 4 or s["onu_id"] == int(parts[3]))]
            if len(parts) == 4:
                choices = "{ <cr>|gemport<K>|sort-by<K> }:"
        if not self.completion(choices, line):
            return True
        if not sps:
            self.write("  Failure: No service virtual port can be operated\n\n")
            return True
        rows = [self._sp_row(sp) for sp in sps]
        note = self.SP_NOTE if self.device.fw["product"].startswith("MA5800") else ""
        self.emit(
            "  Switch-Oriented Flow List\n"
            "  -----------------------------------------------------------------------------\n"
            f"{self.SP_HEADER}\n"
            "         ID   ATTR     TYPE                    TYPE  PARA\n"
            "  -----------------------------------------------------------------------------\n" + "\n".join(rows) + "\n"
            "  -----------------------------------------------------------------------------\n"
            f"   Total : {len(sps)}  (Up/Down :    {len(sps)}/0)\n" + note
        )

    def do_service_port_traffic(self, m, line):
        """``service-port N inbound traffic-table index X outbound traffic-table index Y``: in place."""
        sp = self.device.service_ports.get(int(m["index"]))
        if sp is None:
            self.write(F_SP_NONE + "\n")
            return True
        for key in ("tin", "tout"):
            if int(m[key]) not in self.device.traffic_tables:
                self.write("  Failure: The traffic table does not exist\n\n")
                return True
        wanted = {"inbound_traffic_table": int(m["tin"]), "outbound_traffic_table": int(m["tout"])}
        if all(sp[key] == value for key, value in wanted.items()):
            self.write(F_REPEAT + "\n")
            return True
        sp.update(wanted)
        self.device.changed()

    # -- ONT display ----------------------------------------------------------------
    def do_display_info_fspn(self, m, line):
        pon = f"{m['f']}/{m['s']}/{m['p']}"
        if pon not in self.device.onus:
            self.write("  Failure: The port does not exist\n\n")
            return True
        return self._display_info(pon, int(m["n"]), line)

    def do_display_info(self, m, line):
        if not self.port_ok(m["p"]):
            return self.no_port()
        return self._display_info(self.pon(m["p"]), int(m["n"]), line)

    def _display_info(self, pon, onu_id, line):
        if not self.completion("{ <cr>||<K> }:", line):
            return True
        onu = self.device.find_onu(pon, onu_id)
        if onu is None:
            self.write(F_NO_SUCH_ONT + "\n")
            return True
        online = onu["run_state"] == "online"
        profiles = self.device.profiles
        lp, sp = onu["line_profile"], onu["service_profile"]
        self.emit(
            "  -----------------------------------------------------------------------------\n"
            f"  F/S/P                   : {pon}\n"
            f"  ONT-ID                  : {onu_id}\n"
            f"  Control flag            : {onu['admin_state']}\n"
            f"  Run state               : {onu['run_state']}\n"
            f"  Config state            : {'normal' if online else 'initial'}\n"
            f"  Match state             : {'match' if online else 'initial'}\n"
            "  DBA type                : SR\n"
            f"  ONT distance(m)         : {2000 + onu_id * 7 if online else '-'}\n"
            "  ONT battery state       : not support\n"
            f"  Memory occupation       : {'55%' if online else '-'}\n"
            f"  CPU occupation          : {'1%' if online else '-'}\n"
            f"  Temperature             : {'47(C)' if online else '-'}\n"
            "  Authentic type          : SN-auth\n"
            f"  SN                      : {onu['serial_hex']} ({onu['vendor_id']}-{onu['serial'][4:]})\n"
            "  Management mode         : OMCI\n"
            "  Software work mode      : normal\n"
            "  Isolation state         : normal\n"
            "  ONT IP 0 address/mask   : -\n"
            f"  Description             : {onu['description']}\n"
            f"  Last down cause         : {'-' if online or onu['admin_state'] == 'active' else 'ONT deactivated'}\n"
            f"  Last up time            : {'2026-11-29 08:00:00+08:00' if online else '-'}\n"
            "  Last down time          : -\n"
            "  Last dying gasp time    : -\n"
            f"  ONT online duration     : {'0 day(s), 2 hour(s), 3 minute(s), 4 second(s)' if online else '-'}\n"
            "  Type C support          : Not support\n"
            "  Interoperability-mode   : ITU-T\n"
            "  -----------------------------------------------------------------------------\n"
            "  VoIP configure method   : Default\n"
            "  -----------------------------------------------------------------------------\n"
            f"  Line profile ID      : {lp}\n"
            f"  Line profile name    : {profiles['line'].get(lp, {}).get('name', '-')}\n"
            "  -----------------------------------------------------------------------------\n"
            f"  Service profile ID   : {sp}\n"
            f"  Service profile name : {profiles['service'].get(sp, {}).get('name', '-')}\n"
            "  -----------------------------------------------------------------------------\n"
        )

    def do_display_info_all(self, m, line):
        if not self.port_ok(m["p"]):
            return self.no_port()
        return self._info_all([self.pon(m["p"])])

    def do_display_info_fsp_all(self, m, line):
        pon = f"{m['f']}/{m['s']}/{m['p']}"
        if pon not in self.device.onus:
            return self.no_port()
        return self._info_all([pon])

    def do_display_info_slot_all(self, m, line):
        pons = [pon for pon in self.device.pons if pon.startswith(f"{m['f']}/{m['s']}/")]
        if not pons:
            return self.no_port()
        return self._info_all(pons)

    def _info_all(self, pons):
        """One block per port holding ONTs (the ntc-templates/ClaudeMegaISP layout)."""
        blocks = [block for block in map(self._info_all_block, pons) if block]
        if not blocks:
            self.write("  Failure: There is no ONT available\n\n")
            return True
        self.emit("\n".join(blocks))

    def _info_all_block(self, pon):
        onus = [self.device.onus[pon][i] for i in sorted(self.device.onus[pon])]
        if not onus:
            return ""
        f, s, p = pon.split("/")
        fsp = f"{f}/{s:>2}/{p}"
        rule = "  -----------------------------------------------------------------------------\n"
        rows = "".join(
            f"  {fsp:<8}{o['id']:>3}  {o['serial_hex']}  {o['admin_state']:<11} {o['run_state']:<8} "
            f"{'normal' if o['run_state'] == 'online' else 'initial':<8} "
            f"{'match' if o['run_state'] == 'online' else 'initial':<8} no \n"
            for o in onus
        )
        descs = "".join(f"  {fsp:<8}{o['id']:>6}   {o['description']}\n" for o in onus)
        online = sum(o["run_state"] == "online" for o in onus)
        return (
            rule + "  F/S/P   ONT         SN         Control     Run      Config   Match    Protect\n"
            "          ID                     flag        state    state    state    side \n"
            + rule
            + rows
            + rule
            + "  F/S/P   ONT-ID   Description\n"
            + rule
            + descs
            + rule
            + f"  In port {fsp} , the total of ONTs are: {len(onus)}, online: {online}\n"
            + rule
        )

    def do_display_summary(self, m, line):
        if m["fsp"] not in self.device.onus:
            self.write("  Failure: The port does not exist\n\n")
            return True
        return self._summary([m["fsp"]])

    def do_display_summary_port(self, m, line):
        if not self.port_ok(m["p"]):
            return self.no_port()
        return self._summary([self.pon(m["p"])])

    def do_display_summary_slot(self, m, line):
        pons = [pon for pon in self.device.pons if pon.startswith(m["fs"] + "/")]
        if not pons:
            return self.no_port()
        return self._summary(pons)

    def _summary(self, pons):
        """The ntc-templates/olt-client-parser layout: a state table and a power table per port."""
        blocks = [block for block in map(self._summary_block, pons) if block]
        if not blocks:
            self.write("  Failure: There is no ONT available\n\n")
            return True
        self.emit("\n".join(blocks))

    def _summary_block(self, pon):
        onus = [self.device.onus[pon][i] for i in sorted(self.device.onus[pon])]
        if not onus:
            return ""
        online = sum(o["run_state"] == "online" for o in onus)
        rule = "  ------------------------------------------------------------------------------\n"
        state_rows = "".join(
            f"  {o['id']:<5}{o['run_state']:<8}{'2026-11-29 08:00:00' if o['run_state'] == 'online' else '-':<20}"
            f"{'-' if o['run_state'] == 'online' else '2026-11-29 09:00:00':<20}{_down_cause(o)}\n"
            for o in onus
        )
        power_rows = "".join(
            f"  {o['id']:<4}{o['serial_hex']} {o['model'] or '-':<13} "
            f"{(2000 + o['id'] * 7) if o['run_state'] == 'online' else '-':<6} "
            f"{_optical_cell(o):<13}"
            f"{o['description']}\n"
            for o in onus
        )
        return (
            rule
            + f"  In port {pon}, the total of ONTs are: {len(onus)}, online: {online}\n"
            + rule
            + "  ONT  Run     Last                Last                Last\n"
            "  ID   State   UpTime              DownTime            DownCause\n"
            + rule
            + state_rows
            + rule
            + "  ONT        SN        Type          Distance Rx/Tx power  Description\n"
            "  ID                                    (m)      (dBm)\n" + rule + power_rows + rule
        )

    def do_display_by_sn(self, m, line):
        sn = m["sn"].upper()
        onu = None
        if re.fullmatch(SN_ANY, sn):
            onu = self.device.find_serial(serial_from_sn(sn)[1])
        if onu is None:
            self.write(F_NO_SUCH_ONT + "\n")
            return True
        return self._display_info(onu["pon"], onu["id"], line)

    def do_optical_all(self, m, line):
        if not self.port_ok(m["p"]):
            return self.no_port()
        if not self.completion("{ <cr>||<K> }:", line):
            return True
        onus = [o for _, o in sorted(self.device.onus[self.pon(m["p"])].items())]
        onus = [o for o in onus if o["run_state"] == "online" and o["rx_power"] is not None]
        if not onus:
            self.write("  Failure: The ONT is not online\n\n")
            return True
        rule = "  -----------------------------------------------------------------------------"
        rows = [
            f"  {o['id']:>3}  {o['rx_power']:<9.2f} {2.31:<9.2f} {o['rx_power'] - 1.6:<11.2f} {47:<12} "
            f"{3.28:<8.3f} {9:<8} {2000 + o['id'] * 7:<8}"
            for o in onus
        ]
        self.emit(
            rule + "\n"
            "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance\n"
            "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)\n"
            + rule
            + "\n"
            + "\n".join(rows)
            + "\n"
            + rule
            + "\n"
        )

    def do_optical(self, m, line):
        if not self.port_ok(m["p"]):
            return self.no_port()
        if not self.completion("{ <cr>||<K> }:", line):
            return True
        onu = self.device.find_onu(self.pon(m["p"]), int(m["n"]))
        if onu is None:
            self.write(F_NO_ONT + "\n")
            return True
        if onu["run_state"] != "online" or onu["rx_power"] is None:
            self.write("  Failure: The ONT is not online\n\n")
            return True
        self.emit(
            "  -----------------------------------------------------------------------------\n"
            "  ONU NNI port ID                        : 0\n"
            "  Module type                            : GPON\n"
            "  Module sub-type                        : CLASS B+\n"
            "  Used type                              : ONU\n"
            "  Encapsulation Type                     : BOSA ON BOARD\n"
            "  Optical power precision(dBm)           : 0.1\n"
            "  Vendor name                            : HUAWEI\n"
            "  Vendor rev                             : -\n"
            "  Vendor PN                              : HW-BOB-0007\n"
            "  Vendor SN                              : -\n"
            "  Date Code                              : -\n"
            f"  Rx optical power(dBm)                  : {onu['rx_power']:.2f}\n"
            "  Rx power current warning threshold(dBm): [-,-]\n"
            "  Rx power current alarm threshold(dBm)  : [-29.0,-7.0]\n"
            "  Tx optical power(dBm)                  : 2.31\n"
            "  Tx power current warning threshold(dBm): [-,-]\n"
            "  Tx power current alarm threshold(dBm)  : [0.0,5.0]\n"
            "  Laser bias current(mA)                 : 9\n"
            "  Temperature(C)                         : 47\n"
            "  Voltage(V)                             : 3.280\n"
            f"  OLT Rx ONT optical power(dBm)          : {onu['rx_power'] - 1.6:.2f}\n"
            "  -----------------------------------------------------------------------------\n"
        )


class HuaweiDevice(Device):
    platform = "huawei"
    session_class = HuaweiSession
    default_pons = ("0/1/0", "0/1/1", "0/1/2", "0/1/3")
    first_onu_id = 0
    max_onu_id = 127
    vendor_mix = ("HWTC", "HWTC", "HWTC", "ZTEG")

    def setup(self, options):
        firmware = options.get("firmware", "ma5800")
        firmware = FIRMWARE_ALIASES.get(firmware, firmware)
        if firmware not in FIRMWARES:
            raise ValueError(f"huawei firmware must be one of {', '.join([*FIRMWARES, *FIRMWARE_ALIASES])}")
        self.fw = dict(FIRMWARES[firmware], firmware=firmware)
        self.fw.update({k: v for k, v in options.items() if k not in ("pons", "firmware")})
        self.alarm_seq = 0
        line = options.get("line_profiles") or {1: "default", 10: "line-profile_10", 100: "line-profile_100"}
        srv = options.get("service_profiles") or {1: "default", 10: "srv-profile_10", 100: "srv-profile_100"}
        self.profiles = {
            "line": {int(k): {"name": v, "lines": []} for k, v in line.items()},
            "service": {int(k): {"name": v, "lines": []} for k, v in srv.items()},
        }
        self.traffic_tables = set(options.get("traffic_tables") or [0, 1, 2, 3, 4, 5, 6, 10, 20])
        #: WAN profiles ('ont wan-profile' on the OLT): id -> connection type
        self.wan_profiles = {int(k): v for k, v in (options.get("wan_profiles") or {0: "route"}).items()}
        vlans = options.get("vlans")
        self.vlans = set(vlans) if vlans is not None else None

    def new_registered_onu(self, pon, onu_id, facts):
        onu = self.add_onu(
            pon, onu_id, facts, description=f"CT-{len(self.service_ports) + 1:05d}", line_profile=10, service_profile=10
        )
        onu["native_vlan"] = {"eth 1": {"vlan": 100, "priority": 0}}
        index = len(self.service_ports)
        self.service_ports[index] = {
            "index": index,
            "vlan": 100,
            "pon": pon,
            "onu_id": onu_id,
            "gemport": 1,
            "user_vlan": 100,
            "tag_transform": "translate",
            "inbound_traffic_table": 10,
            "outbound_traffic_table": 10,
        }
        return onu

    def platform_state(self):
        return {
            "firmware": self.fw["firmware"],
            "line_profiles": {str(k): dict(v) for k, v in self.profiles["line"].items()},
            "service_profiles": {str(k): dict(v) for k, v in self.profiles["service"].items()},
            "traffic_tables": sorted(self.traffic_tables),
            "vlans": sorted(self.vlans) if self.vlans is not None else None,
        }

    def load_platform_state(self, data):
        for kind, key in (("line", "line_profiles"), ("service", "service_profiles")):
            if key in data:
                self.profiles[kind] = {int(k): v for k, v in data[key].items()}
        if data.get("vlans") is not None:
            self.vlans = set(data["vlans"])


#: why an ONT went down, as 'display ont info summary' words it (the captured
#: words: 'dying-gasp', 'LOSi'); the summary prints '-' when nothing is known
_DOWN_CAUSES = {"los": "LOSi", "dying_gasp": "dying-gasp"}


def _down_cause(onu):
    if onu["run_state"] == "online" or onu["admin_state"] != "active":
        return "-"
    return _DOWN_CAUSES.get(onu.get("down_cause"), "-")
