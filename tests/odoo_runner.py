#!/usr/bin/env python3
"""Run silver_provisioning's Odoo tests in a real Odoo 17 and PostgreSQL.

    python tests/odoo_runner.py            # install without and with demo data, run the tests
    python tests/odoo_runner.py --quick    # one database (without demo data) only
    python tests/odoo_runner.py --test-tags /silver_provisioning:TestFailures   # Odoo's --test-tags

Odoo is found the way a user's machine has it: an importable ``odoo``
package, or ``ODOO_PATH`` pointing at an Odoo 17 source tree.  When neither
is there the run reports itself skipped in one loud line and exits 0 (the CI
script decides whether that is acceptable).

Each run uses a fresh database with a unique name (other runs may share the
PostgreSQL server) and drops it afterwards.  PostgreSQL is reached as libpq
would: PGHOST / PGPORT / PGUSER / PGPASSWORD when set, otherwise the local
socket, otherwise 127.0.0.1.

Odoo's own runner exits 0 after some failures, so the log is read too: any
ERROR or CRITICAL line, traceback, FAIL or failed-test summary is a failure.
The last line is ``odoo: N passed, M failed`` for CI.
"""

# A command-line script: it reports on stdout.
# pylint: disable=print-used
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

MODULE = "silver_provisioning"
REPO = Path(__file__).resolve().parent.parent
#: Odoo's command line as a file (see its docstring): it stops when this runner dies
LAUNCHER = REPO / "tools" / "odoo_launch.py"
STAND_INS = REPO / "tests" / "stand_ins"
SKIP_LINE = "ODOO TESTS SKIPPED: odoo is not importable (set ODOO_PATH=/path/to/odoo-17 or install Odoo 17): see README"

_LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<msg>.*)"
)
# Odoo 17: "odoo.tests.result: 2 failed, 1 error(s) of 14 tests when loading database 'x'"
_RESULT = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<total>\d+) tests")


def find_odoo():
    """The directory that holds the ``odoo`` package, or None."""
    candidates = []
    if os.environ.get("ODOO_PATH"):
        candidates.append(os.environ["ODOO_PATH"])
    candidates.append("")  # whatever this interpreter can import
    for extra in candidates:
        env = dict(os.environ)
        if extra:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra, env.get("PYTHONPATH")]))
        probe = subprocess.run(
            [sys.executable, "-c", "import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip():
            return extra, probe.stdout.strip().splitlines()[-1]
    return None, None


def addon_dirs(pythonpath_extra):
    """Every odoo.addons directory the interpreter knows (Odoo's, queue_job's...)."""
    env = dict(os.environ)
    if pythonpath_extra:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath_extra, env.get("PYTHONPATH")]))
    probe = subprocess.run(
        [sys.executable, "-c", "import odoo.addons; print('\\n'.join(odoo.addons.__path__))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in probe.stdout.splitlines() if line.strip()], env


def build_addons_path(odoo_root, python_dirs, link_dir):
    paths = []
    # A source tree keeps the community addons beside the package.
    source_addons = Path(odoo_root) / "addons"
    if (source_addons / "mail" / "__manifest__.py").exists():
        paths.append(str(source_addons))
    for directory in python_dirs:
        if Path(directory).is_dir() and str(directory) not in paths:
            paths.append(str(directory))
    paths += [str(STAND_INS), str(link_dir)]
    return ",".join(paths)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def db_args():
    args = []
    host = os.environ.get("PGHOST")
    if not host and not Path("/var/run/postgresql/.s.PGSQL.5432").exists():
        host = "127.0.0.1"
    if host:
        args.append(f"--db_host={host}")
    if os.environ.get("PGPORT"):
        args.append(f"--db_port={os.environ['PGPORT']}")
    if os.environ.get("PGUSER"):
        args.append(f"--db_user={os.environ['PGUSER']}")
    if os.environ.get("PGPASSWORD"):
        args.append(f"--db_password={os.environ['PGPASSWORD']}")
    return args


def drop_database(env, name):
    command = [
        sys.executable,
        "-c",
        (
            "import sys, odoo, odoo.service.db as d;"
            "odoo.tools.config.parse_config(sys.argv[2:]);"
            "d.exp_drop(sys.argv[1]) if d.exp_db_exist(sys.argv[1]) else None"
        ),
        name,
        *db_args(),
    ]
    subprocess.run(command, env=env, capture_output=True, check=False)


#: loggers whose ERROR lines are not failures: the client libraries log a closed
#: socket at ERROR level, and the simulator logs the connections its faults cut.
_NOISY_LOGGERS = ("paramiko", "netmiko", "librouteros", f"odoo.addons.{MODULE}.simulator")


def analyse(log_text):
    """(tests run, failures, problem lines) from an Odoo log."""
    total = 0
    failed = 0
    results = 0
    problems = []
    for line in log_text.splitlines():
        match = _LOG_LINE.match(line)
        if not match:
            continue
        level, logger, msg = match.group("level"), match.group("logger"), match.group("msg")
        result = _RESULT.search(msg) if logger == "odoo.tests.result" else None
        if result:
            results += 1
            total += int(result.group("total"))
            failed += int(result.group("failed")) + int(result.group("errors"))
        if level in ("ERROR", "CRITICAL") and not logger.startswith(_NOISY_LOGGERS):
            problems.append(line)
    if not results:
        problems.append("no test result line in the log: the tests did not run")
    if problems and not failed:
        failed = 1
    return total, failed, problems


def run_once(label, odoo_cmd, env, addons_path, with_demo, log_dir, keep, only="", timeout=1800, test_tags=""):
    db_name = f"silver_test_{label}_{uuid.uuid4().hex[:8]}"
    log_file = Path(log_dir) / f"{label}.log"
    log_file.unlink(missing_ok=True)  # Odoo appends to its log file
    command = [
        *odoo_cmd,
        f"--addons-path={addons_path}",
        *db_args(),
        f"--database={db_name}",
        f"--init={MODULE}",
        "--test-tags=" + (test_tags or f"/{MODULE}" + (f":{only}" if only else "")),
        "--stop-after-init",
        # Odoo starts its HTTP server whenever tests run, --no-http or not: give it a
        # port of its own so parallel runs (and a demo on 8069) never meet.
        f"--http-port={free_port()}",
        "--log-level=info",
        f"--logfile={log_file}",
    ]
    if not with_demo:
        command.append("--without-demo=all")
    print(f"[{label}] installing {MODULE} in {db_name} ({'with' if with_demo else 'without'} demo data)", flush=True)
    timed_out = False
    try:
        process = subprocess.run(
            command, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as expired:
        # subprocess.run has killed Odoo already; a hung test must not hang CI.
        timed_out = True
        process = subprocess.CompletedProcess(command, -9, stdout=expired.stdout or "")
        if isinstance(process.stdout, bytes):
            process.stdout = process.stdout.decode(errors="replace")
    finally:
        if not keep:
            drop_database(env, db_name)
    log_text = log_file.read_text(errors="replace") if log_file.exists() else ""
    log_text += process.stdout or ""
    total, failed, problems = analyse(log_text)
    if timed_out:
        failed = max(failed, 1)
        problems.append(f"odoo did not finish within {timeout} s and was killed")
    elif process.returncode != 0 and not failed:
        failed = 1
        problems.append(f"odoo exited with status {process.returncode}")
    for line in problems[:60]:
        print(f"[{label}] {line}")
    not_run = tours_not_run(log_text)
    if not_run:
        # Skipped is not passed: the log's ERROR line failed the run; said again as one loud line.
        print(f"[{label}] {not_run}", flush=True)
    print(f"[{label}] {total} tests, {failed} failed; log: {log_file}", flush=True)
    return total, failed


def tours_not_run(log_text):
    """'TOURS NOT RUN: <reason>' when the log says the browser tours did not run (tests/tours_common.py), else ''."""
    for line in log_text.splitlines():
        if "TOURS NOT RUN: " in line:
            return "TOURS NOT RUN: " + line.split("TOURS NOT RUN: ", 1)[1].strip()
    return ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the install without demo data")
    parser.add_argument("--keep-db", action="store_true", help="keep the test databases")
    parser.add_argument("--log-dir", help="where to write the Odoo logs (default: a temp dir)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds one Odoo run may take")
    parser.add_argument(
        "--tests",
        default="",
        metavar="CLASS[.METHOD]",
        help="run only these tests, e.g. TestFailures or TestFailures.test_unreachable_device",
    )
    parser.add_argument(
        "--test-tags",
        default="",
        metavar="SPEC",
        help=f"Odoo's --test-tags instead of /{MODULE}, e.g. /{MODULE}:TestFailures or /{MODULE}:TestFailures.test_x",
    )
    parser.add_argument(
        "--runs",
        choices=("both", "nodemo", "demo"),
        default="both",
        help="which databases: without demo data, with, or both (default; --quick = nodemo)",
    )
    args = parser.parse_args(argv)

    extra, odoo_root = find_odoo()
    if odoo_root is None:
        print(SKIP_LINE)
        print("odoo: 0 passed, 0 failed")
        return 0
    python_dirs, env = addon_dirs(extra)
    # Odoo runs from this interpreter, so odoo-bin's own location does not matter.
    odoo_cmd = [sys.executable, str(LAUNCHER)]
    env["SILVER_PARENT_PID"] = str(os.getpid())

    work = Path(tempfile.mkdtemp(prefix="silver_odoo_"))
    link_dir = work / "addons"
    link_dir.mkdir()
    # Odoo finds a module by its directory name: the repository may be called anything.
    (link_dir / MODULE).symlink_to(REPO, target_is_directory=True)
    log_dir = Path(args.log_dir) if args.log_dir else work
    log_dir.mkdir(parents=True, exist_ok=True)
    addons_path = build_addons_path(odoo_root, python_dirs, link_dir)

    runs = [("nodemo", False), ("demo", True)]
    kind = "nodemo" if args.quick else args.runs
    if kind != "both":
        runs = [run for run in runs if run[0] == kind]
    passed = failed = 0
    chosen = args.test_tags or args.tests
    try:
        for label, with_demo in runs:
            total, bad = run_once(
                label,
                odoo_cmd,
                env,
                addons_path,
                with_demo,
                log_dir,
                args.keep_db,
                args.tests,
                args.timeout,
                args.test_tags,
            )
            passed += max(total - bad, 0)
            failed += bad
        if chosen and not passed and not failed:
            # A chosen test that runs nowhere is a typo, not a pass.
            print(f"odoo: no test matched {chosen}")
            failed = 1
    finally:
        shutil.rmtree(link_dir, ignore_errors=True)
        # Logs of a failed run stay for reading (the path was printed above).
        if args.log_dir or not failed:
            shutil.rmtree(work, ignore_errors=True)
    print(f"odoo: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
