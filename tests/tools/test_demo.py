"""tools/demo's decisions, without serving a demo: ports, cache, module state, signals, links.

The whole demo (Odoo, PostgreSQL, the devices) is run by hand as README.md
says; these tests run the demo's own functions on real sockets, processes and
(where it is reachable) a real PostgreSQL database.
"""

import importlib.machinery
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = ROOT / "tools" / "demo"


def load_demo():
    loader = importlib.machinery.SourceFileLoader("silver_demo_tool", str(DEMO))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


demo = load_demo()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def run_demo(*arguments, **kwargs):
    return subprocess.run(
        [sys.executable, str(DEMO), *arguments], capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--port", "65531"], "--port 65531: the 5 devices listen on the ports after Odoo's (65532..65536)"),
        (["--port", "0"], "--port 0: a TCP port is 1 to 65535"),
        (["--port", "-8069"], "--port -8069: a TCP port is 1 to 65535"),
        (["--port", "70000"], "--port 70000: a TCP port is 1 to 65535"),
        (["--device-ports", "65534"], "--device-ports 65534: the 5 devices listen on 65534..65538"),
        (["--device-ports", "0"], "--device-ports 0: the 5 devices listen on 0..4"),
        (["--port", "9002", "--device-ports", "9000"], "--device-ports 9000 puts a device on Odoo's port 9002"),
    ],
)
def test_ports_out_of_range_are_refused_naming_the_option(arguments, words, capsys):
    with pytest.raises(SystemExit) as raised:
        demo.parse_args(arguments)
    assert raised.value.code == 2
    assert words in capsys.readouterr().err


def test_the_highest_ports_that_fit_are_taken():
    assert demo.parse_args(["--port", "65530"]).port == 65530
    assert demo.parse_args(["--port", "8069", "--device-ports", "65531"]).device_ports == 65531


def test_a_cache_inside_the_repository_is_refused_before_anything(tmp_path):
    inside = ROOT / "tests" / "tools" / "demo-cache-here"
    result = run_demo("--cache-dir", str(inside), "--no-serve")
    assert result.returncode == 1
    assert "inside the repository" in result.stderr and "private host keys" in result.stderr
    assert not inside.exists()


def test_switching_a_device_without_a_running_demo_fails(tmp_path):
    cache = tmp_path / "cache"
    (cache / "run").mkdir(parents=True)
    # What a demo that was killed leaves: its configuration, a lock nobody holds.
    (cache / "simulators-silver_demo.json").write_text(json.dumps({"devices": []}))
    (cache / "run" / "silver_demo.lock").write_text("the demo on port 8069 (pid 999999)\n")
    for action in ("--stop-device", "--start-device"):
        result = run_demo("--cache-dir", str(cache), action, "huawei")
        assert result.returncode == 1, action
        assert "no demo of database silver_demo is running" in result.stderr


def test_each_clone_gets_its_own_addons_link(tmp_path):
    first, second = tmp_path / "work" / "silver", tmp_path / "other" / "silver"
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    cache = tmp_path / "cache"
    first_dir = demo.addon_link(cache, first)
    second_dir = demo.addon_link(cache, second)
    assert first_dir != second_dir
    assert (first_dir / "silver_provisioning").resolve() == first
    assert (second_dir / "silver_provisioning").resolve() == second
    assert demo.addon_link(cache, first) == first_dir, "the same clone finds its link again"
    assert (first_dir / "silver_provisioning").resolve() == first, "the second clone did not take the first's"


@pytest.mark.parametrize(
    ("state", "interrupted", "action", "words"),
    [
        (("none",), False, "init", "Creating database"),
        (("empty",), True, "init", "Creating database"),
        (("installed", "installed"), False, "update", "Updating"),
        (("installed", "to upgrade"), False, "update", "Updating"),
        # What a first run killed while it created the database leaves: base, not the module.
        (("installed", "to install"), True, "recreate", "left half-made by an interrupted tools/demo"),
        (("to install", "absent"), True, "recreate", "creating it anew"),
    ],
)
def test_the_module_state_decides_install_update_or_make_anew(state, interrupted, action, words):
    planned, said = demo.install_plan(state, "demo_x", interrupted)
    assert planned == action
    assert words in said


@pytest.mark.parametrize("state", [("installed", "uninstalled"), ("installed", "absent"), ("to install", "absent")])
def test_a_database_this_tool_did_not_create_is_not_changed(state):
    # It used to be "updated": a module that is not installed is not updated, and "ready" was a lie.
    with pytest.raises(SystemExit) as raised:
        demo.install_plan(state, "demo_x", interrupted=False)
    message = str(raised.value.code)
    assert "exists without silver_provisioning installed" in message
    assert "tools/demo --db demo_x --reset" in message


def postgres():
    """A psycopg2 connection to the server tools/demo would use, or a skip."""
    psycopg2 = pytest.importorskip("psycopg2")
    if importlib.util.find_spec("odoo") is None:
        pytest.skip("odoo is not importable by this Python")
    options = dict(arg.lstrip("-").split("=", 1) for arg in demo.runner.db_args())
    try:
        return psycopg2.connect(
            dbname="postgres",
            host=options.get("db_host"),
            port=options.get("db_port"),
            user=options.get("db_user"),
            password=options.get("db_password"),
        )
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable: {error}")


def test_the_module_state_is_read_from_the_database():
    admin = postgres()
    admin.autocommit = True
    name = f"silver_tooltest_{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    try:
        assert demo.database_state(env, name) == ("none",)
        with admin.cursor() as cr:
            cr.execute(f'CREATE DATABASE "{name}"')
        # What a first run killed while it created the database leaves: base, not the module.
        options = dict(arg.lstrip("-").split("=", 1) for arg in demo.runner.db_args())
        import psycopg2

        with psycopg2.connect(dbname=name, host=options.get("db_host"), port=options.get("db_port")) as db:
            with db.cursor() as cr:
                cr.execute("CREATE TABLE ir_module_module (name varchar, state varchar)")
                cr.execute(
                    "INSERT INTO ir_module_module VALUES ('base', 'installed'), ('mail', 'to install'),"
                    " ('silver_provisioning', 'to install')"
                )
        db.close()
        # (each reading starts an interpreter importing odoo: a few seconds on a busy machine)
        state = demo.database_state(env, name)
        assert state == ("installed", "to install")
        assert demo.install_plan(state, name, interrupted=True)[0] == "recreate"
    finally:
        with admin.cursor() as cr:
            cr.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


# -- signals --------------------------------------------------------------------------------

#: stands for Odoo: writes down the signals it gets; stops on SIGINT, as Odoo does
FAKE_SERVER = """
import os, signal, sys, time
record = sys.argv[1]
def note(signum, _frame):
    with open(record, "a") as out:
        out.write(signal.Signals(signum).name + "\\n")
    if signum in (signal.SIGINT, signal.SIGTERM):
        sys.exit(0)
for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
    signal.signal(signum, note)
with open(record, "a") as out:
    out.write(f"ready {os.getpid()}\\n")
while True:
    time.sleep(0.1)
"""

#: what tools/demo does around serving Odoo
SERVING = """
import importlib.machinery, importlib.util, signal, sys
loader = importlib.machinery.SourceFileLoader("demo", sys.argv[1])
demo = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
loader.exec_module(demo)
for signum in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(signum, demo._exit_on_signal)
sys.exit(demo.serve_odoo([sys.executable, sys.argv[2], sys.argv[3]], None))
"""


def test_a_closed_terminal_stops_odoo_instead_of_reloading_it(tmp_path):
    server, record = tmp_path / "server.py", tmp_path / "signals.txt"
    server.write_text(FAKE_SERVER)
    # In a session of its own, as a terminal's foreground job is: SIGHUP goes to its group.
    tool = subprocess.Popen(
        [sys.executable, "-c", SERVING, str(DEMO), str(server), str(record)], start_new_session=True
    )
    try:
        assert wait_for(lambda: record.exists() and "ready" in record.read_text())
        server_pid = int(record.read_text().split()[1])
        os.killpg(tool.pid, signal.SIGHUP)
        assert tool.wait(timeout=20) == 128 + signal.SIGHUP
        assert record.read_text().split()[2:] == ["SIGINT"], "Odoo got the terminal's SIGHUP (a reload)"
        assert wait_for(lambda: not alive(server_pid))
    finally:
        if tool.poll() is None:
            tool.kill()
            tool.wait()


#: stands for the odoo package: cli.main() re-executes once as Odoo's server reload does
#: (odoo/service/server.py, _reexec: sys.executable with sys.argv), then waits
FAKE_ODOO_CLI = """
import os, signal, sys, time
def main():
    record = os.environ["FAKE_ODOO_RECORD"]
    with open(record, "a") as out:
        out.write(f"run {os.getpid()} {sys.argv[0]}\\n")
    if not os.environ.get("FAKE_ODOO_REEXECUTED"):
        os.environ["FAKE_ODOO_REEXECUTED"] = "1"
        os.execve(sys.executable, [os.path.basename(sys.executable), *sys.argv], os.environ)
    def stop(signum, _frame):
        with open(record, "a") as out:
            out.write(signal.Signals(signum).name + "\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(0.1)
"""

#: a caller that is killed outright, as tools/demo after SIGKILL
CALLER = """
import os, subprocess, sys, time
env = dict(os.environ, SILVER_PARENT_PID=str(os.getpid()))
subprocess.Popen([sys.executable, sys.argv[1], "--http-port=1"], env=env)
time.sleep(120)
"""


def test_odoo_from_the_launcher_re_executes_and_stops_with_its_caller(tmp_path):
    package = tmp_path / "fake" / "odoo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from . import cli\n")
    (package / "cli.py").write_text(FAKE_ODOO_CLI)
    record = tmp_path / "odoo.txt"
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"), FAKE_ODOO_RECORD=str(record))
    caller = subprocess.Popen([sys.executable, "-c", CALLER, str(ROOT / "tools" / "odoo_launch.py")], env=env)
    try:
        assert wait_for(lambda: record.exists() and len(record.read_text().splitlines()) >= 2)
        runs = [line.split() for line in record.read_text().splitlines()]
        assert runs[0][1] == runs[1][1], "a reload is the same process"
        assert runs[1][2] == str(ROOT / "tools" / "odoo_launch.py"), "the re-executed command is the launcher"
        caller.kill()
        caller.wait()
        assert wait_for(lambda: record.read_text().splitlines()[-1] == "SIGTERM"), "Odoo outlived its caller"
        assert wait_for(lambda: not alive(int(runs[0][1])))
    finally:
        caller.kill()
        caller.wait()
