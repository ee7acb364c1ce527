"""Huawei SmartAX dialect: state changes, dialect errors, pager, prompts, faults."""

import re

HOST = "MA5800-X7"


def config_if(sh):
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("config")
    return sh.cmd("interface gpon 0/1")


def caret(out):
    return next(line for line in out.splitlines() if line.strip() == "^").index("^")


def add_cmd(sn, port=0, onu_id="", line=10, srv=10, desc="CT-0001"):
    ident = f" {onu_id}" if onu_id != "" else ""
    return f'ont add {port}{ident} sn-auth {sn} omci ont-lineprofile-id {line} ont-srvprofile-id {srv} desc "{desc}"'


def test_register_lifecycle_changes_state(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=4)
    waiting = next(a for a in sim.state()["autofind"] if a["pon"] == "0/1/0")
    sh = shell(sim)
    config_if(sh)

    out = sh.cmd(add_cmd(waiting["serial_hex"]))
    assert "Number of ONTs that can be added: 1, success: 1" in out
    assert "PortID :0, ONTID :0" in out
    state = sim.state()
    assert waiting["serial"] not in [a["serial"] for a in state["autofind"]]
    onu = state["onus"]["0/1/0"][0]
    assert (onu["id"], onu["serial"], onu["admin_state"], onu["run_state"]) == (
        0,
        waiting["serial"],
        "active",
        "online",
    )
    assert onu["rx_power"] < -10 and onu["description"] == "CT-0001" and onu["line_profile"] == 10

    assert sh.cmd("ont port native-vlan 0 0 eth 1 vlan 100 priority 0").strip().endswith("#")
    sh.cmd("ont ipconfig 0 0 ip-index 1 pppoe user-account username u1 password s3cret vlan 100 priority 0")
    sh.cmd("ont internet-config 0 0 ip-index 1")
    sh.cmd('ont wifi 0 0 ssid-index 1 ssid "MY WIFI" auth-mode wpa2-psk encrypt-mode aes key k3y12345 hidden disable')
    onu = sim.state()["onus"]["0/1/0"][0]
    assert onu["native_vlan"] == {"eth 1": {"vlan": 100, "priority": 0}}
    assert onu["wan"][0]["mode"] == "pppoe" and onu["wan"][0]["username"] == "u1" and onu["wan"][0]["internet_config"]
    assert onu["wifi"]["1"]["ssid"] == "MY WIFI" and onu["wifi"]["1"]["hidden"] is False

    sh.cmd("ont deactivate 0 0")
    out = sh.cmd("display ont info 0 0", r"\}:\s*$")
    out = sh.cmd("")
    assert re.search(r"Control flag\s+: deactivated", out) and re.search(r"Run state\s+: offline", out)
    assert "ONT is not online" in sh.cmd("display ont optical-info 0 0", r"\}:\s*$") + sh.cmd("")
    sh.cmd("ont activate 0 0")
    sh.cmd("display ont optical-info 0 0", r"\}:\s*$")
    out = sh.cmd("")
    assert re.search(r"Rx optical power\(dBm\)\s+: -\d+\.\d\d", out)

    sh.cmd("quit")
    sh.cmd(
        "service-port 10 vlan 100 gpon 0/1/0 ont 0 gemport 1 multi-service user-vlan 100 tag-transform translate "
        "inbound traffic-table index 10 outbound traffic-table index 10"
    )
    assert sim.state()["service_ports"] == [
        {
            "index": 10,
            "vlan": 100,
            "pon": "0/1/0",
            "onu_id": 0,
            "gemport": 1,
            "user_vlan": 100,
            "tag_transform": "translate",
            "inbound_traffic_table": 10,
            "outbound_traffic_table": 10,
        }
    ]
    sh.cmd("interface gpon 0/1")
    assert "has some service virtual ports" in sh.cmd("ont delete 0 0")
    sh.cmd("quit")
    sh.cmd("undo service-port 10", r"\(y/n\)\[n\]:\s*$")
    sh.cmd("y")
    assert sim.state()["service_ports"] == []
    sh.cmd("interface gpon 0/1")
    assert "Number of ONTs that can be deleted: 1, success: 1" in sh.cmd("ont delete 0 0")
    state = sim.state()
    assert state["onus"]["0/1/0"] == [] and waiting["serial"] in [a["serial"] for a in state["autofind"]]
    sh.cmd("save", r"\}:\s*$")
    sh.cmd("")
    assert sim.state()["saved"] == 1


def test_dialect_errors_and_already_answers(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=2)
    a, b = [x for x in sim.state()["autofind"]]
    sh = shell(sim)
    config_if(sh)
    out = sh.cmd("ont foo 0 0")
    assert caret(out) == len(f"{HOST}(config-if-gpon-0/1)#ont ")
    assert "% Parameter error, the error locates at '^'" in out
    out = sh.cmd("frobnicate 1")
    assert "% Unknown command, the error locates at '^'" in out
    assert caret(out) == len(f"{HOST}(config-if-gpon-0/1)#")
    assert "Failure: The ont-lineprofile does not exist" in sh.cmd(add_cmd(a["serial_hex"], line=77))
    assert "Failure: The ont-srvprofile does not exist" in sh.cmd(add_cmd(a["serial_hex"], srv=77))
    sh.cmd(add_cmd(a["serial_hex"], onu_id=5))
    assert "Failure: SN already exists" in sh.cmd(add_cmd(a["serial_hex"], onu_id=5))
    assert "The ONT ID has already existed" in sh.cmd(add_cmd(b["serial_hex"], onu_id=5))
    # a serial that is not plugged in is accepted (pre-provisioning) but stays offline
    assert "ONTID :0" in sh.cmd(add_cmd("48575443DEADBEEF"))
    assert sim.state()["onus"]["0/1/0"][0]["run_state"] == "offline"
    assert "Failure: The ONT does not exist" in sh.cmd("ont deactivate 0 9")
    assert "Failure: Make configuration repeatedly" in sh.cmd("ont activate 0 5")
    sh.cmd("ont port native-vlan 0 5 eth 1 vlan 100")
    assert "Make configuration repeatedly" in sh.cmd("ont port native-vlan 0 5 eth 1 vlan 100")
    sh.cmd("quit")
    sp = "service-port vlan 100 gpon 0/1/0 ont 5 gemport 1 multi-service user-vlan 100"
    sh.cmd(sp)
    assert "Failure: Service virtual port has existed already" in sh.cmd(sp)
    assert sim.state()["service_ports"][0]["index"] == 0
    assert "Failure: No service virtual port can be operated" in sh.cmd("undo service-port 99")
    assert "Failure: This board does not exist" in sh.cmd("interface gpon 0/9")


def test_autofind_pages_and_both_firmware_shapes(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="ssh", onus=5)
    sh = shell(sim)
    config_if(sh)
    sh.cmd("quit")
    sh.send("display ont autofind all\n")
    first = sh.expect(re.escape("---- More ( Press 'Q' to break ) ----"))
    assert "ONT NNI type" in first and "Multi channel" in first or "Ont SN" in first
    rest, pages = "", 1
    while not rest.rstrip().endswith("#"):
        sh.send(" ")
        rest = sh.expect(r"(#\s*$|" + re.escape("---- More ( Press 'Q' to break ) ----") + ")")
        pages += 1
    assert pages == 3  # 87 lines at the default 40 lines per page
    assert "The number of GPON autofind ONT is 5" in rest
    sh.cmd("scroll 512")
    out = sh.cmd("display ont autofind all")
    assert "More" not in out and out.count("Ont SN") == 5 and "VendorID" in out
    sh.cmd("scroll 10")
    sh.send("display ont autofind all\n")
    sh.expect(re.escape("---- More ( Press 'Q' to break ) ----"))
    sh.send("q")
    assert "The number of GPON" not in sh.expect(r"#\s*$")

    old = start_sim(platform="huawei", protocol="telnet", onus=1, options={"firmware": "ma5683t", "scroll": 512})
    sh = shell(old)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("config")
    out = sh.cmd("display ont autofind all")
    assert "VenderID" in out and "ONT NNI type" not in out and "Multi channel" not in out
    # The older block prints the 16-hex serial alone (the layout of a 2016 session log).
    assert re.search(r"Ont SN\s+: [0-9A-F]{16}\s*$", out, re.MULTILINE)
    sh.cmd("interface gpon 0/1")
    assert "% Unknown command" in sh.cmd("ont wifi 0 0 ssid-index 1 ssid X auth-mode open")


def test_empty_autofind_and_summary(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=0, registered=3)
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("config")
    assert "Failure: The automatically found ONTs do not exist" in sh.cmd("display ont autofind all")
    out = sh.cmd("display ont info summary 0/1/0")
    assert "the total of ONTs are: 1, online: 1" in out
    assert len(sim.state()["service_ports"]) == 3


def test_faults(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=2)
    sn = sim.state()["autofind"][0]["serial_hex"]
    sh = shell(sim)
    config_if(sh)
    sim.faults.reject_pattern = r"^ont add"
    assert "% Parameter error" in sh.cmd(add_cmd(sn))
    assert sim.state()["onus"]["0/1/0"] == []
    sim.faults.reject_pattern = None
    sim.faults.busy_pattern, sim.faults.busy_count = r"^ont add", 2
    assert "System is busy" in sh.cmd(add_cmd(sn))
    assert "System is busy" in sh.cmd(add_cmd(sn))
    assert "success: 1" in sh.cmd(add_cmd(sn))
    sim.faults.async_every = 1
    assert "--- END" in sh.cmd("display ont info 0 all")
    sim.faults.async_every = 0
    sim.faults.drop_after_commands = 0
    sh.send("display ont info 0 all\n")
    assert sh.closed()
    assert sim.commands[-1] == "display ont info 0 all"


def test_logout_and_wrong_password(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet")
    raw = shell(sim, username=None)
    for _ in range(3):
        raw.expect(r">>User name:$")
        raw.send("admin\r\n")
        raw.expect(r">>User password:$")
        raw.send("nope\r\n")
    assert raw.closed()
    assert sim.logins == {"attempted": 3, "succeeded": 0, "failed": 3}
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("quit", r"\(y/n\)\[n\]:$")
    sh.send("y\r\n")
    assert sh.closed()


def test_profile_names_and_profiles_mode(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=1)
    sn = sim.state()["autofind"][0]["serial_hex"]
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("config")
    assert sh.cmd("ont-lineprofile gpon profile-id 200 profile-name FTTH").endswith("(config-gpon-lineprofile-200)#")
    sh.cmd("tcont 1 dba-profile-id 30")
    sh.cmd("gem add 1 eth tcont 1 encrypt on")
    assert "Make configuration repeatedly" in sh.cmd("tcont 1 dba-profile-id 30")
    sh.cmd("commit")
    sh.cmd("quit")
    assert "FTTH" in sh.cmd("display ont-lineprofile gpon all")
    sh.cmd("interface gpon 0/1")
    out = sh.cmd(f"ont add 0 3 sn-auth {sn} omci ont-lineprofile-name FTTH ont-srvprofile-name srv-profile_10 desc x")
    assert "PortID :0, ONTID :3" in out
    onu = sim.state()["onus"]["0/1/0"][0]
    assert (onu["line_profile"], onu["service_profile"], onu["description"]) == (200, 10, "x")
    assert sim.state()["line_profiles"]["200"]["lines"] == [
        "tcont 1 dba-profile-id 30",
        "gem add 1 eth tcont 1 encrypt on",
    ]
    sh.cmd("quit")
    sh.cmd("return")
    sh.send("quit\n")
    sh.expect(r"\(y/n\)\[n\]:$")
    sh.send("n\n")
    assert sh.expect(r"#\s*$")


def test_abbreviated_keywords_only_when_unambiguous(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=1, registered=1, options={"scroll": 512})
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("en")
    sh.cmd("conf")
    assert "The number of GPON autofind ONT is 1" in sh.cmd("dis ont autofind all")
    sh.cmd("int gpon 0/1")
    # "de" could be delete or deactivate: refused, nothing changes
    assert "% Parameter error" in sh.cmd("ont de 0 0")
    assert sim.state()["onus"]["0/1/0"][0]["admin_state"] == "active"


# -- conformance: the simulator answers each captured command in the capture's layout ------------
#
# For every real capture in tests/drivers/captures/huawei/ the simulator is
# started in the firmware profile of the capture's family, given what the
# command lists (ONTs at the capture's addresses, a service port, a WAN, an
# SSID), and asked the same command in the same mode.  Its answer must have the
# capture's structure: the same table header lines, only keys the real device
# prints, separators, and the real words for an empty result.  The check reads
# the text itself, not through the driver (the simulator shares nothing with it).

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent / "drivers" / "captures" / "huawei"
SEPARATOR = re.compile(r"^\s*-+(?:\s+-+)*\s*$")
#: the first words of the table headers the captures hold
HEADER = re.compile(r"^\s*(F/S/P\s{2,}ONT|ONT\s+Rx power|ONT\s+Run|ONT\s{2,}SN|INDEX VLAN)")
KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 ()/.\-]*?)\s*:")
#: what a command lists that only certain captures show
EMPTY_WORDS = re.compile(r"Failure: .*|The required ONT does not exist")


def _profile(firmware):
    """The simulator profile of a capture's firmware family."""
    if "V100R018" in firmware:
        return "ma5800_v100r018", True
    if "V800R015" in firmware:
        return "ma5608t_v800r015", True
    if "MA5603T" in firmware:
        return "ma5683t_v800r017", False
    return "ma5800_v100r019", False


def _output_of(text, command):
    """Lines after the command's echo (or all), without comments, prompts and the 'Command:' echo."""
    lines = text.replace("\r\n", "\n").split("\n")
    words = command.split()
    for number, line in enumerate(lines):
        if line.split()[-len(words) :] == words and ("#" in line or line.startswith(" ")):
            lines = lines[number + 1 :]
            break
    return [
        line
        for line in lines
        if line.strip()
        and not line.lstrip().startswith("#")
        and not re.match(r"^\s*Command:\s*$", line)
        and not re.match(r"^\S+(\([^)]*\))?[#>]", line)
        and line.split() != words
    ]


def _shape(lines):
    headers = [" ".join(line.split()) for line in lines if HEADER.match(line)]
    keys = {" ".join(m.group(1).split()) for line in lines if (m := KEY.match(line)) and not HEADER.match(line)}
    empty = [" ".join(line.split()) for line in lines if EMPTY_WORDS.search(line)]
    separators = sum(bool(SEPARATOR.match(line)) for line in lines)
    return headers, keys, empty, separators


def _addresses(meta):
    """(pon, onu ids) the command lists, from what the capture shows."""
    expected, command = meta["expected"], meta["command"]
    pons = {}
    interface = next((m.split()[-1] for m in meta["mode"] if m.startswith("interface gpon")), None)
    for item in expected:
        pon = item.get("pon") or (f"{interface}/{command.split()[3]}" if interface else "0/1/0")
        pons.setdefault(pon, set()).add(item.get("onu_id") or 0)
    if not pons:
        numbers = re.findall(r"\d+/\d+/\d+|\d+/\d+ \d+", command)
        pon = (
            numbers[0].replace(" ", "/") if numbers else (f"{interface}/{command.split()[3]}" if interface else "0/1/0")
        )
        pons[pon] = {int(command.split()[-1]) if command.split()[-1].isdigit() else 0}
    return pons


def _prepare(sim, meta):
    device = sim.device
    if not meta["expected"]:
        return
    with device.lock:
        if meta["command"].startswith("display ont autofind"):
            for item in meta["expected"]:
                device.add_autofind(pon=item["pon"])
            return
        for pon, ids in _addresses(meta).items():
            for onu_id in sorted(ids)[:3]:
                facts = device.next_facts()
                by_sn = re.search(r"by-sn (\S+)", meta["command"])
                if by_sn:
                    serial = by_sn.group(1).upper()
                    facts.update(serial=serial, serial_hex=serial[:4].encode().hex().upper() + serial[4:])
                facts["pon"] = pon
                onu = device.new_registered_onu(pon, onu_id, facts)
                onu["wan"].append(
                    {
                        "ip_index": 1,
                        "mode": "pppoe",
                        "username": "u",
                        "password": "p",
                        "vlan": 100,
                        "priority": 0,
                        "internet_config": True,
                        "wan_profile": 0,
                    }
                )
                onu["wifi"]["1"] = {
                    "ssid": "Cliente",
                    "auth_mode": "wpa2-psk",
                    "encrypt_mode": "aes",
                    "key": "k",
                    "hidden": False,
                }
        device.changed()


CASES = sorted(CORPUS.glob("*/*.json"))


@pytest.mark.parametrize("meta_path", CASES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_simulator_answers_in_the_capture_layout(meta_path, start_sim, shell):
    meta = json.loads(meta_path.read_text())
    profile, same_family = _profile(meta["firmware"])
    pons = sorted({pon for pon in _addresses(meta)} | {"0/1/0"})
    sim = start_sim(
        platform="huawei",
        protocol="telnet",
        onus=0,
        options={
            "firmware": profile,
            "pons": pons,
            "scroll": 512,
            "completion_prompts": "never",
            "cursor_escapes": False,
        },
    )
    _prepare(sim, meta)
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    for mode in meta["mode"]:
        sh.cmd(mode)
    answer = sh.cmd(meta["command"])
    real = _shape(_output_of(meta_path.with_suffix(".txt").read_text(), meta["command"]))
    simulated = _shape(_output_of(answer, meta["command"]))
    headers, keys, empty, separators = real
    if empty and not meta["expected"]:
        assert simulated[2] == empty, answer
        return
    assert simulated[3] and separators, answer
    if same_family:
        assert set(headers) <= set(simulated[0]), answer
    else:
        assert set(headers) & set(simulated[0]) or not headers, answer
    allowed = keys | _keys_of_command(meta_path.parent) | LAYOUT_ONLY.get(meta_path.parent.name, set())
    assert simulated[1] <= allowed, sorted(simulated[1] - allowed)


#: keys seen in public output whose licence does not allow copying it into the
#: corpus (the layout was learned from it, not the text): MA5800 auto-find in
#: conext-noc/oltOperations helpers/constants/regext_test_cases.py
LAYOUT_ONLY = {"display_ont_autofind_all": {"ONT NNI type"}}


def _keys_of_command(folder):
    """Keys any capture of this command prints (firmware differ in which)."""
    keys = set()
    for other in folder.glob("*.json"):
        command = json.loads(other.read_text())["command"]
        keys |= _shape(_output_of(other.with_suffix(".txt").read_text(), command))[1]
    return keys
