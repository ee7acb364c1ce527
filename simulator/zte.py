"""ZTE ZXAN dialects: C300/C320 (``zte``) and C600/C650 (``zte_c600``).

Both speak the same Cisco-like ZXAN command line; they differ in interface
names, prompts, error codes and a few commands. Keywords may be abbreviated to
any unique prefix (``conf t``, ``show gpon onu unc``, ``wr``) as on the device.

Session
-------
Telnet login ``Username:`` / ``Password:`` (a wrong password prints
``bad password.`` and asks again, three tries). Prompt ``ZXAN#`` (option
``hostname``). Output is paged at 24 lines with `` --More-- `` until
``terminal length 0``. Lines starting with ``!`` are comments; CTRL/Z returns to
``#``.

Modes and prompts (C300/C320 | C600/C650)::

    exec        ZXAN#
    config      ZXAN(config)#
    gpon-olt    ZXAN(config-if)#        | ZXAN(config-if-gpon_olt-1/1/1)#
    gpon-onu    ZXAN(config-if)#        | ZXAN(config-if-gpon_onu-1/1/1:5)#
    vport       -                       | ZXAN(config-if-vport-1/1/1.5:1)#
    onu-mng     ZXAN(gpon-onu-mng)#     | ZXAN(gpon-onu-mng)#

Interfaces: C300/C320 ``gpon-olt_1/1/1``, ``gpon-onu_1/1/1:N``; C600/C650
``gpon_olt-1/1/1``, ``gpon_onu-1/1/1:N``, ``vport-1/1/1.N:1``. The PON address
in ``state()`` is ``1/1/1`` for both. ONU ids 1..128.

Accepted commands
-----------------
Every mode:
  ``show gpon onu uncfg [OLT]``      C300/C320 (C600 only with option ``gpon_uncfg``)::

      OnuIndex                 Sn                  State
      ---------------------------------------------------------------------
      gpon-onu_1/1/1:1         HWTC1F14CAAD        unknown

  ``show pon onu uncfg [OLT]``       C600/C650 (C300 only with option ``pon_uncfg``,
                                     "newer firmware")::

      OltIndex            Model                SN                 PW
      -----------------------------------------------------------------------------
      gpon_olt-1/1/9      R1v2                 ITBSCF8F197E       123456789

  Nothing to list: ``%Code 32310-GPONSRV : No related information to show.``
  (option ``empty_code`` gives the ``62310`` variant).
  ``show gpon onu state [OLT [ID]]``  per firmware: ``OnuIndex Admin State OMCC State
                                     O7 State Phase State`` (V2.1, ``gpon-onu_1/1/1:1``
                                     rows), ``... Phase State  Channel`` (V1.2 and
                                     C320 V2.1.0, bare ``1/1/1:1``), ``... Phase state
                                     Speed mode`` (C600);
                                     footer ``ONU Number: working/total`` (C300). Admin
                                     state ``enable``/``disable``; phase ``working``,
                                     ``LOS`` (no light) or ``OffLine`` (disabled).
  ``show gpon onu detail-info ONU``  ``Name:``, ``Type:``, ``Admin state:``,
                                     ``Phase state:``, ``Serial number:``, ``Description:``...
  ``show gpon onu baseinfo [OLT]``   type, auth mode, ``SN:serial``, state per ONU.
  ``show gpon onu by sn SERIAL``     ``SearchResult`` and the ONU interface.
  ``show pon power attenuation ONU`` ``up Rx :-20.331(dbm) Tx:2.370(dbm) 22.701(dB)`` /
                                     ``down Tx :6.570(dbm) Rx:-19.123(dbm) 25.693(dB)``;
                                     ``no signal`` / ``N/A`` when the ONU is not working
                                     (``gpon-onu_1/1/1:1 is not online`` on C320 V2.1.0).
  ``show pon power onu-rx OLT|ONU``  ``gpon-onu_1/1/1:1    -21.368(dbm)`` (``N/A`` offline).
  ``show running-config interface OLT|ONU|VPORT``, ``show onu running config ONU``:
                                     the stored configuration in the device's own syntax
                                     (secrets included, as on the device); a line longer
                                     than 80 columns is cut at column 80 and goes on on the
                                     next line, indented again (as a public C320 report
                                     shows). C600 also: ``show running-config-interface
                                     IFACE`` (the section closed by ``$``).
  ``show system-group``, ``show software``  the firmware (``System Description: C320 Version
                                     V2.1.0 Software, ...`` and the keys after it, as a
                                     public C320 V2.1.0 test fixture quotes them).
  ``write``                          ``Building configuration...`` / ``..[OK]``; counted
                                     in ``state()["saved"]``.
  ``terminal length N``              0 disables paging. ``terminal width N``: accepted on
                                     C300/C600, rejected on C320 (``%Error 20200``).
  ``exit`` (leaves one level; logs out at ``#``), ``end`` (back to ``#``).
exec: ``configure terminal`` -> ``%Info 20272: Enter configuration commands, one per
  line. End with CTRL/Z.``
config (also reachable from every configuration sub-mode, as on the device):
  ``interface OLT``, ``interface ONU`` (the ONU must be registered), ``interface VPORT``
  (C600), ``pon-onu-mng ONU``.
gpon-olt:
  ``onu N type TYPE sn SERIAL``      ``[Successful]``. The ONU leaves the uncfg list (an
                                     ONU not seen on the port is registered but stays in
                                     LOS). Id taken: ``%Code 62391-GPONSRV : The entry is
                                     existed.`` + ``This is a re-create operation.`` (C600:
                                     ``%Error 222391: ...``); serial registered elsewhere:
                                     ``%Code 62392-GPONSRV : The SN has existed.`` (C600
                                     ``%Error 222392``; wording not seen on a real device).
                                     Option ``onu_types`` (list) restricts TYPE.
  ``no onu N``                       ``[Successful]``; removes the ONU and its service
                                     ports; a present ONU re-appears in uncfg. Unknown id:
                                     ``%Code 32310-GPONSRV : The ONU does not exist.``
  ``onu N state {enable|disable}``   suspend form 1. Each suspend form can be switched
                                     off with option ``suspend_forms``; it then answers
                                     ``%Error 20206: Unrecognized command``.
gpon-onu:
  ``name TEXT``, ``description TEXT``, ``sn-bind {enable|disable} [sn]``,
  ``tcont T [name NAME] profile PROFILE``, ``gemport G [name NAME] tcont T [queue Q]``,
  ``gemport G traffic-limit [upstream P] downstream P``,
  ``switchport mode {trunk|hybrid} vport V``, ``switchport vlan VLANS tag vport V``
  (C300), ``service-port S vport V user-vlan U vlan V [svlan SV]`` (C300),
  ``no service-port S``, ``no tcont T``, ``no gemport G``, ``no description``,
  ``no switchport mode vport V`` (C300). A gemport needs its tcont,
  a service needs its gemport, a tcont in use cannot go (``%Code 6233x-GPONSRV : ...``,
  wording not seen on a real device),
  ``shutdown`` / ``no shutdown``    suspend form 2,
  ``admin {enable|disable}``        C600 only (seen on real C600 firmware).
vport (C600): ``service-port S user-vlan U vlan V [svlan SV]``, ``no service-port S``.
onu-mng:
  ``service NAME gemport G [cos C] vlan VLANS``, ``no service NAME``,
  ``vlan port UNI mode tag vlan V [priority P]``, ``vlan port UNI mode transparent``,
  ``vlan port UNI mode hybrid def-vlan V``, ``vlan port UNI vlan VLANS``,
  ``no vlan port UNI mode``,
  ``wan-ip {N|ipv4} mode pppoe username U password P [vlan-profile VP] host H``,
  ``wan-ip {N|ipv4} mode dhcp [vlan-profile VP] host H``,
  ``wan-ip {N|ipv4} mode static ip-profile IPP ip-address A mask M [vlan-profile VP] host H``,
  ``wan-ip {N|ipv4} ping-response ...``, ``no wan-ip N``,
  ``ssid ctrl wifi_0/N name SSID [hide {enable|disable}] [...]``,
  ``ssid auth wpa wifi_0/N {wpa-psk|wpa2-psk|wpa/wpa2-psk} encrypt {aes|tkip|tkip+aes} key KEY``,
  ``ssid auth wep wifi_0/N open-system``, ``ssid {enable|disable} wifi_0/N``
  (``ssid`` is refused when option ``wifi`` is false: old firmware without OMCI WiFi),
  ``wan ...``, ``security-mgmt ...``, ``security-mng ...``, ``tr069-mgmt ...``,
  ``firewall ...``, ``interface eth UNI state {lock|unlock}`` (stored verbatim),
  ``reboot`` (the ONU restarts: offline, working again after ``reboot_seconds``; one
  that is not working is refused, wording not seen on a real device).

Faults (``core.Faults``) answer in ZXAN words: ``reject_pattern`` ->
``%Error 20202: Invalid parameter``; ``busy_pattern`` -> ``%Code
32311-GPONSRV : The system is busy, please try again later.`` (wording not
seen on a real device); ``async_every`` -> a line like ``2026-11-29 10:04:00
%GPONSRV-6-ONU: gpon-onu_1/1/1:1 the ONU's optical power is recovered.``

Errors (the caret line is aligned under the echoed command)::

    %Error 20200: Invalid input detected at '^' marker.   unknown keyword
    %Error 20201: Invalid keyword                          bad choice (mode foo)
    %Error 20202: Invalid parameter                        bad value / no such interface
    %Error 20203: Incomplete command.
    %Error 20204: Ambiguous command found
    %Error 20206: Unrecognized command                     a command word of another mode
                                                           (``onu ...`` at ``#``, ``show tcont``)
``commit`` is rejected (C300 V2.1 has none).

Options (``simulator.start(options=...)``): ``model`` (``C300``/``C320`` or
``C600``/``C650``), ``firmware`` (a family of ``FIRMWARE``: ``zte`` ``v2.1``
(default), ``v2.1_onutype``, ``v2.1_channel``, ``v1.2``; ``zte_c600`` ``v1.2`` (default),
``v1.2_mac``: the layouts of ``show gpon onu state``, ``show pon onu uncfg``
and ``show gpon onu detail-info`` that family prints, whether ``show pon onu
uncfg`` exists, and the pon-onu-mng prompt), ``hostname``, ``pons``,
``gpon_uncfg``, ``pon_uncfg`` (override the family), ``empty_code``,
``suspend_forms`` (subset of ``["state", "shutdown", "admin"]``), ``wifi``,
``onu_types``.  ``v2.1_channel`` is C320 V2.1.0 with the ``Channel`` state table and
``<onu> is not online`` for the attenuation of an ONU that is down.  The layouts follow the real captures of
tests/drivers/captures/zte*/ (tests/simulator/test_zte_sim.py checks it).

State: each ONU dict carries, besides the common keys, ``type``, ``name``,
``admin_state`` (``active``/``deactivated``), ``tconts``, ``gemports``,
``switchport``, ``services``, ``vlan_ports``, ``wan`` (list of dicts with
``index``, ``mode``, ``username``, ``password``, ``vlan_profile``, ``host``...),
``wifi`` (``{"wifi_0/1": {"ssid", "auth", "encrypt", "key", "enabled", "hidden"}}``),
``sn_bind``, ``traffic_limits``, ``mng_extra``. ``service_ports`` entries: ``index`` (simulator-wide), ``pon``,
``onu_id``, ``port_index`` (the ZTE service-port number), ``vport``,
``user_vlan``, ``vlan``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .core import CliSession, Device, DropConnection

# ---------------------------------------------------------------------------
# Grammar: keyword trie with unique-prefix abbreviation
# ---------------------------------------------------------------------------

INFO_CONFIG = "%Info 20272: Enter configuration commands, one per line. End with CTRL/Z.\n"
ERR_INVALID = "%Error 20200: Invalid input detected at '^' marker.\n"
ERR_KEYWORD = "%Error 20201: Invalid keyword\n"
ERR_PARAMETER = "%Error 20202: Invalid parameter\n"
ERR_INCOMPLETE = "%Error 20203: Incomplete command.\n"
ERR_AMBIGUOUS = "%Error 20204: Ambiguous command found\n"
ERR_UNRECOGNIZED = "%Error 20206: Unrecognized command\n"


class CliError(Exception):
    """A command refused by the device; ``text`` is what the device prints."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


@dataclass
class Param:
    """One parameter slot: ``<name:kind[:arg]>``."""

    name: str
    kind: str
    arg: str = ""

    @property
    def key(self):
        return f"<{self.kind}:{self.arg}>"

    def accept(self, token, session):
        """The parsed value, or None when the token does not fit."""
        kind, arg = self.kind, self.arg
        if kind == "int":
            low, high = (int(x) for x in arg.split("-"))
            if token.isdigit() and low <= int(token) <= high:
                return int(token)
            return None
        if kind == "word":
            return token
        if kind == "choice":
            options = arg.split("|")
            if token.lower() in options:
                return token.lower()
            found = [o for o in options if o.startswith(token.lower())]
            return found[0] if len(found) == 1 else None
        if kind == "serial":
            return token.upper() if re.fullmatch(r"[A-Za-z0-9]{4}[0-9A-Fa-f]{8}", token) else None
        if kind == "vlans":
            return token if re.fullmatch(r"\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*", token) else None
        if kind == "ip":
            return token if re.fullmatch(r"(\d{1,3}\.){3}\d{1,3}", token) else None
        if kind == "uni":
            return token.lower() if re.fullmatch(r"(eth|wifi|veip)_\d+/\d+", token, re.IGNORECASE) else None
        if kind == "wifi":
            return token.lower() if re.fullmatch(r"wifi_\d+/\d+", token, re.IGNORECASE) else None
        if kind == "wanidx":
            if token.lower() == "ipv4":
                return 1
            return int(token) if token.isdigit() and 1 <= int(token) <= 8 else None
        if kind in ("olt", "onu", "vport", "iface"):
            return session.parse_interface(token, kind)
        raise ValueError(kind)


@dataclass
class Node:
    keywords: dict = field(default_factory=dict)  # word -> Node
    params: list = field(default_factory=list)  # [(Param, Node)]
    rest: tuple | None = None  # (name, Node): rest of the line
    command: Command | None = None


@dataclass
class Command:
    syntax: str
    handler: str
    modes: tuple
    models: tuple = ()  # empty: every model
    option: str = ""  # device option that must be true


FAILURE_RANK = {"unknown": 0, "parameter": 1, "keyword": 2, "ambiguous": 3, "incomplete": 4}


@dataclass
class Failure:
    index: int
    kind: str  # one of FAILURE_RANK

    def better(self, other):
        """Whether this failure explains the line better: the furthest token wins."""
        if other is None:
            return True
        return (self.index, FAILURE_RANK[self.kind]) > (other.index, FAILURE_RANK[other.kind])


def _parse_syntax(syntax):
    tokens = []
    for word in syntax.split():
        match = re.fullmatch(r"<(\w+):(\w+)(?::(.+))?>", word)
        if match:
            tokens.append(Param(match.group(1), match.group(2), match.group(3) or ""))
        elif word.startswith("<"):
            raise ValueError(word)
        else:
            tokens.append(word)
    return tokens


class Grammar:
    """Per-mode keyword tries; matches a tokenised line like the ZXAN parser does."""

    def __init__(self, commands):
        self.roots: dict[str, Node] = {}
        for command in commands:
            for mode in command.modes:
                self._add(self.roots.setdefault(mode, Node()), command)

    @staticmethod
    def _add(root, command):
        node = root
        for token in _parse_syntax(command.syntax):
            if isinstance(token, str):
                node = node.keywords.setdefault(token, Node())
            elif token.kind == "rest":
                if node.rest is None:
                    node.rest = (token.name, Node())
                node = node.rest[1]
            else:
                for param, child in node.params:
                    if param.key == token.key and param.name == token.name:
                        node = child
                        break
                else:
                    child = Node()
                    node.params.append((token, child))
                    node = child
        if node.command is None:
            node.command = command

    def match(self, tokens, mode, session):
        """(command, values) or (None, Failure)."""
        root = self.roots.get(mode, Node())
        return self._walk(root, tokens, 0, {}, session)

    def _walk(self, node, tokens, i, values, session):
        if i == len(tokens):
            if node.command is not None and session.allowed(node.command):
                return node.command, values
            return None, Failure(i, "incomplete")
        token = tokens[i]
        failure = None
        lowered = token.lower()
        candidates = [w for w in node.keywords if w == lowered]
        if not candidates:
            candidates = [w for w in node.keywords if w.startswith(lowered)]
        candidates = [w for w in candidates if self._reachable(node.keywords[w], session)]
        if len(candidates) == 1:
            found, result = self._walk(node.keywords[candidates[0]], tokens, i + 1, values, session)
            if found:
                return found, result
            failure = result
        elif len(candidates) > 1:
            failure = Failure(i, "ambiguous")
        for param, child in node.params:
            if not self._reachable(child, session):
                continue
            value = param.accept(token, session)
            if value is None:
                candidate = Failure(i, "keyword" if param.kind == "choice" else "parameter")
            else:
                found, candidate = self._walk(child, tokens, i + 1, {**values, param.name: value}, session)
                if found:
                    return found, candidate
            if candidate.better(failure):
                failure = candidate
        if node.rest is not None:
            name, child = node.rest
            if child.command is not None and session.allowed(child.command):
                return child.command, {**values, name: " ".join(tokens[i:])}
        if failure is None:
            failure = Failure(i, "unknown")
        return None, failure

    def _reachable(self, node, session):
        if node.command is not None and session.allowed(node.command):
            return True
        return (
            any(self._reachable(child, session) for child in node.keywords.values())
            or any(self._reachable(child, session) for _, child in node.params)
            or (node.rest is not None and self._reachable(node.rest[1], session))
        )


# ---------------------------------------------------------------------------
# Command table
# ---------------------------------------------------------------------------

ALL = ("exec", "config", "olt", "onu", "vport", "mng")
CONFIGS = ("config", "olt", "onu", "vport", "mng")

COMMANDS = [
    # every mode
    Command("show gpon onu uncfg", "show_gpon_uncfg", ALL, option="gpon_uncfg"),
    Command("show gpon onu uncfg <olt:olt>", "show_gpon_uncfg", ALL, option="gpon_uncfg"),
    Command("show pon onu uncfg", "show_pon_uncfg", ALL, option="pon_uncfg"),
    Command("show pon onu uncfg <olt:olt>", "show_pon_uncfg", ALL, option="pon_uncfg"),
    Command("show gpon onu state", "show_state", ALL),
    Command("show gpon onu state <olt:olt>", "show_state", ALL),
    Command("show gpon onu state <olt:olt> <onu_id:int:1-128>", "show_state", ALL),
    Command("show gpon onu detail-info <onu:onu>", "show_detail", ALL),
    Command("show gpon onu baseinfo", "show_baseinfo", ALL),
    Command("show gpon onu baseinfo <olt:olt>", "show_baseinfo", ALL),
    Command("show gpon onu by sn <serial:serial>", "show_by_sn", ALL),
    Command("show pon power attenuation <onu:onu>", "show_attenuation", ALL),
    Command("show pon power onu-rx <iface:iface>", "show_onu_rx", ALL),
    Command("show running-config interface <iface:iface>", "show_running_interface", ALL),
    Command("show running-config-interface <iface:iface>", "show_running_interface_c600", ALL, models=("C600", "C650")),
    Command("show system-group", "show_system_group", ALL),
    Command("show software", "show_software", ALL),
    Command("show onu running config <onu:onu>", "show_onu_running", ALL),
    Command("terminal length <lines:int:0-512>", "terminal_length", ALL),
    Command("terminal width <columns:int:0-512>", "terminal_width", ALL),
    Command("write", "write", ALL),
    Command("exit", "exit", ALL),
    Command("end", "end", CONFIGS),
    # exec
    Command("configure terminal", "configure", ("exec",)),
    # config and every sub-mode
    Command("interface <iface:iface>", "interface", CONFIGS),
    Command("pon-onu-mng <onu:onu>", "pon_onu_mng", CONFIGS),
    # gpon-olt
    Command("onu <onu_id:int:1-128> type <onu_type:word> sn <serial:serial>", "onu_add", ("olt",)),
    Command("no onu <onu_id:int:1-128>", "onu_delete", ("olt",)),
    Command("onu <onu_id:int:1-128> state <state:choice:enable|disable>", "onu_state", ("olt",)),
    # gpon-onu
    Command("name <text:rest>", "set_name", ("onu",)),
    Command("description <text:rest>", "set_description", ("onu",)),
    Command("sn-bind <state:choice:enable|disable>", "sn_bind", ("onu",)),
    Command("sn-bind <state:choice:enable|disable> sn", "sn_bind", ("onu",)),
    Command("tcont <tcont:int:1-8> profile <profile:word>", "tcont", ("onu",)),
    Command("tcont <tcont:int:1-8> name <name:word> profile <profile:word>", "tcont", ("onu",)),
    Command("gemport <gemport:int:1-32> tcont <tcont:int:1-8>", "gemport", ("onu",)),
    Command("gemport <gemport:int:1-32> tcont <tcont:int:1-8> queue <queue:int:1-8>", "gemport", ("onu",)),
    Command("gemport <gemport:int:1-32> name <name:word> tcont <tcont:int:1-8>", "gemport", ("onu",)),
    Command(
        "gemport <gemport:int:1-32> name <name:word> tcont <tcont:int:1-8> queue <queue:int:1-8>", "gemport", ("onu",)
    ),
    Command("gemport <gemport:int:1-32> name <name:word> unicast tcont <tcont:int:1-8>", "gemport", ("onu",)),
    Command("gemport <gemport:int:1-32> traffic-limit downstream <down:word>", "traffic_limit", ("onu",)),
    Command(
        "gemport <gemport:int:1-32> traffic-limit upstream <up:word> downstream <down:word>", "traffic_limit", ("onu",)
    ),
    Command(
        "switchport mode <mode:choice:trunk|hybrid> vport <vport:int:1-32>",
        "switchport",
        ("onu",),
        models=("C300", "C320"),
    ),
    Command(
        "switchport vlan <vlans:vlans> tag vport <vport:int:1-32>", "switchport_vlan", ("onu",), models=("C300", "C320")
    ),
    Command(
        "service-port <index:int:1-128> vport <vport:int:1-32> user-vlan <user_vlan:int:1-4094> vlan <vlan:int:1-4094>",
        "service_port",
        ("onu",),
        models=("C300", "C320"),
    ),
    Command(
        "service-port <index:int:1-128> vport <vport:int:1-32> user-vlan <user_vlan:int:1-4094> "
        "vlan <vlan:int:1-4094> svlan <svlan:int:1-4094>",
        "service_port",
        ("onu",),
        models=("C300", "C320"),
    ),
    Command("no service-port <index:int:1-128>", "no_service_port", ("onu", "vport")),
    Command("no tcont <tcont:int:1-8>", "no_tcont", ("onu",)),
    Command("no description", "no_description", ("onu",)),
    Command("no switchport mode vport <vport:int:1-32>", "no_switchport", ("onu",), models=("C300", "C320")),
    Command("no gemport <gemport:int:1-32>", "no_gemport", ("onu",)),
    Command("shutdown", "shutdown", ("onu",)),
    Command("no shutdown", "no_shutdown", ("onu",)),
    Command("admin <state:choice:enable|disable>", "admin", ("onu",), models=("C600", "C650")),
    # vport (C600)
    Command(
        "service-port <index:int:1-128> user-vlan <user_vlan:int:1-4094> vlan <vlan:int:1-4094>",
        "service_port",
        ("vport",),
    ),
    Command(
        "service-port <index:int:1-128> user-vlan <user_vlan:int:1-4094> vlan <vlan:int:1-4094> "
        "svlan <svlan:int:1-4094>",
        "service_port",
        ("vport",),
    ),
    # pon-onu-mng
    Command("service <name:word> gemport <gemport:int:1-32> vlan <vlans:vlans>", "mng_service", ("mng",)),
    Command(
        "service <name:word> gemport <gemport:int:1-32> cos <cos:int:0-7> vlan <vlans:vlans>", "mng_service", ("mng",)
    ),
    Command("no service <name:word>", "no_mng_service", ("mng",)),
    Command("reboot", "mng_reboot", ("mng",)),
    Command("vlan port <uni:uni> mode tag vlan <vlan:int:1-4094>", "vlan_port", ("mng",)),
    Command("vlan port <uni:uni> mode tag vlan <vlan:int:1-4094> priority <priority:int:0-7>", "vlan_port", ("mng",)),
    Command("vlan port <uni:uni> mode transparent", "vlan_port", ("mng",)),
    Command("vlan port <uni:uni> mode hybrid def-vlan <vlan:int:1-4094>", "vlan_port", ("mng",)),
    Command("vlan port <uni:uni> vlan <vlans:vlans>", "vlan_port", ("mng",)),
    Command("no vlan port <uni:uni> mode", "no_vlan_port", ("mng",)),
    Command(
        "wan-ip <index:wanidx> mode pppoe username <username:word> password <password:word> host <host:int:1-8>",
        "wan_pppoe",
        ("mng",),
    ),
    Command(
        "wan-ip <index:wanidx> mode pppoe username <username:word> password <password:word> "
        "vlan-profile <vlan_profile:word> host <host:int:1-8>",
        "wan_pppoe",
        ("mng",),
    ),
    Command("wan-ip <index:wanidx> mode dhcp host <host:int:1-8>", "wan_dhcp", ("mng",)),
    Command(
        "wan-ip <index:wanidx> mode dhcp vlan-profile <vlan_profile:word> host <host:int:1-8>", "wan_dhcp", ("mng",)
    ),
    Command(
        "wan-ip <index:wanidx> mode static ip-profile <ip_profile:word> ip-address <address:ip> "
        "mask <mask:ip> host <host:int:1-8>",
        "wan_static",
        ("mng",),
    ),
    Command(
        "wan-ip <index:wanidx> mode static ip-profile <ip_profile:word> ip-address <address:ip> "
        "mask <mask:ip> vlan-profile <vlan_profile:word> host <host:int:1-8>",
        "wan_static",
        ("mng",),
    ),
    Command("wan-ip <index:wanidx> ping-response <text:rest>", "mng_extra", ("mng",)),
    Command("no wan-ip <index:wanidx>", "no_wan", ("mng",)),
    Command("ssid ctrl <wifi:wifi> name <ssid:word>", "ssid_ctrl", ("mng",), option="wifi"),
    Command("ssid ctrl <wifi:wifi> name <ssid:word> <text:rest>", "ssid_ctrl", ("mng",), option="wifi"),
    Command(
        "ssid auth wpa <wifi:wifi> <auth:choice:wpa-psk|wpa2-psk|wpa/wpa2-psk> "
        "encrypt <encrypt:choice:aes|tkip|tkip+aes> key <key:word>",
        "ssid_auth",
        ("mng",),
        option="wifi",
    ),
    Command("ssid auth wep <wifi:wifi> open-system", "ssid_open", ("mng",), option="wifi"),
    Command("ssid <state:choice:enable|disable> <wifi:wifi>", "ssid_state", ("mng",), option="wifi"),
    Command("wan <text:rest>", "mng_extra", ("mng",)),
    Command("security-mgmt <text:rest>", "mng_extra", ("mng",)),
    Command("security-mng <text:rest>", "mng_extra", ("mng",)),
    Command("tr069-mgmt <text:rest>", "mng_extra", ("mng",)),
    Command("firewall <text:rest>", "mng_extra", ("mng",)),
    Command("interface eth <uni:uni> state <state:choice:lock|unlock>", "mng_extra", ("mng",)),
]

GRAMMAR = Grammar(COMMANDS)

EMPTY = "%Code {code}-GPONSRV : No related information to show.\n"
NO_ONU = "%Code 32310-GPONSRV : The ONU does not exist.\n"

TYPE_BY_MODEL = {
    "F660": "ZTE-F660",
    "F670L": "ZTE-F670L",
    "EG8145V5": "EG8145V5",
    "HG8546M": "HG8546M",
    "EG8010Hv6": "EG8010H",
    "HG8245H": "HG8245H",
    "G-140W-C": "ALCL-G140W",
}


#: firmware families (option ``firmware``): where their layouts differ.
#: ``state``: the columns of ``show gpon onu state``; ``pon_uncfg``: the layout
#: of ``show pon onu uncfg`` (None: the command does not exist); ``detail``:
#: the detail-info layout; ``mng_prompt``: whether the pon-onu-mng prompt names
#: the ONU (``ZXAN(gpon-onu-mng 1/1/1:5)#`` on C320 V2.1).
FIRMWARE = {
    "zte": {
        # C300/C320 V2.1.x: both discovery commands (go-api-c320, nms-ztec320)
        "v2.1": {
            "version": "V2.1.0",
            "state": "o7",
            "gpon_uncfg": True,
            "pon_uncfg": "model_sn_pw",
            "detail": "c300",
            "mng_prompt": True,
        },
        # C320 V2.1 answering ``show pon onu uncfg`` as OnuIndex/OnuType/OnuSn/State
        "v2.1_onutype": {
            "version": "V2.1.0",
            "state": "o7",
            "gpon_uncfg": False,
            "pon_uncfg": "onutype",
            "detail": "c300",
            "mng_prompt": True,
        },
        # C320 V2.1.0 as erlanggaalfian/smartolt's fixtures show it: bare indexes with a
        # Channel column in ``show gpon onu state``, and one line for an ONU that is not up
        # in ``show pon power attenuation``
        "v2.1_channel": {
            "version": "V2.1.0",
            "state": "channel",
            "gpon_uncfg": True,
            "pon_uncfg": "model_sn_pw",
            "detail": "c300",
            "mng_prompt": True,
            "attenuation_offline": "not_online",
        },
        # older ZXAN (V1.2.x): only the gpon command, bare indexes with a Channel column
        "v1.2": {
            "version": "V1.2.5",
            "state": "channel",
            "gpon_uncfg": True,
            "pon_uncfg": None,
            "detail": "c300",
            "mng_prompt": False,
        },
    },
    "zte_c600": {
        # C600/C650 V1.2.x (TITAN): the captured C650 detail-info and uncfg layouts
        "v1.2": {
            "version": "V1.2.1",
            "state": "speed",
            "gpon_uncfg": False,
            "pon_uncfg": "model_sn_pw",
            "detail": "c600",
            "mng_prompt": False,
        },
        # C600 printing the ONU's MAC in the uncfg table (OltIndex/Model/MAC/SN)
        "v1.2_mac": {
            "version": "V1.2.1",
            "state": "speed",
            "gpon_uncfg": False,
            "pon_uncfg": "model_mac_sn",
            "detail": "c600",
            "mng_prompt": False,
        },
    },
}


# ---------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------


class ZteDevice(Device):
    """ZTE C300/C320 (``zte``)."""

    platform = "zte"
    default_pons = ("1/1/1", "1/1/2")
    first_onu_id = 1
    max_onu_id = 128
    vendor_mix = ("ZTEG", "HWTC")
    default_model = "C300"
    default_firmware = "v2.1"
    c600 = False

    def setup(self, options):
        self.model = str(options.get("model") or self.default_model).upper()
        self.firmware = str(options.get("firmware") or self.default_firmware).lower()
        if self.firmware not in FIRMWARE[self.platform]:
            raise ValueError(
                f"{self.platform} firmware {self.firmware!r} is not one of {sorted(FIRMWARE[self.platform])}"
            )
        profile = FIRMWARE[self.platform][self.firmware]
        self.profile = profile
        self.hostname = options.get("hostname") or "ZXAN"
        self.gpon_uncfg = bool(options.get("gpon_uncfg", profile["gpon_uncfg"]))
        self.pon_uncfg = bool(options.get("pon_uncfg", profile["pon_uncfg"] is not None))
        self.empty_code = str(options.get("empty_code") or "32310")
        default_forms = ["state", "shutdown"] + (["admin"] if self.c600 else [])
        self.suspend_forms = list(options.get("suspend_forms") or default_forms)
        self.wifi = bool(options.get("wifi", True))
        self.onu_types = options.get("onu_types")

    def platform_state(self):
        return {"model": self.model, "firmware": self.firmware}

    def new_registered_onu(self, pon, onu_id, facts):
        onu = self.add_onu(pon, onu_id, facts)
        self.zte_fields(onu, onu_type_for(facts))
        onu["tconts"]["1"] = {"name": "inet", "profile": "default"}
        onu["gemports"]["1"] = {"name": "inet", "tcont": 1}
        if not self.c600:
            onu["switchport"] = {"mode": "trunk", "vport": 1}
        onu["services"]["inet"] = {"gemport": 1, "vlan": "100", "cos": None}
        self.add_service_port(pon, onu_id, 1, vport=1, user_vlan=100, vlan=100)
        return onu

    # -- ZTE ONU records ------------------------------------------------------
    @staticmethod
    def zte_fields(onu, onu_type):
        onu.setdefault("type", onu_type)
        for key in ("tconts", "gemports", "services", "vlan_ports", "switchport"):
            onu.setdefault(key, {})
        onu.setdefault("name", "")
        onu.setdefault("sn_bind", "")
        onu.setdefault("mng_extra", [])
        onu.setdefault("traffic_limits", {})

    def add_service_port(self, pon, onu_id, port_index, **fields):
        existing = self.find_service_port(pon, onu_id, port_index)
        if existing is not None:
            existing.update(fields)
            return existing
        index = max(self.service_ports, default=-1) + 1
        entry = {"index": index, "pon": pon, "onu_id": onu_id, "port_index": port_index, **fields}
        self.service_ports[index] = entry
        return entry

    def find_service_port(self, pon, onu_id, port_index):
        for entry in self.service_ports.values():
            if (entry["pon"], entry["onu_id"], entry.get("port_index")) == (pon, onu_id, port_index):
                return entry
        return None

    def onu_service_ports(self, pon, onu_id):
        return [e for _, e in sorted(self.service_ports.items()) if (e["pon"], e["onu_id"]) == (pon, onu_id)]

    def delete_onu(self, pon, onu_id):
        for index in [i for i, e in self.service_ports.items() if (e["pon"], e["onu_id"]) == (pon, onu_id)]:
            del self.service_ports[index]
        onu = self.find_onu(pon, onu_id)
        present = not onu["facts"].get("absent")
        return self.remove_onu(pon, onu_id, rediscover=present)


class ZteC600Device(ZteDevice):
    """ZTE C600/C650 (``zte_c600``)."""

    platform = "zte_c600"
    default_model = "C600"
    default_firmware = "v1.2"
    c600 = True


def onu_type_for(facts):
    return TYPE_BY_MODEL.get(facts.get("model", ""), "ZTE-F660")


# ---------------------------------------------------------------------------
# Session
# ---------------------------------------------------------------------------


class ZteSession(CliSession):
    username_prompt = "Username:"
    password_prompt = "Password:"
    login_failed_text = "bad password.\n"
    pager_text = " --More-- "
    pager_erase = "\b" * 10 + " " * 10 + "\b" * 10
    default_scroll = 24

    def __init__(self, device, term, protocol, peer="127.0.0.1"):
        super().__init__(device, term, protocol, peer)
        self.mode = "exec"
        self.pon = None  # gpon-olt / gpon-onu / vport / mng context
        self.onu_id = None
        self.vport = None
        self._current_words = []
        self._indent = 0

    @property
    def banner(self):
        return (
            "\n******************************************************************\n"
            f"  Welcome to ZXAN product {self.device.model} of ZTE Corporation\n"
            "******************************************************************\n\n"
        )

    @property
    def c600(self):
        return self.device.c600

    # -- interface names ----------------------------------------------------
    def olt_name(self, pon):
        return f"gpon_olt-{pon}" if self.c600 else f"gpon-olt_{pon}"

    def onu_name(self, pon, onu_id):
        return f"gpon_onu-{pon}:{onu_id}" if self.c600 else f"gpon-onu_{pon}:{onu_id}"

    def parse_interface(self, token, kind):
        """(kind, pon, onu_id, vport) for a syntactically valid interface name of this model."""
        if self.c600:
            patterns = {
                "olt": r"gpon_olt-(\d+/\d+/\d+)",
                "onu": r"gpon_onu-(\d+/\d+/\d+):(\d+)",
                "vport": r"vport-(\d+/\d+/\d+)\.(\d+):(\d+)",
            }
        else:
            patterns = {"olt": r"gpon-olt_(\d+/\d+/\d+)", "onu": r"gpon-onu_(\d+/\d+/\d+):(\d+)"}
        kinds = [kind] if kind != "iface" else list(patterns)
        for name in kinds:
            pattern = patterns.get(name)
            match = pattern and re.fullmatch(pattern, token, re.IGNORECASE)
            if match:
                groups = match.groups()
                onu_id = int(groups[1]) if len(groups) > 1 else None
                vport = int(groups[2]) if len(groups) > 2 else None
                return (name, groups[0], onu_id, vport)
        return None

    def allowed(self, command):
        if command.models and self.device.model not in command.models:
            return False
        return not command.option or bool(getattr(self.device, command.option))

    # -- CliSession hooks -------------------------------------------------------
    def prompt(self):
        host = self.device.hostname
        if self.mode == "exec":
            return f"{host}#"
        if self.mode == "config":
            return f"{host}(config)#"
        if self.mode == "mng":
            if self.device.profile["mng_prompt"]:
                return f"{host}(gpon-onu-mng {self.pon}:{self.onu_id})#"
            return f"{host}(gpon-onu-mng)#"
        if not self.c600:
            return f"{host}(config-if)#"
        if self.mode == "olt":
            return f"{host}(config-if-gpon_olt-{self.pon})#"
        if self.mode == "onu":
            return f"{host}(config-if-gpon_onu-{self.pon}:{self.onu_id})#"
        return f"{host}(config-if-vport-{self.pon}.{self.onu_id}:{self.vport})#"

    def rejected(self, line):
        return ERR_PARAMETER

    def busy(self, line):
        return "%Code 32311-GPONSRV : The system is busy, please try again later.\n"

    def async_message(self):
        onus = [o for table in self.device.onus.values() for o in table.values()]
        where = self.onu_name(onus[0]["pon"], onus[0]["id"]) if onus else self.olt_name(self.device.pons[0])
        return (
            f"\n2026-11-29 10:{self.answered % 60:02d}:00 %GPONSRV-6-ONU: "
            f"{where} the ONU's optical power is recovered.\n"
        )

    def process(self, line):
        # The echo keeps the operator's indentation; the caret must too.
        self._indent = len(line) - len(line.lstrip())
        return super().process(line)

    def handle(self, line):
        if line.startswith("!"):
            return True
        if "\x1a" in line:  # CTRL/Z, as the configure banner says
            self.mode = "exec"
            return True
        spans = [(m.start(), m.group()) for m in re.finditer(r"\S+", line)]
        tokens = [t for _, t in spans]
        self._current_words = tokens
        command, result = GRAMMAR.match(tokens, self.mode, self)
        if command is None:
            self.write(self.syntax_error(tokens, spans, result))
            return True
        try:
            text = getattr(self, "do_" + command.handler)(**result)
        except CliError as exc:
            self.write(exc.text)
            return True
        if text is False:
            return False
        if text:
            self.out(text)
        return True

    def syntax_error(self, tokens, spans, failure):
        if failure.kind == "incomplete":
            return ERR_INCOMPLETE
        if failure.kind == "ambiguous":
            return ERR_AMBIGUOUS
        if failure.kind == "keyword":
            return ERR_KEYWORD
        if failure.kind == "parameter":
            return ERR_PARAMETER
        if self._known_elsewhere(tokens[failure.index], prefix=failure.index == 0):
            return ERR_UNRECOGNIZED
        column = len(self.prompt()) + self._indent + spans[failure.index][0]
        return " " * column + "^\n" + ERR_INVALID

    def _known_elsewhere(self, word, prefix):
        """A command word of another mode (``show tcont`` gets 20206, not a caret, on a C300)."""
        word = word.lower()
        heads = {c.syntax.split()[0] for c in COMMANDS if self.allowed(c)}
        return any(h == word or (prefix and len(word) > 2 and h.startswith(word)) for h in heads)

    # -- helpers ------------------------------------------------------------
    def changed(self):
        self.device.changed()

    def need_pon(self, pon):
        if pon not in self.device.onus:
            raise CliError(ERR_PARAMETER)
        return pon

    def need_onu(self, iface):
        _, pon, onu_id, _ = iface
        self.need_pon(pon)
        onu = self.device.find_onu(pon, onu_id)
        if onu is None:
            raise CliError(NO_ONU)
        ZteDevice.zte_fields(onu, "ZTE-F660")
        return onu

    def current_onu(self):
        onu = self.device.find_onu(self.pon, self.onu_id)
        if onu is None:
            raise CliError(NO_ONU)
        ZteDevice.zte_fields(onu, "ZTE-F660")
        return onu

    def empty(self):
        return EMPTY.format(code=self.device.empty_code)

    def pons_of(self, olt):
        return [self.need_pon(olt[1])] if olt else list(self.device.pons)

    def onus_of(self, pons):
        return [table[i] for pon in pons for table in [self.device.onus.get(pon, {})] for i in sorted(table)]

    @staticmethod
    def phase(onu):
        if onu["admin_state"] != "active":
            return "OffLine"
        if onu["run_state"] == "online":
            return "working"
        return {"dying_gasp": "DyingGasp", "power_off": "OffLine"}.get(onu.get("down_cause"), "LOS")

    # -- every mode -----------------------------------------------------------
    def _uncfg_groups(self, pons):
        for pon in pons:
            entries = [a for a in self.device.autofind if a["pon"] == pon]
            for number, entry in enumerate(entries, 1):
                yield pon, number, entry

    def do_show_gpon_uncfg(self, olt=None):
        rows = list(self._uncfg_groups(self.pons_of(olt)))
        if not rows:
            return self.empty()
        lines = ["OnuIndex                 Sn                  State", "-" * 69]
        for pon, number, entry in rows:
            lines.append(f"{self.onu_name(pon, number):<25}{entry['serial']:<20}unknown")
        return "\n".join(lines) + "\n"

    def do_show_pon_uncfg(self, olt=None):
        rows = list(self._uncfg_groups(self.pons_of(olt)))
        if not rows:
            return self.empty()
        layout = self.device.profile["pon_uncfg"]
        if layout == "onutype":
            # C320 V2.1 variant (the report; no capture of it in the corpus)
            lines = ["OnuIndex                 OnuType              OnuSn               State", "-" * 77]
            for pon, number, entry in rows:
                model = entry.get("model") or "N/A"
                lines.append(f"{self.onu_name(pon, number):<25}{model:<21}{entry['serial']:<20}unknown")
            return "\n".join(lines) + "\n"
        if layout == "model_mac_sn":
            lines = ["OltIndex            Model              MAC               SN", "-" * 73]
            for pon, _number, entry in rows:
                model = entry.get("model") or "N/A"
                lines.append(f"{self.olt_name(pon):<20}{model:<19}{'N/A':<18}{entry['serial']}")
            return "\n".join(lines) + "\n"
        lines = ["OltIndex            Model                SN                 PW", "-" * (73 if self.c600 else 71)]
        for pon, _number, entry in rows:
            password = entry.get("password") or "N/A"
            model = entry.get("model") or "N/A"
            lines.append(f"{self.olt_name(pon):<20}{model:<21}{entry['serial']:<19}{password}")
        return "\n".join(lines) + "\n"

    def do_show_state(self, olt=None, onu_id=None):
        onus = self.onus_of(self.pons_of(olt))
        if onu_id is not None:
            onus = [o for o in onus if o["id"] == onu_id]
        if not onus:
            return self.empty()
        layout = self.device.profile["state"]
        if layout == "o7":
            lines = ["OnuIndex               Admin State  OMCC State   O7 State     Phase State", "-" * 76]
        elif layout == "speed":
            lines = ["OnuIndex     Admin state  OMCC state  Phase state  Speed mode ", "-" * 63]
        else:
            lines = ["OnuIndex   Admin State  OMCC State  Phase State  Channel", "-" * 62]
        for onu in onus:
            phase = self.phase(onu)
            admin = "enable" if onu["admin_state"] == "active" else "disable"
            omcc = "enable" if phase == "working" else "disable"
            if layout == "o7":
                o7 = "operation" if phase == "working" else "unknown"
                lines.append(f"{self.onu_name(onu['pon'], onu['id']):<23}{admin:<13}{omcc:<13}{o7:<13}{phase}")
            elif layout == "speed":
                lines.append(f"{onu['pon'] + ':' + str(onu['id']):<14}{admin:<13}{omcc:<12}{phase:<13}GPON")
            else:
                index = f"{onu['pon']}:{onu['id']}"
                lines.append(f"{index:<12}{admin:<13}{omcc:<12}{phase:<13}1(GPON)")
        if layout != "speed":
            working = sum(1 for o in onus if self.phase(o) == "working")
            lines.append(f"ONU Number: {working}/{len(onus)}")
        return "\n".join(lines) + "\n"

    def do_show_detail(self, onu):
        record = self.need_onu(onu)
        phase = self.phase(record)
        online = phase == "working"
        admin = "enable" if record["admin_state"] == "active" else "disable"
        c600 = self.device.profile["detail"] == "c600"
        channel = [("Configured speed mode", "auto"), ("Current speed mode", "GPON" if online else "N/A")]
        if not c600:
            channel = [("Configured channel", "auto"), ("Current channel", "1(GPON)" if online else "N/A")]
        fields = [
            ("Name", record.get("name", "")),
            *([("Splitter", "")] if c600 else []),
            ("Type", record.get("type", "")),
            *([] if c600 else [("State", "ready" if online else "offline")]),
            *channel,
            ("Admin state", admin),
            ("Phase state", phase),
            ("Config state", "success" if online else "N/A"),
            ("Authentication mode", "sn"),
            ("SN Bind", "enable with SN check" if record.get("sn_bind") == "enable" else "disable"),
            ("Serial number", record["serial"]),
            ("Password", ""),
            ("Description", record.get("description", "")),
            ("Vport mode", "gemport"),
            ("DBA Mode", "Hybrid"),
            ("ONU Status", admin),
            ("OMCI BW Profile", ""),
            *([("OMCC Encrypt", "disable")] if c600 else []),
            ("Line Profile", "N/A"),
            ("Service Profile", "N/A"),
            ("ONU Distance", f"{1000 + 37 * record['id']}m" if online else "N/A"),
            ("Online Duration", f"{record['id']}h 12m 3s" if online else "0h 0m 0s"),
            ("FEC", "disable" if c600 else "none"),
            ("FEC actual mode", "disable" if c600 else "N/A"),
            ("1PPS+ToD", "disable"),
            ("Auto replace", "disable"),
            ("Multicast encryption", "disable"),
            ("Multicast encryption current state", "N/A"),
        ]
        width = 22 if c600 else 21
        lines = [f"{'ONU interface:':<{width + 2}}{self.onu_name(record['pon'], record['id'])}"]
        lines += [f"  {name + ':':<{width}}{value}" for name, value in fields]
        lines += ["-" * 42, "       Authpass Time          OfflineTime             Cause"]
        history = [
            ("2026-11-28 08:30:00", "2026-11-29 08:25:00", "DyingGasp"),
            ("2026-11-29 08:30:00", "0000-00-00 00:00:00", ""),
        ]
        if not online:
            history = [("2026-11-28 08:30:00", "2026-11-29 08:30:00", "LOSi" if c600 else "LOS")]
        history += [("0000-00-00 00:00:00", "0000-00-00 00:00:00", "")] * (10 - len(history))
        for number, (up, down, cause) in enumerate(history, 1):
            # The Cause column is padded with spaces, even when it is empty.
            lines.append(f"{number:>4}   {up}    {down}     {cause:<10}")
        return "\n".join(lines) + "\n"

    def do_show_baseinfo(self, olt=None):
        onus = self.onus_of(self.pons_of(olt))
        if not onus:
            return self.empty()
        lines = ["OnuIndex          Type          Mode        AuthInfo                State", "-" * 75]
        for onu in onus:
            state = "ready" if self.phase(onu) == "working" else "offline"
            lines.append(
                f"{self.onu_name(onu['pon'], onu['id']):<18}{onu.get('type', ''):<14}{'sn':<12}"
                f"{'SN:' + onu['serial']:<24}{state}"
            )
        return "\n".join(lines) + "\n"

    def do_show_by_sn(self, serial):
        onu = self.device.find_serial(serial)
        if onu is None:
            return self.empty()
        return f"SearchResult\n-----------------\n{self.onu_name(onu['pon'], onu['id'])}\n"

    def do_show_attenuation(self, onu):
        record = self.need_onu(onu)
        head = "           OLT                  ONU              Attenuation\n" + "-" * 74 + "\n"
        if self.phase(record) != "working":
            if self.device.profile.get("attenuation_offline") == "not_online":
                return f"{self.onu_name(record['pon'], record['id'])} is not online\n"
            return (
                head + f" {'up':<8}{'Rx :no signal':<22}{'Tx:N/A':<21}N/A\n\n"
                f" {'down':<8}{'Tx :6.570(dbm)':<22}{'Rx:N/A':<21}N/A\n"
            )
        onu_rx = float(record.get("rx_power", -18.5))
        onu_tx, olt_tx = 2.370, 6.570
        olt_rx = round(onu_rx - 1.2, 3)
        return (
            head + f" {'up':<8}{f'Rx :{olt_rx:.3f}(dbm)':<22}{f'Tx:{onu_tx:.3f}(dbm)':<21}"
            f"{onu_tx - olt_rx:.3f}(dB)\n\n"
            + f" {'down':<8}{f'Tx :{olt_tx:.3f}(dbm)':<22}{f'Rx:{onu_rx:.3f}(dbm)':<21}"
            f"{olt_tx - onu_rx:.3f}(dB)\n"
        )

    def do_show_onu_rx(self, iface):
        kind, pon, _onu_id, _ = iface
        if kind == "onu":
            onus = [self.need_onu(iface)]
        elif kind == "olt":
            onus = self.onus_of([self.need_pon(pon)])
        else:
            raise CliError(ERR_PARAMETER)
        if not onus:
            return self.empty()
        lines = ["Onu                 Rx power", "-" * 36]
        for onu in onus:
            power = f"{float(onu['rx_power']):.3f}(dbm)" if self.phase(onu) == "working" else "N/A"
            lines.append(f"{self.onu_name(onu['pon'], onu['id']):<20}{power}")
        return "\n".join(lines) + "\n"

    def do_show_running_interface(self, iface):
        kind, pon, onu_id, vport = iface
        self.need_pon(pon)
        lines = ["Building configuration...", "!"]
        lines += self._interface_section(iface)
        lines += ["!", "end"]
        return "\n".join(self.wrapped(lines)) + "\n"

    def do_show_running_interface_c600(self, iface):
        """C600 ``show running-config-interface``: the section, closed by ``$`` as the C600 writes them."""
        self.need_pon(iface[1])
        return "\n".join(self.wrapped(self._interface_section(iface) + ["$"])) + "\n"

    def _interface_section(self, iface):
        kind, pon, onu_id, vport = iface
        lines = []
        if kind == "olt":
            lines.append(f"interface {self.olt_name(pon)}")
            for onu in self.onus_of([pon]):
                lines.append(f"  onu {onu['id']} type {onu.get('type', '')} sn {onu['serial']}")
                if onu["admin_state"] != "active" and "state" in self.device.suspend_forms:
                    lines.append(f"  onu {onu['id']} state disable")
        elif kind == "onu":
            lines += self.onu_config(self.need_onu(iface))
        else:
            self.need_onu(("onu", pon, onu_id, None))
            lines.append(f"interface vport-{pon}.{onu_id}:{vport}")
            for entry in self.device.onu_service_ports(pon, onu_id):
                if entry.get("vport") == vport:
                    lines.append(self.service_port_line(entry))
        return lines

    def do_show_system_group(self):
        # The keys and their order of a C320 V2.1.0's answer as erlanggaalfian/smartolt's
        # test_zte_health.py quotes it (its values redacted there); the ObjectId is generic.
        version = self.device.profile["version"]
        return (
            f"System Description: {self.device.model} Version {version} Software, "
            "Copyright (c) by ZTE Corporation Compiled\n"
            "System ObjectId: .1.3.6.1.4.1.3902.1082\n"
            "Started before: 3 days, 4 hours, 5 minutes\n"
            "Contact with: noc@example.net\n"
            f"System name:  {self.device.hostname}\n"
            "Location: lab\n"
        )

    def do_show_software(self):
        version = self.device.profile["version"]
        return f"ZXA10 {self.device.model}\nZTE ZXA10 Software, Version: {version}, Release software\n"

    def service_port_line(self, entry):
        svlan = f" svlan {entry['svlan']}" if entry.get("svlan") else ""
        if self.c600:
            return f"  service-port {entry['port_index']} user-vlan {entry['user_vlan']} vlan {entry['vlan']}{svlan}"
        return (
            f"  service-port {entry['port_index']} vport {entry['vport']} user-vlan {entry['user_vlan']} "
            f"vlan {entry['vlan']}{svlan}"
        )

    def onu_config(self, onu):
        lines = [f"interface {self.onu_name(onu['pon'], onu['id'])}"]
        if onu.get("name"):
            lines.append(f"  name {onu['name']}")
        if onu.get("description"):
            lines.append(f"  description {onu['description']}")
        if onu.get("sn_bind"):
            lines.append(f"  sn-bind {onu['sn_bind']} sn")
        if onu["admin_state"] != "active" and "state" not in self.device.suspend_forms:
            lines.append("  shutdown")
        for tid, tcont in sorted(onu["tconts"].items()):
            name = f" name {tcont['name']}" if tcont.get("name") else ""
            lines.append(f"  tcont {tid}{name} profile {tcont['profile']}")
        for gid, gem in sorted(onu["gemports"].items()):
            name = f" name {gem['name']}" if gem.get("name") else ""
            lines.append(f"  gemport {gid}{name} tcont {gem['tcont']}")
        for gid, limit in sorted(onu.get("traffic_limits", {}).items()):
            up = f" upstream {limit['up']}" if limit.get("up") else ""
            lines.append(f"  gemport {gid} traffic-limit{up} downstream {limit['down']}")
        if onu.get("switchport"):
            lines.append(f"  switchport mode {onu['switchport']['mode']} vport {onu['switchport']['vport']}")
        if not self.c600:
            lines += [self.service_port_line(e) for e in self.device.onu_service_ports(onu["pon"], onu["id"])]
        return lines

    def do_show_onu_running(self, onu):
        record = self.need_onu(onu)
        lines = [f"pon-onu-mng {self.onu_name(record['pon'], record['id'])}"]
        for name, service in record["services"].items():
            cos = f" cos {service['cos']}" if service.get("cos") is not None else ""
            lines.append(f"  service {name} gemport {service['gemport']}{cos} vlan {service['vlan']}")
        for wan in record["wan"]:
            lines.append("  " + wan_line(wan))
        for uni, port in sorted(record["vlan_ports"].items()):
            lines.append(f"  vlan port {uni} {port['spec']}")
        for uni, wifi in sorted(record["wifi"].items()):
            if wifi.get("ssid"):
                hide = " hide enable" if wifi.get("hidden") else ""
                lines.append(f"  ssid ctrl {uni} name {wifi['ssid']}{hide}")
            if wifi.get("auth") == "open-system":
                lines.append(f"  ssid auth wep {uni} open-system")
            elif wifi.get("auth"):
                lines.append(f"  ssid auth wpa {uni} {wifi['auth']} encrypt {wifi['encrypt']} key {wifi['key']}")
            if wifi.get("enabled") is False:
                lines.append(f"  ssid disable {uni}")
        lines += ["  " + extra for extra in record["mng_extra"]]
        lines.append("!")
        return "\n".join(self.wrapped(lines)) + "\n"

    def wrapped(self, lines, width=80):
        """A running configuration as the OLT prints it: a line longer than 80
        columns is cut at column 80, in the middle of a word, and goes on on the
        next line indented as deep as the line it continues (public reports
        show it for a C320's pon-onu-mng lines and a C600's top-level lines)."""
        out = []
        for line in lines:
            indent = line[: len(line) - len(line.lstrip())]
            while len(line) > width:
                out.append(line[:width])
                line = indent + line[width:]
            out.append(line)
        return out

    def do_terminal_length(self, lines):
        self.scroll = lines
        return ""

    def do_terminal_width(self, columns):
        if self.device.model == "C320":
            raise CliError(" " * (len(self.prompt()) + len("terminal ")) + "^\n" + ERR_INVALID)
        return ""

    def do_write(self):
        self.device.saved += 1
        self.changed()
        return "Building configuration...\n..[OK]\n"

    def do_exit(self):
        if self.mode == "exec":
            raise DropConnection()
        self.mode = "config" if self.mode != "config" else "exec"
        return ""

    def do_end(self):
        self.mode = "exec"
        return ""

    # -- exec / config ----------------------------------------------------------
    def do_configure(self):
        self.mode = "config"
        return INFO_CONFIG

    def do_interface(self, iface):
        kind, pon, onu_id, vport = iface
        self.need_pon(pon)
        if kind in ("onu", "vport"):
            self.need_onu(("onu", pon, onu_id, None))
        if kind == "vport" and not 1 <= vport <= 8:
            raise CliError(ERR_PARAMETER)
        self.mode, self.pon, self.onu_id, self.vport = (
            {"olt": "olt", "onu": "onu", "vport": "vport"}[kind],
            pon,
            onu_id,
            vport,
        )
        return ""

    def do_pon_onu_mng(self, onu):
        self.need_onu(onu)
        self.mode, self.pon, self.onu_id = "mng", onu[1], onu[2]
        return ""

    # -- gpon-olt -----------------------------------------------------------------
    def _code(self, number, text):
        if self.c600:
            return f"%Error 222{number}: {text}\n"
        return f"%Code 62{number}-GPONSRV : {text}\n"

    def do_onu_add(self, onu_id, onu_type, serial):
        device = self.device
        if device.onu_types and onu_type not in device.onu_types:
            raise CliError(self._code("308", "The ONU type does not exist."))
        if device.find_onu(self.pon, onu_id) is not None:
            raise CliError(self._code("391", "The entry is existed.\n  This is a re-create operation."))
        if device.find_serial(serial) is not None:
            raise CliError(self._code("392", "The SN has existed."))
        facts = device.take_autofind(serial, self.pon)
        if facts is None:
            facts = {
                "serial": serial,
                "vendor_id": serial[:4],
                "serial_hex": serial[:4].encode().hex().upper() + serial[4:],
                "absent": True,
                "offline": True,
                "rx_power": -40.0,
            }
        onu = device.add_onu(self.pon, onu_id, facts)
        device.zte_fields(onu, onu_type)
        self.changed()
        return "[Successful]\n"

    def do_onu_delete(self, onu_id):
        if self.device.find_onu(self.pon, onu_id) is None:
            raise CliError(NO_ONU)
        self.device.delete_onu(self.pon, onu_id)
        self.changed()
        return "[Successful]\n"

    def do_onu_state(self, onu_id, state):
        self._suspend_form("state")
        onu = self.device.find_onu(self.pon, onu_id)
        if onu is None:
            raise CliError(NO_ONU)
        return self._set_admin(onu, state == "enable")

    def _suspend_form(self, form):
        if form not in self.device.suspend_forms:
            # This firmware lacks the form: the parser does not know it.
            raise CliError(ERR_UNRECOGNIZED)

    def _set_admin(self, onu, enabled):
        onu["admin_state"] = "active" if enabled else "deactivated"
        self.changed()
        return ""

    # -- gpon-onu -------------------------------------------------------------------
    def do_set_name(self, text):
        self.current_onu()["name"] = text
        self.changed()
        return ""

    def do_set_description(self, text):
        self.current_onu()["description"] = text
        self.changed()
        return ""

    def do_sn_bind(self, state):
        self.current_onu()["sn_bind"] = state
        self.changed()
        return ""

    def do_tcont(self, tcont, profile, name=None):
        self.current_onu()["tconts"][str(tcont)] = {"name": name, "profile": profile}
        self.changed()
        return ""

    def do_gemport(self, gemport, tcont, name=None, queue=None):
        onu = self.current_onu()
        if str(tcont) not in onu["tconts"]:
            raise CliError(self._code("330", "The T-CONT does not exist."))
        onu["gemports"][str(gemport)] = {"name": name, "tcont": tcont, "queue": queue}
        self.changed()
        return ""

    def do_traffic_limit(self, gemport, down, up=None):
        onu = self.current_onu()
        if str(gemport) not in onu["gemports"]:
            raise CliError(self._code("331", "The GEM port does not exist."))
        onu["traffic_limits"][str(gemport)] = {"up": up, "down": down}
        self.changed()
        return ""

    def do_switchport(self, mode, vport):
        self.current_onu()["switchport"] = {"mode": mode, "vport": vport}
        self.changed()
        return ""

    def do_switchport_vlan(self, vlans, vport):
        self.current_onu()["switchport"].setdefault("vlans", {})[str(vport)] = vlans
        self.changed()
        return ""

    def do_service_port(self, index, user_vlan, vlan, vport=None, svlan=None):
        onu = self.current_onu()
        if self.mode == "vport":
            vport = self.vport
        elif str(vport) not in {str(g) for g in onu["gemports"]} and not onu.get("switchport"):
            raise CliError(self._code("335", "The vport does not exist."))
        self.device.add_service_port(
            self.pon, self.onu_id, index, vport=vport, user_vlan=user_vlan, vlan=vlan, svlan=svlan
        )
        self.changed()
        return ""

    def do_no_service_port(self, index):
        entry = self.device.find_service_port(self.pon, self.onu_id, index)
        if entry is None:
            raise CliError(self.empty())
        del self.device.service_ports[entry["index"]]
        self.changed()
        return ""

    def do_no_tcont(self, tcont):
        onu = self.current_onu()
        if any(g["tcont"] == tcont for g in onu["gemports"].values()):
            raise CliError(self._code("332", "The T-CONT is in use."))
        if onu["tconts"].pop(str(tcont), None) is None:
            raise CliError(self.empty())
        self.changed()
        return ""

    def do_no_gemport(self, gemport):
        onu = self.current_onu()
        if onu["gemports"].pop(str(gemport), None) is None:
            raise CliError(self.empty())
        onu["traffic_limits"].pop(str(gemport), None)
        self.changed()
        return ""

    def do_no_description(self):
        self.current_onu()["description"] = ""
        self.changed()
        return ""

    def do_no_switchport(self, vport):
        onu = self.current_onu()
        if not onu.get("switchport"):
            raise CliError(self.empty())
        onu["switchport"] = {}
        self.changed()
        return ""

    def do_shutdown(self):
        self._suspend_form("shutdown")
        return self._set_admin(self.current_onu(), False)

    def do_no_shutdown(self):
        self._suspend_form("shutdown")
        return self._set_admin(self.current_onu(), True)

    def do_admin(self, state):
        self._suspend_form("admin")
        return self._set_admin(self.current_onu(), state == "enable")

    # -- pon-onu-mng ------------------------------------------------------------------
    def do_mng_service(self, name, gemport, vlans, cos=None):
        onu = self.current_onu()
        if str(gemport) not in onu["gemports"]:
            raise CliError(self._code("331", "The GEM port does not exist."))
        onu["services"][name] = {"gemport": gemport, "vlan": vlans, "cos": cos}
        self.changed()
        return ""

    def do_mng_reboot(self):
        """The ONU restarts over OMCI (offline, then working again); an ONU that is
        not working cannot be told."""
        onu = self.current_onu()
        if self.phase(onu) != "working":
            raise CliError(self._code("112", "The ONU is not online."))
        self.device.reboot_onu(onu)
        return ""

    def do_no_mng_service(self, name):
        if self.current_onu()["services"].pop(name, None) is None:
            raise CliError(self.empty())
        self.changed()
        return ""

    def do_vlan_port(self, uni, vlan=None, vlans=None, priority=None):
        onu = self.current_onu()
        words = self._current_words
        port = onu["vlan_ports"].setdefault(uni, {})
        port["spec"] = " ".join(words[3:])
        if vlan is not None:
            port["vlan"] = vlan
        if vlans is not None:
            port["vlans"] = vlans
        if priority is not None:
            port["priority"] = priority
        if "mode" in words:
            port["mode"] = words[words.index("mode") + 1].lower()
        self.changed()
        return ""

    def do_no_vlan_port(self, uni):
        if self.current_onu()["vlan_ports"].pop(uni, None) is None:
            raise CliError(self.empty())
        self.changed()
        return ""

    def _set_wan(self, index, **fields):
        onu = self.current_onu()
        onu["wan"] = [w for w in onu["wan"] if w["index"] != index]
        onu["wan"].append({"index": index, **fields})
        onu["wan"].sort(key=lambda w: w["index"])
        self.changed()
        return ""

    def do_wan_pppoe(self, index, username, password, host, vlan_profile=None):
        return self._set_wan(
            index, mode="pppoe", username=username, password=password, vlan_profile=vlan_profile, host=host
        )

    def do_wan_dhcp(self, index, host, vlan_profile=None):
        return self._set_wan(index, mode="dhcp", vlan_profile=vlan_profile, host=host)

    def do_wan_static(self, index, ip_profile, address, mask, host, vlan_profile=None):
        return self._set_wan(
            index,
            mode="static",
            ip_profile=ip_profile,
            address=address,
            mask=mask,
            vlan_profile=vlan_profile,
            host=host,
        )

    def do_no_wan(self, index):
        onu = self.current_onu()
        kept = [w for w in onu["wan"] if w["index"] != index]
        if len(kept) == len(onu["wan"]):
            raise CliError(self.empty())
        onu["wan"] = kept
        self.changed()
        return ""

    def _wifi(self, uni):
        return self.current_onu()["wifi"].setdefault(uni, {"enabled": True})

    def do_ssid_ctrl(self, wifi, ssid, text=None):
        entry = self._wifi(wifi)
        entry["ssid"] = ssid
        options = (text or "").lower().split()
        if "hide" in options[:-1]:
            entry["hidden"] = options[options.index("hide") + 1] == "enable"
        self.changed()
        return ""

    def do_ssid_auth(self, wifi, auth, encrypt, key):
        if not 8 <= len(key) <= 63:
            raise CliError(ERR_PARAMETER)
        self._wifi(wifi).update(auth=auth, encrypt=encrypt, key=key)
        self.changed()
        return ""

    def do_ssid_open(self, wifi):
        self._wifi(wifi).update(auth="open-system", encrypt=None, key=None)
        self.changed()
        return ""

    def do_ssid_state(self, state, wifi):
        self._wifi(wifi)["enabled"] = state == "enable"
        self.changed()
        return ""

    def do_mng_extra(self, **_values):
        self.current_onu()["mng_extra"].append(" ".join(self._current_words))
        self.changed()
        return ""


def wan_line(wan):
    index = wan["index"]
    profile = f" vlan-profile {wan['vlan_profile']}" if wan.get("vlan_profile") else ""
    if wan["mode"] == "pppoe":
        return (
            f"wan-ip {index} mode pppoe username {wan['username']} password {wan['password']}"
            f"{profile} host {wan['host']}"
        )
    if wan["mode"] == "dhcp":
        return f"wan-ip {index} mode dhcp{profile} host {wan['host']}"
    return (
        f"wan-ip {index} mode static ip-profile {wan['ip_profile']} ip-address {wan['address']} "
        f"mask {wan['mask']}{profile} host {wan['host']}"
    )


ZteDevice.session_class = ZteSession
ZteC600Device.session_class = ZteSession
