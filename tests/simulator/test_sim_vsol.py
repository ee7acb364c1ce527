"""V-SOL V1600 dialect: login, enable secret, provisioning state, WAN/WiFi, errors, pager."""

import json
import re
from pathlib import Path

import pytest

from drivers.cli import clean_output


def pon_mode(sh, pon="0/1", secret="en"):
    sh.expect(r"gpon-olt>$")
    sh.cmd("enable", r"Password: $")
    sh.send(secret + "\r\n")
    sh.expect(r"gpon-olt#$")
    sh.cmd("terminal length 0")
    sh.cmd("configure terminal")
    return sh.cmd(f"interface gpon {pon}")


@pytest.fixture
def vsol(start_sim):
    return start_sim(platform="vsol", protocol="telnet", secret="en", onus=4)


def waiting_on(sim, pon="0/1"):
    return [a for a in sim.state()["autofind"] if a["pon"] == pon]


def test_login_banner_and_enable_secret(vsol, shell):
    sh = shell(vsol, username=None)
    banner = sh.expect(r"Login: $")
    assert "Hello, this is gpon olt platform (version 1.00)." in banner
    sh.send("admin\r\n")
    sh.expect(r"Password: $")
    sh.send("pw\r\n")
    sh.expect(r"gpon-olt>$")
    sh.cmd("enable", r"Password: $")
    for attempt in range(3):
        sh.send("wrong\r\n")
        if attempt < 2:
            sh.expect(r"Password: $")
    assert "% Bad passwords, too many failures!" in sh.expect(r"gpon-olt>$")
    sh.cmd("enable", r"Password: $")
    sh.send("en\r\n")
    sh.expect(r"gpon-olt#$")
    assert "% Unknown command." in sh.cmd("terminal width 511")


def test_wrong_password_telnet_closes_after_three(vsol, shell):
    sh = shell(vsol, username=None)
    for _ in range(3):
        sh.expect(r"Login: $")
        sh.send("admin\r\n")
        sh.expect(r"Password: $")
        sh.send("nope\r\n")
    assert sh.closed()
    assert vsol.logins == {"attempted": 3, "succeeded": 0, "failed": 3}


def test_autofind_shapes_and_empty(start_sim, shell):
    for shape, header in (
        ("simple", r"OnuIndex\s+Sn\s+State"),
        ("equipment", r"Index\s+Sn\s+Equipment ID"),
        ("detail", r"OltIndex\s+SN\s+PW\s+LOID\s+Model\s+Ver\s+LOIDPW"),
    ):
        sim = start_sim(platform="vsol", protocol="telnet", secret="en", onus=3, options={"autofind_format": shape})
        sh = shell(sim)
        pon_mode(sh)
        out = sh.cmd("show onu auto-find")
        assert re.search(header, out)
        for entry in waiting_on(sim):
            assert re.search(rf"GPON0/1:\d+\s+{entry['serial']}", out)
        assert "No related information to show" in sh.cmd("interface gpon 0/4") + sh.cmd("show onu auto-find")
    sim = start_sim(platform="vsol", protocol="telnet", secret="en", onus=1, options={"cursor_columns": True})
    sh = shell(sim)
    pon_mode(sh)
    assert re.search(r"GPON0/1:1\x1b\[\d+C[A-Z]{4}[0-9A-F]{8}\x1b\[\d+Cunknow", sh.cmd("show onu auto-find"))


def test_provision_wan_wifi_suspend_remove(vsol, shell):
    entry = waiting_on(vsol)[0]
    sh = shell(vsol)
    pon_mode(sh)
    serial = entry["serial"]
    for line in (
        f"onu add 3 profile default sn {serial}",
        "onu 3 desc CT-0001",
        "onu 3 tcont 1 name INTERNET dba default1",
        "onu 3 gemport 1 tcont 1 gemport_name INTERNET",
        "onu 3 service ser_1 gemport 1 vlan 111",
        "onu 3 service-port 1 gemport 1 uservlan 111 vlan 111 new_cos 0",
        "onu 3 portvlan veip 1 mode tag vlan 111",
    ):
        out = sh.cmd(line)
        assert out.splitlines()[1:-1] == [], out
    number = re.search(r"number is (\d+)", sh.cmd("onu 3 pri wan_adv add route")).group(1)
    for line in (
        f"onu 3 pri wan_adv index {number} route mode internet mtu 1492",
        f"onu 3 pri wan_adv index {number} route ipv4 pppoe proxy disable user u1 pwd s3cret mode auto nat enable",
        f"onu 3 pri wan_adv index {number} vlan tag wan_vlan 111 0",
        f"onu 3 pri wan_adv index {number} bind lan1 lan2 ssid1",
        "onu 3 pri wan_adv commit",
        (
            "onu 3 pri wifi_ssid 1 name WIFI-CLIENTE hide disable auth_mode wpa2psk encrypt_type tkipaes "
            "shared_key k3y12345 rekey_interval 0"
        ),
    ):
        assert sh.cmd(line).splitlines()[1:-1] == []
    state = vsol.state()
    onu = next(o for o in state["onus"]["0/1"] if o["id"] == 3)
    assert serial not in [a["serial"] for a in state["autofind"]]
    assert (onu["admin_state"], onu["run_state"], onu["description"]) == ("active", "online", "CT-0001")
    assert onu["tconts"] == {"1": {"name": "INTERNET", "dba": "default1"}}
    assert onu["portvlan"] == {"veip 1": {"mode": "tag", "vlan": 111}}
    assert onu["wan"] == [
        {
            "index": 1,
            "mode": "route",
            "committed": True,
            "service": "internet",
            "mtu": 1492,
            "ipv4": "pppoe",
            "username": "u1",
            "password": "s3cret",
            "nat": True,
            "vlan": 111,
            "priority": 0,
            "bind": ["lan1", "lan2", "ssid1"],
        }
    ]
    assert onu["wifi"]["1"]["ssid"] == "WIFI-CLIENTE" and onu["wifi"]["1"]["auth_mode"] == "wpa2psk"
    assert state["service_ports"] == [
        {
            "key": "0/1:3:1",
            "index": 1,
            "pon": "0/1",
            "onu_id": 3,
            "gemport": 1,
            "user_vlan": 111,
            "vlan": 111,
            "new_cos": 0,
        }
    ]

    running = sh.cmd("show running-config")
    # The device masks the PPPoE password and the WiFi key in its configuration.
    assert (
        " onu 3 pri wan_adv index 1 route ipv4 pppoe proxy disable user u1 pwd ****** mode auto nat enable\n" in running
    )
    assert "s3cret" not in running and "k3y12345" not in running
    assert " onu 3 service-port 1 gemport 1 uservlan 111 vlan 111 new_cos 0\n" in running
    own = sh.cmd("show running-config onu 3")
    assert "----------onu 3 running-config----------\n" in own
    assert "onu 3 pri wan_adv add route\n" in own and "commit" not in own
    assert "onu 3 gemport 1 tcont 1 gemport_name INTERNET portid 131\n" in own
    # V1.4.8R places the cells with "\r ESC[<n>C" under the header's columns.
    info = sh.cmd("show onu info")
    assert re.search(r"Onuindex   Model {16}Profile {16}Mode {4}AuthInfo {22}\n-{93}\n", info)
    assert "GPON0/1:3\r\x1b[11C" in info and f"\r\x1b[63C{serial}\n\n" in info
    state_table = sh.cmd("show onu state")
    assert "OnuIndex    Admin State    OMCC State    Phase State    Serial Number\n" in state_table
    assert f"GPON0/1:3\r\x1b[12Cenable\r\x1b[27Cenable\r\x1b[41Cworking\r\x1b[56C{serial}\n" in state_table
    assert "pon: 1 total: 1 working: 1\n" in state_table
    assert re.search(r"Rx optical level\(ONU\)      : -\d+\.\d\d\n", sh.cmd("show onu 3 optical_info"))
    assert "% Unknown command." in sh.cmd("show onu 3 optical")
    sh.cmd("onu 3 deactivate")
    assert "\r\x1b[12Cdisable\r\x1b[27Cdisable\r\x1b[41Coffline" in sh.cmd("show onu state 3")
    assert "Unsupport private protocol" in sh.cmd("onu 3 pri wan_adv add route")
    assert "Rx optical level(ONU)      : N/A" in sh.cmd("show onu 3 optical_info")
    sh.cmd("onu 3 activate")
    assert vsol.state()["onus"]["0/1"][0]["admin_state"] == "active"
    sh.cmd("no onu 3")
    state = vsol.state()
    assert state["onus"]["0/1"] == [] and state["service_ports"] == []
    assert serial in [a["serial"] for a in state["autofind"]]
    sh.cmd("exit")
    sh.cmd("exit")
    assert "[OK]" in sh.cmd("write")
    assert vsol.state()["saved"] == 1


def test_errors_and_already_answers(vsol, shell):
    entry = waiting_on(vsol)[0]
    other = waiting_on(vsol, "0/2")[0]
    sh = shell(vsol)
    pon_mode(sh)
    assert sh.cmd("frobnicate").splitlines()[1] == "% Unknown command."
    assert sh.cmd("onu add").splitlines()[1] == "% Command incomplete."
    assert sh.cmd("show onu info 1 2").splitlines()[1] == "% Too many parameters."
    assert "Profile nope is not exist." in sh.cmd(f"onu add 3 profile nope sn {entry['serial']}")
    sh.cmd(f"onu add 3 profile default sn {entry['serial']}")
    assert "Onu 3 already exists." in sh.cmd(f"onu add 3 profile default sn {entry['serial']}")
    assert "SN already exists." in sh.cmd(f"onu add 4 profile default sn {entry['serial']}")
    assert "Onu 9 is not exist." in sh.cmd("onu 9 desc x")
    sh.cmd("onu 3 tcont 1 name INTERNET dba default1")
    assert "Tcont 1 already exists." in sh.cmd("onu 3 tcont 1 name INTERNET dba default1")
    # registered while not plugged in here: offline, so private WAN/WiFi commands are refused
    sh.cmd(f"onu add 5 profile default sn {other['serial']}")
    assert "Unsupport private protocol" in sh.cmd(
        "onu 5 pri wifi_ssid 1 name X hide disable auth_mode open encrypt_type none"
    )
    assert "No related information to show" in sh.cmd("show onu info 77")


def test_pager_syslog_and_faults(start_sim, shell):
    sim = start_sim(platform="vsol", protocol="ssh", secret="en", onus=0, registered=200)
    sh = shell(sim)
    sh.expect(r"gpon-olt>$")
    sh.cmd("enable", r"Password: $")
    sh.send("en\n")
    sh.expect(r"gpon-olt#$")
    sh.cmd("configure terminal")
    sh.cmd("interface gpon 0/1")
    sh.send("show onu info\n")
    sh.expect(r"--More--")
    sh.send(" ")
    sh.expect(r"--More--")
    sh.send("q")
    sh.expect(r"#$")
    sim.faults.async_every = 1
    assert re.search(r"User Login\s+User admin-127\.0\.0\.1-ssh log in\.", sh.cmd("terminal length 0"))
    sim.faults.async_every = 0
    sim.faults.reject_pattern = r"desc"
    assert "% Unknown command." in sh.cmd("onu 1 desc NEW")
    assert sim.state()["onus"]["0/1"][0]["description"] != "NEW"
    sim.faults.reject_pattern = None
    sim.faults.busy_pattern, sim.faults.busy_count = "desc", 1
    assert "busy" in sh.cmd("onu 1 desc NEW")
    sh.cmd("onu 1 desc NEW")
    assert sim.state()["onus"]["0/1"][0]["description"] == "NEW"
    sim.faults.drop_pattern = "deactivate"
    sh.send("onu 1 deactivate\n")
    assert sh.closed()
    assert sim.state()["onus"]["0/1"][0]["admin_state"] == "active"


# ---------------------------------------------------------------------------
# Conformance: the simulator prints what the public captures show
# ---------------------------------------------------------------------------

CAPTURES = sorted((Path(__file__).resolve().parents[1] / "drivers" / "captures" / "vsol").glob("*/*.json"))
INDEX_FORMS = (("gpon", r"GPON\d+/\d+:\d+"), ("slot/frame/port", r"\d+/\d+/\d+:\d+"), ("bare", r"\d+/\d+:\d+"))


def _index_form(cell):
    return next((name for name, pattern in INDEX_FORMS if re.fullmatch(pattern, cell)), None)


def _table_structure(text):
    """Header columns, whether a separator follows, the index form of the rows, the other words."""
    lines = [line.rstrip() for line in text.split("\n") if line.strip()]
    header = re.split(r"\s{2,}", lines[0].strip())
    separator = len(lines) > 1 and bool(re.fullmatch(r"-+", lines[1].strip()))
    body = lines[2:] if separator else lines[1:]
    forms = {_index_form(line.split()[0]) for line in body} - {None}
    words = [line.strip() for line in body if _index_form(line.split()[0]) is None]
    return header, separator, forms, words


def _skeleton(line):
    return re.sub(r"\d+(?:\.\d+)?", "N", " ".join(line.split()))


def _key_shapes(text):
    shapes = {}
    for line in text.split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            shapes[" ".join(name.split())] = _skeleton(value)
    return shapes


def _answer(sh, command):
    lines = sh.cmd(command).split("\n")
    return clean_output("\n".join(lines[1:-1]))


@pytest.mark.parametrize("meta_path", CAPTURES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_simulator_prints_the_structure_of_each_capture(meta_path, start_sim, shell):
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("simulator_profile") is None:
        pytest.skip(meta["simulator_note"])
    capture = meta_path.with_suffix(".txt").read_text(encoding="utf-8")
    command, expected = meta["command"], meta["expected"]
    sim = start_sim(
        platform="vsol",
        protocol="telnet",
        secret="en",
        registered=1,
        options={"firmware": meta["simulator_profile"], "pons": ["0/1", "0/2"]},
    )
    sim.add_autofind(pon="0/1")
    sh = shell(sim)
    # An empty capture is compared with a port that holds nothing.
    pon_mode(sh, pon="0/1" if expected else "0/2")
    answer = _answer(sh, command)
    if command.startswith("show running-config onu"):
        assert {_skeleton(line) for line in capture.split("\n") if line} <= {
            _skeleton(line) for line in answer.split("\n")
        }
    elif "optical" in command:
        captured, printed = _key_shapes(capture), _key_shapes(answer)
        assert {name: printed.get(name) for name in captured} == captured
    else:
        header, separator, forms, words = _table_structure(capture)
        assert _table_structure(answer)[:2] == (header, separator)
        assert _table_structure(answer)[2] == forms
        assert _table_structure(answer)[3] == words
