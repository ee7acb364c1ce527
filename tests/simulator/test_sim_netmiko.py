"""The real Netmiko client logs into the simulator over SSH and Telnet and works it."""

import re
import time

import pytest
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException

DEVICE_TYPES = {
    ("huawei", "ssh"): "huawei_smartax",
    ("huawei", "telnet"): "huawei_olt_telnet",
    # V-SOL has no Netmiko class; its CLI is Cisco-like, which is what the generic classes expect
    ("vsol", "ssh"): "cisco_ios",
    ("vsol", "telnet"): "cisco_ios_telnet",
}


def connect(sim, password="pw", secret=None):
    if secret is None:
        # Netmiko's SmartAX enable() answers any output with the secret: Huawei needs none
        secret = "" if sim.platform == "huawei" else "en"
    return ConnectHandler(
        device_type=DEVICE_TYPES[(sim.platform, sim.protocol)],
        host=sim.host,
        port=sim.port,
        username="admin",
        password=password,
        secret=secret,
    )


@pytest.mark.parametrize("protocol", ["ssh", "telnet"])
def test_huawei_netmiko_session(start_sim, protocol):
    sim = start_sim(platform="huawei", protocol=protocol, onus=3, registered=2)
    conn = connect(sim)
    try:
        assert conn.find_prompt() == "MA5800-X7>"
        conn.enable()
        conn.config_mode()
        autofind = conn.send_command("display ont autofind all")
        assert autofind.count("Ont SN") == 3
        waiting = sim.state()["autofind"][0]
        frame, slot, port = waiting["pon"].split("/")
        out = conn.send_config_set(
            [
                f"interface gpon {frame}/{slot}",
                (
                    f"ont add {port} sn-auth {waiting['serial_hex']} omci ont-lineprofile-id 10 ont-srvprofile-id 10 "
                    f'desc "CT-9"'
                ),
            ],
            exit_config_mode=False,
        )
        assert "success: 1" in out
        onu_id = re.search(r"ONTID :(\d+)", out).group(1)
        info = conn.send_command(f"display ont info {port} {onu_id}", expect_string=r"\}:")
        info += conn.send_command("\n", expect_string=r"#", strip_command=False)
        assert re.search(r"Run state\s+: online", info)
    finally:
        conn.disconnect()
    # Netmiko's session preparation ran against the simulator as it does against the device
    assert sim.commands[:5] == ["undo smart", "enable", "infoswitch cli OFF", "disable", "scroll"]
    assert sim.logins["succeeded"] == 1
    onus = sim.state()["onus"][waiting["pon"]]
    assert [o["serial"] for o in onus if o["description"] == "CT-9"] == [waiting["serial"]]


@pytest.mark.parametrize("protocol", ["ssh", "telnet"])
def test_vsol_netmiko_session(start_sim, protocol):
    # v2.1.6r pads with spaces (v1.4.8r places cells with the cursor, which
    # Netmiko's line-feed normalisation would split)
    sim = start_sim(
        platform="vsol", protocol=protocol, secret="en", onus=2, registered=1, options={"firmware": "v2.1.6r"}
    )
    conn = connect(sim)
    try:
        assert conn.find_prompt() == "gpon-olt>"
        conn.enable()
        assert conn.find_prompt() == "gpon-olt#"
        conn.config_mode()
        waiting = sim.state()["autofind"][0]
        out = conn.send_config_set(
            [
                f"interface gpon {waiting['pon']}",
                f"onu add 7 profile default sn {waiting['serial']}",
                "onu 7 desc CT-7",
                "show onu info",
            ],
            exit_config_mode=False,
        )
        assert re.search(rf"GPON{waiting['pon']}:7\s+\S+\s+default\s+sn\s+{waiting['serial']}", out)
        conn.exit_config_mode()
        conn.send_command("write")
    finally:
        conn.disconnect()
    assert sim.commands[:2] == ["terminal width 511", "terminal length 0"] or "terminal length 0" in sim.commands
    state = sim.state()
    assert state["saved"] == 1
    assert [o["description"] for o in state["onus"][waiting["pon"]] if o["id"] == 7] == ["CT-7"]


@pytest.mark.parametrize("platform,protocol", [("huawei", "ssh"), ("vsol", "ssh")])
def test_wrong_password_is_refused(start_sim, platform, protocol):
    sim = start_sim(platform=platform, protocol=protocol)
    with pytest.raises(NetmikoAuthenticationException):
        connect(sim, password="not-the-password")
    assert sim.logins["succeeded"] == 0 and sim.logins["failed"] >= 1
    assert sim.commands == []


def test_reject_login_fault(start_sim):
    sim = start_sim(platform="huawei", protocol="ssh")
    sim.faults.reject_login = True
    with pytest.raises(NetmikoAuthenticationException):
        connect(sim)
    sim.faults.reject_login = False
    connect(sim).disconnect()
    assert sim.logins == {"attempted": 2, "succeeded": 1, "failed": 1}


def test_login_delay_fault(start_sim):
    """Every login takes login_delay seconds; commands after it do not."""
    sim = start_sim(platform="huawei", protocol="ssh")
    sim.faults.login_delay = 0.5
    started = time.monotonic()
    conn = connect(sim)
    logged_in = time.monotonic() - started
    conn.disconnect()
    assert logged_in >= 0.5
    assert sim.logins["succeeded"] == 1


def test_huawei_yes_no_banner_is_answered_by_netmiko(start_sim):
    sim = start_sim(platform="huawei", protocol="ssh", options={"yes_no_banner": True})
    conn = connect(sim)
    try:
        assert conn.find_prompt() == "MA5800-X7>"
    finally:
        conn.disconnect()
    assert sim.commands[0] == "undo smart"
