"""``python -m simulator --config``: one process per device, as separate boxes behave.

Real processes on real sockets: a device killed is started again from its
state file on its port while the others keep answering; one can be switched
off and on alone, and that says so truthfully (no supervisor, a device that
does not come up); a supervisor whose parent dies, or that gets SIGHUP, stops
its devices; a router restarted from its saved state does not trip over the
rows it was seeded with.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

import simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def answers(port):
    """The device's first bytes: a Telnet negotiation and login prompt, an SSH banner."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
            sock.settimeout(3)
            return sock.recv(64)
    except OSError:
        return b""


def wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def supervisor(tmp_path):
    """Start ``python -m simulator --config`` for some devices; yields (process, ready lines, run dir, config)."""
    started = []

    def run(devices):
        config = tmp_path / "devices.json"
        config.write_text(json.dumps({"devices": devices}))
        run_dir = tmp_path / "run"
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", "--config", str(config), "--run-dir", str(run_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        lines = [process.stdout.readline().split() for _ in devices]
        return process, lines, run_dir, config

    yield run
    for process in started:
        process.terminate()
        process.wait(timeout=20)


def control(config, run_dir, action, device, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "--config", str(config), "--run-dir", str(run_dir), action, device],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=40,
        check=check,
    )
    return result.stdout if check else result


def pid_in(path):
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def alive(pid):
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_device_comes_back_from_its_state_and_the_others_stay_up(supervisor, tmp_path):
    zte_port, vsol_port = free_ports(2)
    state = tmp_path / "zte.json"
    process, lines, run_dir, _config = supervisor(
        [
            {
                "name": "North",
                "platform": "zte",
                "protocol": "telnet",
                "port": zte_port,
                "onus": 2,
                "state_file": str(state),
            },
            {"name": "Rural", "platform": "vsol", "protocol": "telnet", "port": vsol_port, "onus": 1},
        ]
    )
    assert [line[:3] for line in lines] == [
        ["zte", "telnet", f"127.0.0.1:{zte_port}"],
        ["vsol", "telnet", f"127.0.0.1:{vsol_port}"],
    ]
    zte_pid, vsol_pid = int(lines[0][4]), int(lines[1][4])
    assert zte_pid != vsol_pid != process.pid, "each device has a process of its own"
    assert (run_dir / "north.pid").read_text().strip() == str(zte_pid)
    waiting = json.loads(state.read_text())["autofind"]

    os.kill(zte_pid, signal.SIGKILL)
    assert wait_for(lambda: not answers(zte_port), timeout=5)
    assert answers(vsol_port), "the other device went down with the killed one"
    assert wait_for(lambda: answers(zte_port)), "the killed device was not started again"
    assert wait_for(lambda: pid_in(run_dir / "north.pid") not in (None, zte_pid))
    # Restarted from its state file: the same ONUs wait, none generated anew.
    assert json.loads(state.read_text())["autofind"] == waiting
    assert process.poll() is None


def test_one_device_is_switched_off_and_on_alone(supervisor):
    huawei_port, zte_port = free_ports(2)
    _process, _lines, run_dir, config = supervisor(
        [
            {"name": "Central", "platform": "huawei", "protocol": "telnet", "port": huawei_port},
            {"name": "North", "platform": "zte", "protocol": "telnet", "port": zte_port},
        ]
    )
    assert "switched off" in control(config, run_dir, "--stop", "huawei")
    assert not answers(huawei_port)
    assert answers(zte_port)
    time.sleep(1.0)  # a switched-off device stays off (no restart as after a crash)
    assert not answers(huawei_port)
    assert "switched on" in control(config, run_dir, "--start", "Central")
    assert wait_for(lambda: answers(huawei_port))


def test_only_keyed_protocols_show_a_fingerprint(supervisor, tmp_path):
    ssh_port, telnet_port = free_ports(2)
    # The demo keeps one key file per device; a Telnet device must not show it as if a client checked it.
    _process, lines, _run_dir, _config = supervisor(
        [
            {"platform": "zte_c600", "protocol": "ssh", "port": ssh_port, "host_key": str(tmp_path / "a.key")},
            {"platform": "zte", "protocol": "telnet", "port": telnet_port, "host_key": str(tmp_path / "b.key")},
        ]
    )
    assert lines[0][3].startswith("SHA256:")
    assert lines[1][3] == "-"


def test_a_router_restarted_from_its_state_keeps_its_seeded_rows_once(tmp_path):
    state = str(tmp_path / "router.json")
    seed = {"rows": {"/ppp/secret": [{"name": "lucia", "password": "pw", "service": "pppoe"}]}}
    with simulator.start(platform="mikrotik", protocol="api", state_file=state, options=seed) as first:
        first.add("/ppp/secret", name="jorge", password="pw2", service="pppoe")
        first.dial_in("lucia")
    # What tools/demo's cached configuration does on the next start: the same seed, and the state file.
    with simulator.start(platform="mikrotik", protocol="api", state_file=state, options=seed) as again:
        names = [row["name"] for row in again.state()["/ppp/secret"]]
        assert names == ["lucia", "jorge"]
        assert again.state()["/ppp/active"] == []


def take(sock, port):
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        return False
    return True


def telnet_devices(*ports):
    return [
        {"name": name, "platform": "zte", "protocol": "telnet", "port": port}
        for name, port in zip(("North", "South"), ports, strict=False)
    ]


def test_a_device_that_does_not_come_up_is_reported_not_switched_on(supervisor):
    north_port, south_port = free_ports(2)
    _process, lines, run_dir, config = supervisor(telnet_devices(north_port, south_port))
    os.kill(int(lines[0][4]), signal.SIGKILL)
    with socket.socket() as squatter:  # the port a rebooted box would want is taken
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Bound as soon as the dead process has let go of it (the restart comes a second later).
        assert wait_for(lambda: take(squatter, north_port), timeout=5)
        squatter.listen()
        assert wait_for(lambda: not (run_dir / "north.pid").exists(), timeout=5), "a dead device's pid file stays"
        assert control(config, run_dir, "--stop", "North").strip() == "north: switched off"
        refused = control(config, run_dir, "--start", "North", check=False)
        assert refused.returncode == 1
        assert "north: did not start" in refused.stdout
        assert "Address already in use" in refused.stdout
        assert answers(south_port), "the other device went down"
    assert control(config, run_dir, "--start", "North").strip() == "north: switched on"
    assert answers(north_port)


def test_no_supervisor_no_switching(tmp_path):
    config = tmp_path / "devices.json"
    config.write_text(json.dumps({"devices": telnet_devices(*free_ports(2))}))
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "north.pid").write_text("999999\n")  # left by a supervisor that was killed
    for action in ("--stop", "--start"):
        result = control(config, run_dir, action, "North", check=False)
        assert result.returncode == 1, action
        assert "no supervisor is running" in result.stdout


def test_a_second_supervisor_on_the_same_run_dir_is_refused(supervisor):
    _process, _lines, run_dir, config = supervisor(telnet_devices(*free_ports(2)))
    second = subprocess.run(
        [sys.executable, "-m", "simulator", "--config", str(config), "--run-dir", str(run_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode != 0
    assert "another supervisor" in second.stderr


def test_sighup_stops_the_supervisor_and_its_devices(supervisor):
    north_port, south_port = free_ports(2)
    process, lines, run_dir, _config = supervisor(telnet_devices(north_port, south_port))
    process.send_signal(signal.SIGHUP)  # the terminal it ran in was closed
    assert process.wait(timeout=20) == 0
    assert not answers(north_port) and not answers(south_port)
    assert not any(alive(int(line[4])) for line in lines)
    assert not list(run_dir.glob("*.pid"))


def test_an_orphaned_supervisor_stops_its_devices(tmp_path):
    north_port, south_port = free_ports(2)
    config = tmp_path / "devices.json"
    config.write_text(json.dumps({"devices": telnet_devices(north_port, south_port)}))
    log = tmp_path / "supervisor.log"
    # A parent that is killed outright (tools/demo after SIGKILL): no cleanup of its own runs.
    parent_code = (
        "import subprocess, sys, time\n"
        f"out = open({str(log)!r}, 'w')\n"
        f"child = subprocess.Popen([sys.executable, '-m', 'simulator', '--config', {str(config)!r}, "
        f"'--run-dir', {str(tmp_path / 'run')!r}], cwd={ROOT!r}, stdout=out, stderr=subprocess.STDOUT)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    supervisor_pid = int(parent.stdout.readline())
    try:
        assert wait_for(lambda: len(log.read_text().splitlines()) >= 2), log.read_text()
        device_pids = [int(line.split()[4]) for line in log.read_text().splitlines()[:2]]
        parent.kill()
        parent.wait()
        assert wait_for(lambda: not alive(supervisor_pid), timeout=10), "the orphaned supervisor stayed"
        assert not any(alive(pid) for pid in device_pids)
        assert not answers(north_port) and not answers(south_port)
        assert "parent process is gone" in log.read_text()
    finally:
        parent.kill()
        parent.wait()
        if alive(supervisor_pid):
            os.kill(supervisor_pid, signal.SIGKILL)
