"""Simulator core: host keys, state file, command line, faults shared by all dialects."""

import json
import os
import re
import subprocess
import sys
import time

import paramiko
import pytest

import simulator
from simulator.core import Faults, ssh_fingerprint

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


# -- faults of the field: drops before/after, late answers, jitter, lockout ------------------


def _login(sim, shell, password="pw"):
    """A logged-in raw ZTE shell (the shared fixture knows other login prompts)."""
    if sim.protocol == "ssh":
        sh = shell(sim, password=password)
    else:
        sh = shell(sim, username=None)
        sh.expect(r"Username:\s*$")
        sh.send("admin\r\n")
        sh.expect(r"Password:\s*$")
        sh.send(password + "\r\n")
    sh.expect(r"#\s*$")
    return sh


def _zte_shell(start_sim, shell, protocol="telnet", **kwargs):
    sim = start_sim(platform="zte", protocol=protocol, **kwargs)
    return sim, _login(sim, shell)


def _onu_count(sim):
    return sum(len(onus) for onus in sim.state()["onus"].values())


def test_drop_after_pattern_runs_the_command_then_hangs_up(start_sim, shell):
    sim, sh = _zte_shell(start_sim, shell, onus=1)
    waiting = sim.state()["autofind"][0]
    sh.cmd("configure terminal")
    sh.cmd(f"interface gpon-olt_{waiting['pon']}")
    sim.faults.drop_after_pattern = r"^onu 1 type"
    sh.send(f"onu 1 type ZTE-F660 sn {waiting['serial']}\r\n")
    assert sh.closed()
    assert _onu_count(sim) == 1, "the command ran before the connection closed"
    # fault_count (1) spent: the fault cleared itself for the next session
    assert sim.faults.drop_after_pattern is None and sim.faults.fault_count == 1
    again = _login(sim, shell)
    assert "gpon-onu_" in again.cmd(f"show gpon onu by sn {waiting['serial']}")


def test_drop_pattern_direct_keeps_firing_injected_fires_count_times(start_sim, shell):
    sim = start_sim(platform="zte", protocol="telnet")
    sim.faults.drop_pattern = r"^show clock"
    for _ in range(2):
        sh = _login(sim, shell)
        sh.send("show clock\r\n")
        assert sh.closed()
    assert sim.faults.drop_pattern == r"^show clock"
    sim.faults.reset()
    sim.faults.inject("drop", r"^show version", count=2, skip=1)
    sh = _login(sim, shell)
    sh.cmd("show version")  # let through: skip=1
    sh.send("show version\r\n")
    assert sh.closed()
    sh = _login(sim, shell)
    sh.send("show version\r\n")
    assert sh.closed()
    assert sim.faults.drop_pattern is None and not sim.faults.drop_counted
    sh = _login(sim, shell)
    assert "ZXAN" in sh.cmd("show version")


def test_late_answer_takes_effect_at_once_and_the_session_goes_on(start_sim, shell):
    sim, sh = _zte_shell(start_sim, shell, onus=1)
    waiting = sim.state()["autofind"][0]
    sh.cmd("configure terminal")
    sh.cmd(f"interface gpon-olt_{waiting['pon']}")
    sim.faults.inject("late", r"^onu 1 type", delay=1.0)
    started = time.monotonic()
    sh.send(f"onu 1 type ZTE-F660 sn {waiting['serial']}\r\n")
    sh.expect(r"onu 1 type[^\n]*\n")  # the echo comes at once
    time.sleep(0.3)
    assert _onu_count(sim) == 1, "a late answer: the command has already taken effect"
    assert not re.search(r"#\s*$", sh.buffer), "no prompt before late_delay"
    sh.expect(r"#\s*$", timeout=5)
    assert time.monotonic() - started >= 1.0
    sh.cmd("exit")
    assert waiting["serial"] in sh.cmd(f"show gpon onu by sn {waiting['serial']}")


def test_jitter_is_bounded_and_repeatable():
    first = Faults(latency=0.2, jitter=0.1, jitter_seed=7)
    delays = [first.delay() for _ in range(50)]
    assert all(0.1 <= delay <= 0.3 for delay in delays)
    assert len(set(delays)) > 10
    second = Faults(latency=0.2, jitter=0.1, jitter_seed=7)
    assert [second.delay() for _ in range(50)] == delays
    assert Faults(latency=0.05, jitter=0.5).delay() >= 0.0


def test_latency_with_jitter_delays_each_command(start_sim, shell):
    sim, sh = _zte_shell(start_sim, shell)
    sim.faults.latency, sim.faults.jitter = 0.15, 0.05
    started = time.monotonic()
    for _ in range(3):
        sh.cmd("show clock")
    assert time.monotonic() - started >= 3 * 0.1


def test_a_session_is_released_when_its_client_hangs_up_during_a_late_answer(start_sim, shell):
    sim, sh = _zte_shell(start_sim, shell)
    sim.faults.max_sessions = 1
    sim.faults.inject("late", r"^show clock", delay=3.0)
    sh.send("show clock\r\n")
    sh.expect(r"show clock[^\n]*\n")
    sh.close()
    deadline = time.monotonic() + 1.0
    while sim.sessions and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.sessions == 0, "the device still counts a client that hung up"
    again = _login(sim, shell)
    assert "ZXAN" in again.cmd("show version")


@pytest.mark.parametrize("protocol", ["ssh", "telnet"])
def test_ssh_and_telnet_hang_ups_are_noticed_during_latency(start_sim, shell, protocol):
    sim, sh = _zte_shell(start_sim, shell, protocol=protocol)
    sim.faults.latency = 3.0
    sh.send("show clock\r\n")
    time.sleep(0.1)
    sh.close()
    deadline = time.monotonic() + 1.0
    while sim.sessions and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sim.sessions == 0


def test_a_client_waiting_at_a_pager_does_not_block_the_other_sessions(start_sim, shell):
    sim = start_sim(platform="huawei", protocol="telnet", onus=20)
    stuck = shell(sim)
    stuck.expect(r">\s*$")
    stuck.cmd("enable")
    stuck.cmd("config")
    stuck.cmd("scroll 10")
    stuck.send("display ont autofind all\r\n")
    stuck.expect(r"More")
    other = shell(sim)
    other.expect(r">\s*$")
    started = time.monotonic()
    assert "MA5800" in other.cmd("enable")
    assert time.monotonic() - started < 2.0


def test_lockout_after_failures_refuses_even_the_right_password(start_sim, shell):
    sim = start_sim(platform="zte", protocol="telnet")
    sim.faults.lockout_after_failures = 2
    sim.faults.lockout_seconds = 0.5
    for _ in range(2):
        bad = shell(sim, username=None)
        bad.expect(r"Username:\s*$")
        bad.send("admin\r\n")
        bad.expect(r"Password:\s*$")
        bad.send("wrong\r\n")
        # the second failure reaches the limit: the lockout words already
        bad.expect(r"bad password|later\.\n")
        bad.close()
    locked = shell(sim, username=None)
    locked.expect(r"Username:\s*$")
    locked.send("admin\r\n")
    locked.expect(r"Password:\s*$")
    locked.send("pw\r\n")
    assert "too many failed logins" in locked.expect(r"later\.\n")
    assert locked.closed()
    assert sim.logins["locked"] == 1
    time.sleep(0.6)
    _login(sim, shell)


def test_lockout_over_ssh_refuses_the_password(start_sim):
    sim = start_sim(platform="zte", protocol="ssh")
    sim.faults.lockout_after_failures = 1
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(sim.host, sim.port, username="admin", password="wrong", look_for_keys=False, allow_agent=False)
    client.close()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        client.connect(sim.host, sim.port, username="admin", password="pw", look_for_keys=False, allow_agent=False)
    client.close()
    assert sim.logins["locked"] == 1


def test_faults_as_dict_and_reset_keep_latency_and_jitter():
    faults = Faults(latency=0.1, jitter=0.02, jitter_seed=3)
    faults.inject("late", "x", delay=2.0)
    assert faults.as_dict()["late_pattern"] == "x" and "_rng" not in faults.as_dict()
    faults.reset()
    assert faults.late_pattern is None and faults.late_delay == 0.0 and faults.fault_count == 1
    assert (faults.latency, faults.jitter, faults.jitter_seed) == (0.1, 0.02, 3)
    with pytest.raises(ValueError):
        faults.inject("explode", "x")
