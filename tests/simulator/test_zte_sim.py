"""The ZTE C300/C320 and C600/C650 simulator dialects, driven by the real Netmiko
zte_zxros / zte_zxros_telnet classes over real sockets (no driver code involved)."""

import json
import re
import socket
import time
from pathlib import Path

import paramiko
import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

import simulator

PASSWORD = "s3cret-pw"


def connect(sim, protocol=None):
    device_type = "zte_zxros" if (protocol or sim.protocol) == "ssh" else "zte_zxros_telnet"
    return ConnectHandler(
        device_type=device_type, host=sim.host, port=sim.port, username="admin", password=PASSWORD, fast_cli=True
    )


def names(platform):
    if platform == "zte":
        return {"olt": "gpon-olt_1/1/1", "onu": "gpon-onu_1/1/1:{}", "uncfg": "show gpon onu uncfg"}
    return {"olt": "gpon_olt-1/1/1", "onu": "gpon_onu-1/1/1:{}", "uncfg": "show pon onu uncfg"}


@pytest.fixture
def c300():
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, onus=2, registered=1, options={"pons": ["1/1/1"]}
    ) as sim:
        yield sim


@pytest.fixture
def c600():
    with simulator.start(
        platform="zte_c600", protocol="ssh", password=PASSWORD, onus=2, registered=1, options={"pons": ["1/1/1"]}
    ) as sim:
        yield sim


# ---------------------------------------------------------------------------
# Login and discovery over both transports
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["zte", "zte_c600"])
@pytest.mark.parametrize("protocol", ["ssh", "telnet"])
def test_netmiko_logs_in_and_lists_uncfg(platform, protocol):
    with simulator.start(
        platform=platform, protocol=protocol, password=PASSWORD, onus=3, options={"pons": ["1/1/1", "1/1/2"]}
    ) as sim:
        conn = connect(sim)
        try:
            assert conn.find_prompt() == "ZXAN#"
            output = conn.send_command(names(platform)["uncfg"])
        finally:
            conn.disconnect()
        waiting = sim.state()["autofind"]
        assert len(waiting) == 3
        for entry in waiting:
            assert entry["serial"] in output
        if platform == "zte":
            assert output.splitlines()[0].split() == ["OnuIndex", "Sn", "State"]
            assert re.search(r"^gpon-onu_1/1/2:1\s+\w{12}\s+unknown$", output, re.MULTILINE)
        else:
            assert output.splitlines()[0].split() == ["OltIndex", "Model", "SN", "PW"]
            assert re.search(r"^gpon_olt-1/1/2\s+\S+\s+\w{12}\s+N/A$", output, re.MULTILINE)
        # Netmiko's session preparation turned the pager off, and nothing else.
        assert sim.commands[0] == "terminal length 0"
        assert "terminal width 511" not in sim.commands
        assert sim.logins["succeeded"] == 1


def test_empty_uncfg_prints_the_gponsrv_code():
    with simulator.start(platform="zte", protocol="ssh", password=PASSWORD, onus=0) as sim:
        conn = connect(sim)
        try:
            assert (
                conn.send_command("show gpon onu uncfg").strip()
                == "%Code 32310-GPONSRV : No related information to show."
            )
            assert "No related information" in conn.send_command("show gpon onu state gpon-olt_1/1/1")
        finally:
            conn.disconnect()


def test_newer_c300_firmware_option_adds_show_pon_onu_uncfg():
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, onus=1, options={"pons": ["1/1/3"], "pon_uncfg": True}
    ) as sim:
        conn = connect(sim)
        try:
            output = conn.send_command("show pon onu uncfg")
        finally:
            conn.disconnect()
        serial = sim.state()["autofind"][0]["serial"]
        assert re.search(rf"^gpon-olt_1/1/3\s+\S+\s+{serial}\s+N/A$", output, re.MULTILINE)


def test_wrong_password_telnet_says_bad_password():
    with simulator.start(platform="zte", protocol="telnet", password=PASSWORD) as sim:
        with socket.create_connection((sim.host, sim.port), timeout=5) as sock:
            seen = read_until(sock, b"Username:")
            assert b"ZXAN" in seen
            sock.sendall(b"admin\r\n")
            read_until(sock, b"Password:")
            sock.sendall(b"wrong\r\n")
            assert b"bad password." in read_until(sock, b"Username:")
        assert sim.logins["failed"] == 1 and sim.logins["succeeded"] == 0
        assert sim.commands == []


def test_wrong_password_ssh_is_refused():
    with simulator.start(platform="zte_c600", protocol="ssh", password=PASSWORD) as sim:
        with pytest.raises(NetmikoAuthenticationException):
            ConnectHandler(device_type="zte_zxros", host=sim.host, port=sim.port, username="admin", password="wrong")
        assert sim.logins["failed"] >= 1


# ---------------------------------------------------------------------------
# Provisioning, suspend, remove: state follows the commands
# ---------------------------------------------------------------------------


def test_c300_provisioning_block_changes_state(c300):
    serial = c300.state()["autofind"][0]["serial"]
    conn = connect(c300)
    try:
        state_before = conn.send_command("show gpon onu state gpon-olt_1/1/1")
        assert re.search(r"^gpon-onu_1/1/1:1\s+enable\s+enable\s+operation\s+working$", state_before, re.MULTILINE)
        assert "ONU Number: 1/1" in state_before
        output = conn.send_config_set(
            [
                "interface gpon-olt_1/1/1",
                f"onu 2 type ZTE-F660 sn {serial}",
                "exit",
                "interface gpon-onu_1/1/1:2",
                "name CT-0001",
                "tcont 1 name inet profile 100M",
                "gemport 1 name inet tcont 1",
                "switchport mode trunk vport 1",
                "service-port 1 vport 1 user-vlan 100 vlan 100",
                "exit",
                "pon-onu-mng gpon-onu_1/1/1:2",
                "service 1 gemport 1 vlan 100",
                "wan-ip 1 mode pppoe username USER password PASS123 vlan-profile PPPoE host 1",
                "ssid ctrl wifi_0/1 name MYWIFI",
                "ssid auth wpa wifi_0/1 wpa2-psk encrypt aes key SECRET123",
            ]
        )
        assert "Successful" in output
        assert "Error" not in output
        # C320 V2.1 names the ONU in the pon-onu-mng prompt
        assert "(gpon-onu-mng 1/1/1:2)#" in output and "(config-if)#" in output
        conn.save_config()
        uncfg = conn.send_command("show gpon onu uncfg")
        running = conn.send_command("show onu running config gpon-onu_1/1/1:2")
        interface = conn.send_command("show running-config interface gpon-onu_1/1/1:2")
    finally:
        conn.disconnect()
    assert serial not in uncfg
    state = c300.state()
    assert serial not in [a["serial"] for a in state["autofind"]]
    onu = state["onus"]["1/1/1"][1]
    assert (onu["id"], onu["serial"], onu["type"], onu["name"]) == (2, serial, "ZTE-F660", "CT-0001")
    assert onu["tconts"] == {"1": {"name": "inet", "profile": "100M"}}
    assert onu["gemports"]["1"]["tcont"] == 1
    assert onu["services"] == {"1": {"gemport": 1, "vlan": "100", "cos": None}}
    assert onu["wan"] == [
        {"index": 1, "mode": "pppoe", "username": "USER", "password": "PASS123", "vlan_profile": "PPPoE", "host": 1}
    ]
    assert onu["wifi"]["wifi_0/1"] == {
        "enabled": True,
        "ssid": "MYWIFI",
        "auth": "wpa2-psk",
        "encrypt": "aes",
        "key": "SECRET123",
    }
    ports = [p for p in state["service_ports"] if p["onu_id"] == 2]
    assert [(p["port_index"], p["vport"], p["user_vlan"], p["vlan"]) for p in ports] == [(1, 1, 100, 100)]
    assert state["saved"] == 1
    assert "wan-ip 1 mode pppoe username USER password PASS123 vlan-profile PPPoE host 1" in running
    assert "service-port 1 vport 1 user-vlan 100 vlan 100" in interface


def test_c600_provisioning_block_changes_state(c600):
    serial = c600.state()["autofind"][0]["serial"]
    conn = connect(c600)
    try:
        output = conn.send_config_set(
            [
                "interface gpon_olt-1/1/1",
                f"onu 3 type ZTE-F670L sn {serial}",
                "exit",
                "interface gpon_onu-1/1/1:3",
                "tcont 1 profile 100M",
                "gemport 1 name inet tcont 1",
                "exit",
                "interface vport-1/1/1.3:1",
                "service-port 1 user-vlan 200 vlan 200",
                "exit",
                "pon-onu-mng gpon_onu-1/1/1:3",
                "service 1 gemport 1 vlan 200",
                "vlan port eth_0/1 mode tag vlan 200",
                "wan-ip 1 mode dhcp vlan-profile INET host 1",
            ]
        )
        state_table = conn.send_command("show gpon onu state gpon_olt-1/1/1")
    finally:
        conn.disconnect()
    assert "Successful" in output and "Error" not in output
    for prompt in ("(config-if-gpon_olt-1/1/1)#", "(config-if-gpon_onu-1/1/1:3)#", "(config-if-vport-1/1/1.3:1)#"):
        assert prompt in output
    assert re.search(r"^1/1/1:3\s+enable\s+enable\s+working", state_table, re.MULTILINE)
    onu = c600.state()["onus"]["1/1/1"][1]
    assert onu["id"] == 3 and onu["type"] == "ZTE-F670L"
    assert onu["vlan_ports"]["eth_0/1"]["vlan"] == 200
    assert onu["wan"] == [{"index": 1, "mode": "dhcp", "vlan_profile": "INET", "host": 1}]
    ports = [p for p in c600.state()["service_ports"] if p["onu_id"] == 3]
    assert [(p["port_index"], p["vport"], p["user_vlan"], p["vlan"]) for p in ports] == [(1, 1, 200, 200)]


def test_static_wan_and_wifi_state_changes(c300):
    conn = connect(c300)
    try:
        output = conn.send_config_set(
            [
                "pon-onu-mng gpon-onu_1/1/1:1",
                "wan-ip 2 mode static ip-profile STATIC ip-address 10.0.0.2 mask 255.255.255.0 vlan-profile V host 2",
                "ssid disable wifi_0/2",
                "ssid ctrl wifi_0/2 name GUEST hide enable",
            ]
        )
    finally:
        conn.disconnect()
    assert "Error" not in output
    onu = c300.state()["onus"]["1/1/1"][0]
    assert onu["wan"] == [
        {
            "index": 2,
            "mode": "static",
            "ip_profile": "STATIC",
            "address": "10.0.0.2",
            "mask": "255.255.255.0",
            "vlan_profile": "V",
            "host": 2,
        }
    ]
    assert onu["wifi"]["wifi_0/2"] == {"enabled": False, "ssid": "GUEST", "hidden": True}


@pytest.mark.parametrize("platform", ["zte", "zte_c600"])
def test_suspend_and_resume_both_forms(platform):
    n = names(platform)
    with simulator.start(
        platform=platform, protocol="ssh", password=PASSWORD, registered=1, options={"pons": ["1/1/1"]}
    ) as sim:
        conn = connect(sim)

        def run(command):
            return conn.send_command(command, expect_string=r"ZXAN\S*#")

        def admin_state():
            return sim.state()["onus"]["1/1/1"][0]["admin_state"]

        try:
            conn.config_mode()
            run(f"interface {n['olt']}")
            run("onu 1 state disable")
            assert admin_state() == "deactivated"
            table = run(f"show gpon onu state {n['olt']}")
            assert re.search(
                r"^(?:gpon-onu_)?1/1/1:1\s+disable\s+disable\s+(?:unknown\s+)?OffLine", table, re.MULTILINE
            )
            detail = run(f"show gpon onu detail-info {n['onu'].format(1)}")
            assert re.search(r"^\s*Admin state:\s+disable$", detail, re.MULTILINE)
            assert re.search(r"^\s*Phase state:\s+OffLine$", detail, re.MULTILINE)
            run("onu 1 state enable")
            assert admin_state() == "active"

            run(f"interface {n['onu'].format(1)}")
            run("shutdown")
            assert admin_state() == "deactivated"
            run("no shutdown")
            assert admin_state() == "active"
            detail = run(f"show gpon onu detail-info {n['onu'].format(1)}")
            assert re.search(r"^\s*Phase state:\s+working$", detail, re.MULTILINE)
        finally:
            conn.disconnect()


def test_suspend_form_can_be_limited_by_option():
    with simulator.start(
        platform="zte",
        protocol="ssh",
        password=PASSWORD,
        registered=1,
        options={"pons": ["1/1/1"], "suspend_forms": ["shutdown"]},
    ) as sim:
        conn = connect(sim)
        try:
            output = conn.send_config_set(["interface gpon-olt_1/1/1", "onu 1 state disable"])
        finally:
            conn.disconnect()
        assert "%Error 20206: Unrecognized command" in output
        assert sim.state()["onus"]["1/1/1"][0]["admin_state"] == "active"


def test_remove_onu_returns_it_to_uncfg_and_drops_service_ports(c300):
    registered = c300.state()["onus"]["1/1/1"][0]["serial"]
    conn = connect(c300)
    try:
        output = conn.send_config_set(["interface gpon-olt_1/1/1", "no onu 1", "no onu 1"])
        uncfg = conn.send_command("show gpon onu uncfg")
    finally:
        conn.disconnect()
    assert output.count("%Code 32310-GPONSRV : The ONU does not exist.") == 1
    assert registered in uncfg
    state = c300.state()
    assert state["onus"]["1/1/1"] == []
    assert state["service_ports"] == []
    assert registered in [a["serial"] for a in state["autofind"]]


def test_rx_power_follows_run_state(c300):
    onu = c300.state()["onus"]["1/1/1"][0]
    conn = connect(c300)
    try:
        online = conn.send_command("show pon power attenuation gpon-onu_1/1/1:1")
        bulk = conn.send_command("show pon power onu-rx gpon-olt_1/1/1")
        c300.set_run_state(onu["serial"], "offline")
        offline = conn.send_command("show pon power attenuation gpon-onu_1/1/1:1")
        table = conn.send_command("show gpon onu state gpon-olt_1/1/1 1")
    finally:
        conn.disconnect()
    down = re.search(r"^\s*down\s+Tx :(-?[\d.]+)\(dbm\)\s+Rx:(-?[\d.]+)\(dbm\)\s+([\d.]+)\(dB\)$", online, re.MULTILINE)
    assert down and float(down.group(2)) == pytest.approx(onu["rx_power"], abs=0.001)
    assert re.search(rf"^gpon-onu_1/1/1:1\s+{onu['rx_power']:.3f}\(dbm\)$", bulk, re.MULTILINE)
    assert "no signal" in offline
    assert re.search(r"^(?:gpon-onu_)?1/1/1:1\s+enable\s+disable\s+(?:unknown\s+)?LOS", table, re.MULTILINE)
    assert "ONU Number: 0/1" in table


# ---------------------------------------------------------------------------
# Errors as ZXAN prints them
# ---------------------------------------------------------------------------


def test_error_replies(c300):
    serial = c300.state()["autofind"][0]["serial"]
    registered = c300.state()["onus"]["1/1/1"][0]["serial"]
    conn = connect(c300)
    try:
        unknown = conn.send_command("show gpon onu uncfgx", strip_prompt=False)
        exec_only = conn.send_command("onu 2 type ZTE-F660 sn " + serial)
        commit = conn.send_command("commit")
        show_tcont = conn.send_command("show tcont")
        config = conn.send_config_set(
            [
                "interface gpon-olt_1/1/1",
                "onu 2 type ZTE-F660",  # incomplete
                "onu 2 type ZTE-F660 sn NOT-A-SERIAL",  # bad parameter
                "onu 2 state sleeping",  # bad keyword
                f"onu 1 type ZTE-F660 sn {serial}",  # id taken
                f"onu 5 type ZTE-F660 sn {registered}",  # serial registered
            ]
        )
        ambiguous = conn.send_config_set(["pon-onu-mng gpon-onu_1/1/1:1", "se 1"])
    finally:
        conn.disconnect()
    lines = unknown.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    assert lines[caret + 1] == "%Error 20200: Invalid input detected at '^' marker."
    # The caret sits under the offending word of the echoed "ZXAN#show ..." line.
    assert lines[caret].index("^") == len("ZXAN#show gpon onu ")
    assert exec_only.strip() == "%Error 20206: Unrecognized command"
    assert "%Error 20200: Invalid input detected at '^' marker." in commit
    assert show_tcont.strip() == "%Error 20206: Unrecognized command"
    assert "%Error 20203: Incomplete command." in config
    assert "%Error 20202: Invalid parameter" in config
    assert "%Error 20201: Invalid keyword" in config
    assert "%Code 62391-GPONSRV : The entry is existed." in config
    assert "This is a re-create operation." in config
    assert "%Code 62392-GPONSRV : The SN has existed." in config
    assert "%Error 20204: Ambiguous command found" in ambiguous
    # None of it changed the device.
    state = c300.state()
    assert [o["id"] for o in state["onus"]["1/1/1"]] == [1]
    assert serial in [a["serial"] for a in state["autofind"]]


def test_caret_stays_under_the_word_when_the_line_is_indented(c600):
    client, shell = raw_shell(c600)
    try:
        read_until(shell, b"ZXAN#")
        shell.sendall(b"configure terminal\n   interface gpon_olt-1/1/1 bogus\n")
        lines = read_until(shell, b"marker.").decode().split("\r\n")
    finally:
        client.close()
    echo = next(line for line in lines if line.endswith("bogus"))
    caret = next(line for line in lines if line.strip() == "^")
    assert echo.startswith("ZXAN(config)#   interface")
    assert caret.index("^") == echo.index("bogus")


def test_c600_duplicate_id_uses_c600_code(c600):
    serial = c600.state()["autofind"][0]["serial"]
    conn = connect(c600)
    try:
        output = conn.send_config_set(
            ["interface gpon_olt-1/1/1", f"onu 1 type ZTE-F660 sn {serial}", "exit", "interface gpon-olt_1/1/1"]
        )
    finally:
        conn.disconnect()
    assert "%Error 222391: The entry is existed. " in output.replace("\n  ", " ")
    # C300 interface names are not C600 ones.
    assert "%Error 20202: Invalid parameter" in output


def test_terminal_width_rejected_on_c320_only():
    for model, rejected in (("C320", True), ("C300", False)):
        with simulator.start(platform="zte", protocol="ssh", password=PASSWORD, options={"model": model}) as sim:
            conn = connect(sim)
            try:
                output = conn.send_command("terminal width 511")
            finally:
                conn.disconnect()
            assert ("%Error 20200" in output) is rejected, model


def test_abbreviated_keywords_work_like_the_device(c300):
    conn = connect(c300)
    try:
        conn.write_channel("conf t\n")
        output = conn.read_until_pattern(r"\(config\)#")
        conn.write_channel("end\n")
        conn.read_until_pattern(r"ZXAN#")
        uncfg = conn.send_command("sh gpon onu unc")
    finally:
        conn.disconnect()
    assert "%Info 20272: Enter configuration commands, one per line. End with CTRL/Z." in output
    assert "OnuIndex" in uncfg


def test_wifi_refused_when_firmware_has_no_omci_wifi():
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, registered=1, options={"pons": ["1/1/1"], "wifi": False}
    ) as sim:
        conn = connect(sim)
        try:
            output = conn.send_config_set(["pon-onu-mng gpon-onu_1/1/1:1", "ssid ctrl wifi_0/1 name X"])
        finally:
            conn.disconnect()
        assert "%Error 20200" in output
        assert sim.state()["onus"]["1/1/1"][0]["wifi"] == {}


# ---------------------------------------------------------------------------
# Pager and faults
# ---------------------------------------------------------------------------


def test_pager_until_terminal_length_zero():
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, registered=30, options={"pons": ["1/1/1"]}
    ) as sim:
        client, shell = raw_shell(sim)
        try:
            read_until(shell, b"ZXAN#")
            shell.sendall(b"show gpon onu state gpon-olt_1/1/1\n")
            first = read_until(shell, b" --More-- ")
            shell.sendall(b" ")
            rest = read_until(shell, b"ZXAN#")
            shell.sendall(b"terminal length 0\nshow gpon onu state gpon-olt_1/1/1\n")
            unpaged = read_until(shell, b"ONU Number: 30/30", b"ZXAN#")
        finally:
            client.close()
        assert b"1/1/1:30 " not in first
        assert b"ONU Number: 30/30" in rest
        assert b"--More--" not in unpaged


def test_faults_reject_busy_async_and_drop(c300):
    serial = c300.state()["autofind"][0]["serial"]
    c300.faults.reject_pattern = r"^onu \d+ type"
    c300.faults.busy_pattern = r"^show gpon onu state"
    c300.faults.busy_count = 1
    c300.faults.async_every = 4
    conn = connect(c300)
    try:
        rejected = conn.send_config_set(["interface gpon-olt_1/1/1", f"onu 2 type ZTE-F660 sn {serial}"])
        busy = conn.send_command("show gpon onu state gpon-olt_1/1/1")
        again = conn.send_command("show gpon onu state gpon-olt_1/1/1")
        outputs = [conn.send_command("show gpon onu baseinfo gpon-olt_1/1/1") for _ in range(4)]
    finally:
        conn.disconnect()
    assert "%Error 20202: Invalid parameter" in rejected
    assert serial in [a["serial"] for a in c300.state()["autofind"]]
    assert "busy" in busy and "ONU Number" in again
    assert any("%GPONSRV-6-ONU" in out for out in outputs)

    c300.faults.reject_pattern = c300.faults.busy_pattern = None
    c300.faults.async_every = 0
    c300.faults.drop_pattern = r"^no onu"
    client, shell = raw_shell(c300)
    try:
        shell.sendall(b"configure terminal\ninterface gpon-olt_1/1/1\nno onu 1\n")
        with pytest.raises(AssertionError, match="connection closed"):
            read_until(shell, b"never printed")
    finally:
        client.close()
    assert len(c300.state()["onus"]["1/1/1"]) == 1


def test_latency_and_reject_login_faults():
    with simulator.start(platform="zte_c600", protocol="ssh", password=PASSWORD, latency=0.01) as sim:
        conn = connect(sim)
        try:
            assert "No related information" in conn.send_command("show pon onu uncfg")
        finally:
            conn.disconnect()
        assert sim.faults.latency == 0.01
        sim.faults.reject_login = True
        with pytest.raises(NetmikoAuthenticationException):
            connect(sim)


def test_state_file_survives_restart(tmp_path):
    path = str(tmp_path / "zte.json")
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, onus=1, state_file=path, options={"pons": ["1/1/1"]}
    ) as sim:
        serial = sim.state()["autofind"][0]["serial"]
        conn = connect(sim)
        try:
            conn.send_config_set(["interface gpon-olt_1/1/1", f"onu 1 type ZTE-F660 sn {serial}"])
        finally:
            conn.disconnect()
    with simulator.start(
        platform="zte", protocol="ssh", password=PASSWORD, state_file=path, options={"pons": ["1/1/1"]}
    ) as sim:
        onu = sim.state()["onus"]["1/1/1"][0]
        assert onu["serial"] == serial and onu["type"] == "ZTE-F660"
        conn = connect(sim)
        try:
            assert re.search(
                r"^(?:gpon-onu_)?1/1/1:1\s+enable\s+enable\s+(?:operation\s+)?working",
                conn.send_command("show gpon onu state gpon-olt_1/1/1"),
                re.MULTILINE,
            )
        finally:
            conn.disconnect()


# ---------------------------------------------------------------------------


def raw_shell(sim):
    """A plain paramiko shell (no session preparation): the device as a person sees it."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(sim.host, sim.port, username="admin", password=PASSWORD, look_for_keys=False, allow_agent=False)
    return client, client.invoke_shell()


def read_until(stream, *markers, limit=10.0):
    """Read from a socket or paramiko channel until every marker has been seen."""
    data = b""
    deadline = time.monotonic() + limit
    stream.settimeout(0.5)
    while not all(marker in data for marker in markers):
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {markers!r} in {data!r}")
        try:
            chunk = stream.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            raise AssertionError(f"connection closed before {markers!r}: {data!r}")
        data += chunk
    return data


# ---------------------------------------------------------------------------
# Conformance: every real capture of tests/drivers/captures/zte*/ against the
# simulator started as the firmware family that printed it.  Checked is the
# structure (headers, column and value positions, separators, keys), not the
# values.  The simulator is free of driver code: the capture is cut from its
# echo and prompts here.
# ---------------------------------------------------------------------------

CORPUS = Path(__file__).resolve().parent.parent / "drivers" / "captures"
#: the capture's firmware label -> (simulator firmware profile, model)
PROFILES = {
    "ZXA10 C320 V2.1.0": ("v2.1", "C320"),
    "ZXA10 C320 V2.1": ("v2.1", "C320"),
    "ZXA10 C300 V2.1.0": ("v2.1", "C300"),
    "ZXA10 C650 V1.2.1": ("v1.2", "C650"),
    "ZXA10 C320": ("v2.1", "C320"),
}
_PROMPT = re.compile(r"^[\w.\-]+(?:\([^)]*\))?[#>]")
_INTERFACE = re.compile(r"(?:gpon-onu_|gpon_onu-)(\d+/\d+/\d+):(\d+)")
_OLT = re.compile(r"(?:gpon-olt_|gpon_olt-)(\d+/\d+/\d+)")
#: ``Key: value`` (keys are words, digits, '+' and parentheses; an ONU index such as
#: ``gpon-onu_1/1/1:1`` is no key)
_KEY_VALUE = re.compile(r"^(\s*)([A-Za-z0-9][A-Za-z0-9 +()]*?):(\s*)(\S?)")


def _corpus():
    return sorted(CORPUS.glob("zte*/*/*.json"))


def _profile(firmware):
    for label, profile in PROFILES.items():
        if firmware.startswith(label):
            return profile
    if "C650" in firmware:
        return PROFILES["ZXA10 C650 V1.2.1"]
    raise AssertionError(f"no simulator profile for {firmware!r}")


def _output_of(capture, command):
    """The output alone: lines after the echo, up to the next prompt."""
    lines = capture.replace("\r\n", "\n").split("\n")
    words = command.split()
    start = next((i + 1 for i, line in enumerate(lines) if _PROMPT.sub("", line).split() == words), 0)
    out = []
    for line in lines[start:]:
        if _PROMPT.match(line.strip()) and not _KEY_VALUE.match(line):
            break
        out.append(line)
    return "\n".join(out)


def skeleton(text):
    """What a layout is made of: header lines verbatim, separator lengths,
    ``Key:`` lines with where their value starts (None when empty), and for
    each run of rows the start columns of its fullest row."""
    shape, header_next = [], True
    for line in text.split("\n"):
        line = line.rstrip()
        if not line.strip():
            continue
        if re.fullmatch(r"\s*-{5,}", line):
            header_next = bool(shape) and shape[-1][0] == "field"
            shape.append(("separator", len(line.strip())))
            continue
        field = _KEY_VALUE.match(line)
        if field and not re.match(r"^\s*\d", line):
            start = field.end(3) if field.group(4) else None
            shape.append(("field", field.group(2), len(field.group(1)), start))
            continue
        if header_next:
            shape.append(("header", line))
            header_next = False
            continue
        starts = tuple(m.start() for m in re.finditer(r"\S+", line))
        # a run of rows: the fullest one (a blank last column prints nothing)
        if shape and shape[-1][0] == "row":
            if len(starts) > len(shape[-1][1]):
                shape[-1] = ("row", starts)
        else:
            shape.append(("row", starts))
    return shape


def config_skeleton(text):
    """A running configuration's layout: section lines by their keyword, the
    indentation of their lines, the ``!``/``$`` closing them and the final ``end``
    (``Building configuration...`` and the ``!`` after it, which some captures
    omit, are left out)."""
    shape = []
    for line in text.split("\n"):
        if not line.strip() or line.strip().startswith("Building configuration"):
            continue
        if line.strip() in ("!", "$", "end"):
            if shape:  # a '!' after 'Building configuration...' opens nothing
                shape.append(line.strip())
        elif line[:1].isspace():
            entry = ("indent", len(line) - len(line.lstrip()))
            if not shape or shape[-1] != entry:
                shape.append(entry)
        else:
            shape.append(("section", line.split()[0]))
    return shape


def same_layout(answer, capture):
    """Skeletons equal, a value column compared where both sides print a value."""
    if len(answer) != len(capture):
        return False
    for mine, theirs in zip(answer, capture, strict=True):
        if mine[0] == theirs[0] == "field" and None in (mine[3], theirs[3]):
            mine, theirs = mine[:3], theirs[:3]
        if mine != theirs:
            return False
    return True


@pytest.mark.parametrize("meta_path", _corpus(), ids=lambda p: str(p.relative_to(CORPUS).with_suffix("")))
def test_simulator_prints_each_capture_s_layout(meta_path):
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    platform = meta_path.parent.parent.name
    firmware, model = _profile(meta["firmware"])
    # a capture of a layout the family's default profile does not print names its own
    firmware = meta.get("simulator_profile", firmware)
    capture = meta_path.with_suffix(".txt").read_text(encoding="utf-8")
    command = meta["command"]
    where = _INTERFACE.search(command)
    olt = _OLT.search(command)
    pon = where.group(1) if where else olt.group(1) if olt else "1/1/1"
    # a table of registered ONUs is compared with one registered ONU, anything else with one waiting
    registered = 1 if where or any(item.get("onu_id") for item in meta["expected"]) else 0
    with simulator.start(
        platform=platform,
        protocol="ssh",
        password=PASSWORD,
        onus=1 - registered,
        registered=registered,
        options={"pons": [pon], "firmware": firmware, "model": model},
    ) as sim:
        if where:  # the simulator's own name for the captured ONU
            onu = f"gpon_onu-{pon}:1" if platform == "zte_c600" else f"gpon-onu_{pon}:1"
            command = _INTERFACE.sub(onu, command)
        if meta["expected"] and all(item.get("run_state") == "offline" for item in meta["expected"]):
            sim.set_run_state(sim.state()["onus"][pon][0]["serial"], "offline")
        conn = connect(sim)
        try:
            answer = conn.send_command(command)
        finally:
            conn.disconnect()
    if "running-config" in command:
        expected = config_skeleton(_output_of(capture, meta["command"]))
        assert expected and config_skeleton(answer) == expected, (config_skeleton(answer), expected)
        return
    output = _output_of(capture, meta["command"])
    if where:  # an answer naming the ONU names it as the simulator does
        output = output.replace(where.group(0), onu)
    expected = skeleton(output)
    assert expected, "the capture holds no output"
    assert same_layout(skeleton(answer), expected), (skeleton(answer), expected)


def test_empty_results_in_the_device_s_words():
    for code in ("32310", "62310"):
        with simulator.start(platform="zte", protocol="ssh", password=PASSWORD, options={"empty_code": code}) as sim:
            conn = connect(sim)
            try:
                for command in ("show gpon onu uncfg", "show pon onu uncfg", "show gpon onu state gpon-olt_1/1/1"):
                    assert (
                        conn.send_command(command).strip() == f"%Code {code}-GPONSRV : No related information to show."
                    )
            finally:
                conn.disconnect()


@pytest.mark.parametrize(
    "platform, firmware, header",
    [
        ("zte", "v1.2", "OnuIndex   Admin State  OMCC State  Phase State  Channel"),
        ("zte", "v2.1_channel", "OnuIndex   Admin State  OMCC State  Phase State  Channel"),
        ("zte", "v2.1", "OnuIndex               Admin State  OMCC State   O7 State     Phase State"),
        ("zte_c600", "v1.2", "OnuIndex     Admin state  OMCC state  Phase state  Speed mode"),
    ],
)
def test_state_table_layout_per_firmware(platform, firmware, header):
    with simulator.start(
        platform=platform, protocol="ssh", password=PASSWORD, registered=1, options={"firmware": firmware}
    ) as sim:
        conn = connect(sim)
        try:
            olt = "gpon_olt-1/1/1" if platform == "zte_c600" else "gpon-olt_1/1/1"
            answer = conn.send_command(f"show gpon onu state {olt}")
            uncfg = conn.send_command("show pon onu uncfg")
        finally:
            conn.disconnect()
    assert answer.split("\n")[0].rstrip() == header
    if (platform, firmware) == ("zte", "v1.2"):
        assert "%Error" in uncfg  # older ZXAN has only 'show gpon onu uncfg'


def test_c600_uncfg_with_a_mac_column():
    with simulator.start(
        platform="zte_c600", protocol="ssh", password=PASSWORD, onus=1, options={"firmware": "v1.2_mac"}
    ) as sim:
        conn = connect(sim)
        try:
            answer = conn.send_command("show pon onu uncfg")
        finally:
            conn.disconnect()
    assert answer.split("\n")[0].split() == ["OltIndex", "Model", "MAC", "SN"]
