"""Simulator core: host keys, state file, command line, faults shared by all dialects."""

import json
import os
import subprocess
import sys

import paramiko
import pytest

import simulator
from simulator.core import ssh_fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def seen_fingerprint(sim):
    """The fingerprint an SSH client really receives."""
    transport = paramiko.Transport((sim.host, sim.port))
    try:
        transport.start_client(timeout=10)
        return ssh_fingerprint(transport.get_remote_server_key().asbytes())
    finally:
        transport.close()


def test_host_key_file_keeps_the_fingerprint_across_restarts(tmp_path, start_sim):
    key_file = str(tmp_path / "olt_key")
    first = start_sim(platform="huawei", protocol="ssh", host_key=key_file)
    fingerprint = first.host_key_fingerprint
    assert fingerprint.startswith("SHA256:") and not fingerprint.endswith("=")
    assert seen_fingerprint(first) == fingerprint
    first.stop()
    second = start_sim(platform="vsol", protocol="ssh", host_key=key_file)
    assert seen_fingerprint(second) == fingerprint
    other = start_sim(platform="huawei", protocol="ssh", host_key=str(tmp_path / "other_key"))
    assert other.host_key_fingerprint != fingerprint


def test_state_is_a_deep_copy_and_json(start_sim):
    sim = start_sim(platform="huawei", protocol="telnet", onus=3, registered=2)
    state = sim.state()
    json.dumps(state)
    state["autofind"].clear()
    assert len(sim.state()["autofind"]) == 3
    assert sum(len(onus) for onus in sim.state()["onus"].values()) == 2
    assert len({a["serial"] for a in sim.state()["autofind"]}) == 3


def test_runtime_helpers(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=0, registered=1)
    added = sim.add_autofind(pon="0/1/2", serial="HWTC12345678")
    assert added["serial_hex"] == "4857544312345678"
    assert [a["serial"] for a in sim.state()["autofind"]] == ["HWTC12345678"]
    serial = sim.state()["onus"]["0/1/0"][0]["serial"]
    sim.set_run_state(serial, "offline")
    assert sim.state()["onus"]["0/1/0"][0]["run_state"] == "offline"


def test_state_file_written_and_reloaded(tmp_path, start_sim, shell):
    path = str(tmp_path / "state.json")
    sim = start_sim(platform="huawei", protocol="telnet", onus=2, state_file=path)
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("save", r"\}:\s*$")
    sh.cmd("")
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle)["saved"] == 1
    sim.stop()
    again = start_sim(platform="huawei", protocol="telnet", onus=5, state_file=path)
    assert again.state()["saved"] == 1 and len(again.state()["autofind"]) == 2


def test_drop_after_commands_and_latency(start_sim, shell):
    sim = start_sim(platform="vsol", protocol="telnet", secret="", latency=0.01)
    sim.faults.drop_after_commands = 2
    sh = shell(sim)
    sh.expect(r">$")
    sh.cmd("enable")
    sh.cmd("terminal length 0")
    sh.send("configure terminal\r\n")
    assert sh.closed()
    assert sim.commands == ["enable", "terminal length 0", "configure terminal"]
    assert sim.faults.latency == 0.01
    sim.faults.reset()
    assert sim.faults.drop_after_commands is None and sim.faults.latency == 0.01


def test_unknown_platform_and_protocol():
    with pytest.raises(ValueError, match="unknown platform"):
        simulator.start(platform="nokia")
    with pytest.raises(ValueError, match="protocol"):
        simulator.start(platform="huawei", protocol="http")


def test_command_line_prints_one_line_per_device(tmp_path):
    config = tmp_path / "devices.json"
    config.write_text(
        json.dumps(
            [
                {"platform": "huawei", "protocol": "ssh", "port": 0, "onus": 2, "host_key": str(tmp_path / "k")},
                {"platform": "vsol", "protocol": "telnet", "port": 0, "onus": 2, "latency_ms": 5},
            ]
        )
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stdout.readline().split() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert [line[:2] for line in lines] == [["huawei", "ssh"], ["vsol", "telnet"]]
    assert lines[0][3].startswith("SHA256:") and lines[1][3] == "-"
    assert lines[0][2].startswith("127.0.0.1:")


def test_max_sessions_refuses_a_second_session(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet")
    sim.faults.max_sessions = 1
    first = shell(sim)
    first.expect(r">\s*$")
    second = shell(sim, username=None)
    second.expect(r">>User name:$")
    second.send("admin\r\n")
    second.expect(r">>User password:$")
    second.send("pw\r\n")
    assert "Reenter times have reached the upper limit." in second.expect(r"limit\.\n")
    assert second.closed()
    assert (sim.sessions, sim.max_concurrent_sessions) == (1, 1)


def test_async_alarm_lands_inside_the_output(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", registered=4, options={"scroll": 512})
    sh = shell(sim)
    sh.expect(r">\s*$")
    sh.cmd("enable")
    sh.cmd("config")
    sim.faults.async_every = 1
    out = sh.cmd("display ont info summary 0/1/0")
    alarm = out.index("ALARM NAME")
    assert out.index("In port 0/1/0") < alarm < out.index("Rx/Tx power")
