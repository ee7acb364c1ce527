"""tools/run-tests and tests/odoo_runner.py: what they refuse, which interpreter, what they keep.

No Odoo suite runs here: the options are refused before any set-up, and the
interpreter choices are made against a set-up in a temporary cache whose
interpreter is this one.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
RUN_TESTS = ROOT / "tools" / "run-tests"


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


odoo_setup = load("silver_odoo_setup_for_run_tests", ROOT / "tools" / "odoo_setup.py")


def run_tests(*arguments, env=None, cwd=None):
    return subprocess.run(
        [str(RUN_TESTS), *arguments], capture_output=True, text=True, timeout=120, env=env, cwd=cwd, check=False
    )


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        (["--odoo-only", "--odoo-tag", "TestFailures"], "unknown option --odoo-tag"),
        (["-k", "huawei"], "unknown option -k (see --help; pytest's own options go after --"),
        (["--odoo-only", "--odoo-tags="], "--odoo-tags= is empty"),
        (["--odoo-only", "--odoo-tags", ""], "--odoo-tags needs a value"),
        (["--odoo-only", "--odoo-tags", "--quick"], "--odoo-tags needs a value"),
        (["--odoo-only", "tests/drivers"], "--odoo-only runs no pytest, yet pytest arguments were given"),
        (["--pytest-only", "--odoo-tags", "/silver_provisioning:X"], "--pytest-only runs no Odoo tests"),
        (["--pytest-only", "--odoo-only"], "exclude each other"),
    ],
)
def test_what_would_be_dropped_or_run_instead_is_refused(arguments, words):
    result = run_tests(*arguments)
    assert result.returncode == 2
    assert words in result.stderr
    assert not result.stdout, "nothing ran"


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """An interpreter with neither pytest nor odoo (a fresh machine's python3)."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return str(venv / "bin" / "python")


def cache_setup(xdg):
    """A complete set-up in ``xdg``/silver_provisioning whose interpreter is this one (it has pytest)."""
    setup = odoo_setup.Setup(Path(xdg) / "silver_provisioning")
    (setup.src / "odoo").mkdir(parents=True)
    (setup.src / "odoo" / "release.py").write_text("version_info = (17, 0, 0, 'final', 0, '')\n")
    (setup.venv / "bin").mkdir(parents=True)
    (setup.venv / "bin" / "python").symlink_to(sys.executable)
    for name in odoo_setup.STEPS:
        setup.mark(name, 0.0, setup.key(name))
    setup.state["checked"] = setup.key("requirements")
    setup.save()
    assert setup.complete()
    return setup


def test_pytest_only_on_a_python_without_pytest_uses_the_setups_interpreter(tmp_path, bare_python):
    cache_setup(tmp_path / "xdg")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env["PYTHON"] = bare_python
    env["PYTHONPATH"] = str(tmp_path / "another-odoo")  # the set-up's interpreter runs without it
    target = "tests/tools/test_odoo_setup.py::test_markers_are_read_as_pip_reads_them"
    result = run_tests("--pytest-only", target, "--", "-x", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lacks the test requirements" in result.stdout
    assert "7 passed" in result.stdout


def test_a_relative_odoo_source_is_the_callers(tmp_path, bare_python):
    caller = tmp_path / "somewhere"
    caller.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.update(PYTHON=bare_python, ODOO_SOURCE="odoo-17-tree")  # there is none: the message names where it looked
    result = run_tests("--odoo-only", env=env, cwd=caller)
    assert result.returncode == 1
    assert f"ODOO_SOURCE={caller}/odoo-17-tree: not a URL" in result.stdout


def test_the_logs_of_a_run_that_matched_no_test_stay(tmp_path, monkeypatch, capsys):
    runner = load("silver_odoo_runner_for_tests", ROOT / "tests" / "odoo_runner.py")
    monkeypatch.setattr(runner, "find_odoo", lambda: ("", str(tmp_path)))
    monkeypatch.setattr(runner, "addon_dirs", lambda _extra: ([], {}))
    logs = []

    def run_once(label, _cmd, _env, _path, _demo, log_dir, *_rest):
        # What Odoo does when --test-tags matches nothing: a log, no test.
        log = Path(log_dir) / f"{label}.log"
        log.write_text("odoo.tests.result: 0 failed, 0 error(s) of 0 tests\n")
        logs.append(log)
        return 0, 0

    monkeypatch.setattr(runner, "run_once", run_once)
    assert runner.main(["--test-tags", "/silver_provisioning:TestNoSuchClass", "--runs", "nodemo"]) == 1
    assert "odoo: no test matched /silver_provisioning:TestNoSuchClass" in capsys.readouterr().out
    assert logs and logs[0].exists(), "the log a failed run points at was deleted"
    for log in logs:
        log.unlink()
        log.parent.rmdir()


def test_tours_not_run_fail_the_run_in_one_loud_line():
    """tests/tours_common.py logs one ERROR line when the tours cannot run: a failure, said once."""
    runner = load("silver_odoo_runner_for_tours", ROOT / "tests" / "odoo_runner.py")
    log = (
        "2026-12-02 03:00:00,000 1 ERROR db odoo.addons.silver_provisioning.tests.tours_common: "
        "TOURS NOT RUN: no Chromium found (install Debian's chromium package)\n"
        "2026-12-02 03:00:09,000 1 INFO db odoo.tests.result: 0 failed, 0 error(s) of 6 tests\n"
    )
    total, failed, problems = runner.analyse(log)
    assert (total, failed) == (6, 1), "skipped tours passed the run"
    assert len(problems) == 1
    assert runner.tours_not_run(log) == "TOURS NOT RUN: no Chromium found (install Debian's chromium package)"
    assert runner.tours_not_run(log.replace("TOURS NOT RUN", "tours ran")) == ""
