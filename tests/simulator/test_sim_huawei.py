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
