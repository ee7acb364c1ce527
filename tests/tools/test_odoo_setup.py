"""tools/odoo_setup.py without the network: what it installs, where the source comes from.

The whole set-up (a copied source tree, a virtual environment, PyPI) is run by
hand as README.md says; these tests cover the parts that decide what it does.
"""

import fcntl
import http.server
import importlib.util
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def load_setup():
    spec = importlib.util.spec_from_file_location("silver_odoo_setup", ROOT / "tools" / "odoo_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


odoo_setup = load_setup()


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def alive(pid):
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


ODOO_REQUIREMENTS = """\
# a comment line
cryptography==3.4.8; python_version < '3.12'  # incompatibility between pyopenssl 19.0.0 and ...
psycopg2==2.9.5 ; python_version == '3.11'
python-ldap==3.4.0 ; sys_platform != 'win32' and python_version < '3.12' # min version = 3.2.0
pytz  # no version pinning
urllib3==1.26.5 ; python_version < '3.12'
"""


def fake_odoo(directory, major=17):
    """The few files of an Odoo source tree the set-up looks at."""
    (directory / "odoo").mkdir(parents=True)
    (directory / "odoo" / "__init__.py").write_text("")
    (directory / "odoo" / "release.py").write_text(f"version_info = ({major}, 0, 0, 'final', 0, '')\n")
    (directory / "requirements.txt").write_text(ODOO_REQUIREMENTS)
    return directory


def test_odoo_requirements_as_they_install_from_pypi():
    lines = odoo_setup.adapt_requirements(ODOO_REQUIREMENTS).splitlines()
    requirements = [line for line in lines if not line.startswith("#")]
    assert requirements == [
        "cryptography==3.4.8; python_version < '3.12'",
        "psycopg2-binary==2.9.5 ; python_version == '3.11'",
        "pytz",
        "urllib3==1.26.5 ; python_version < '3.12'",
        "phonenumbers",
    ]


#: Odoo 17's gevent and greenlet lines, as its requirements.txt has them
GEVENT_PINS = """\
gevent==21.8.0 ; sys_platform != 'win32' and python_version == '3.10'  # (Jammy)
gevent==22.10.2; sys_platform != 'win32' and python_version > '3.10' and python_version < '3.12'
gevent==24.2.1 ; sys_platform != 'win32' and python_version >= '3.12'  # (Noble)
greenlet==1.1.2 ; sys_platform != 'win32' and python_version == '3.10'  # (Jammy)
greenlet==2.0.2 ; sys_platform != 'win32' and python_version > '3.10' and python_version < '3.12'
Werkzeug==2.0.2 ; python_version <= '3.10'
"""


def pins(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_python_310_takes_gevent_and_greenlet_from_the_311_pins_and_nothing_else_moves():
    # gevent 21.8.0 has no CPython 3.10 wheel; the 3.11 pins do. Every other pin stays as Odoo has it.
    adapted = pins(odoo_setup.adapt_requirements(GEVENT_PINS, (3, 10)))
    assert adapted[:6] == [
        "gevent==22.10.2 ; sys_platform != 'win32' and python_version == '3.10'",
        "gevent==22.10.2; sys_platform != 'win32' and python_version > '3.10' and python_version < '3.12'",
        "gevent==24.2.1 ; sys_platform != 'win32' and python_version >= '3.12'",
        "greenlet==2.0.2 ; sys_platform != 'win32' and python_version == '3.10'",
        "greenlet==2.0.2 ; sys_platform != 'win32' and python_version > '3.10' and python_version < '3.12'",
        "Werkzeug==2.0.2 ; python_version <= '3.10'",
    ]
    # No "same or newer" anywhere: the newest of everything does not run Odoo 17.
    assert all("==" in line for line in adapted if line != "phonenumbers")
    assert pins(odoo_setup.adapt_requirements(GEVENT_PINS, (3, 11)))[0].startswith("gevent==21.8.0 ;")


@pytest.mark.parametrize(
    ("marker", "python", "holds"),
    [
        ("", (3, 10), True),
        (" sys_platform != 'win32' and python_version == '3.10'", (3, 10), True),
        (" python_version > '3.10' and python_version < '3.12'", (3, 10), False),
        (" python_version > '3.10' and python_version < '3.12'", (3, 11), True),
        (" python_version >= '3.12'", (3, 12), True),
        (" python_version <= '3.10'", (3, 11), False),
        (" python_version == '3.10' or os_name == 'nt'", (3, 10), None),
    ],
)
def test_markers_are_read_as_pip_reads_them(marker, python, holds):
    assert odoo_setup.marker_applies(marker, python, platform="linux") is holds


def fake_python(path, script):
    """An executable at ``path`` that runs the shell ``script`` (stands for the set-up's interpreter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)
    return path


def complete_setup(cache):
    """A set-up every step of which is recorded done, its interpreter this one."""
    setup = odoo_setup.Setup(cache)
    fake_odoo(setup.src)
    (setup.venv / "bin").mkdir(parents=True)
    (setup.venv / "bin" / "python").symlink_to(sys.executable)
    for name in odoo_setup.STEPS:
        setup.mark(name, 0.0, setup.key(name))
    wanted = os.environ.get("ODOO_PYTHON")  # the interpreter it was made with is the one asked for
    setup.mark("venv", 0.0, setup.key("venv"), python=(shutil.which(wanted) or wanted) if wanted else sys.executable)
    setup.state["checked"] = setup.key("requirements")
    setup.save()
    assert setup.complete()
    return setup


def test_odoo_python_asks_for_another_environment_only_when_it_names_another(tmp_path, monkeypatch):
    monkeypatch.delenv("ODOO_PYTHON", raising=False)
    setup = complete_setup(tmp_path / "cache")
    monkeypatch.setenv("ODOO_PYTHON", sys.executable)
    assert setup.complete()
    monkeypatch.setenv("ODOO_PYTHON", str(tmp_path / "python3.12"))
    assert not setup.complete(), "the environment was made with another interpreter"
    monkeypatch.delenv("ODOO_PYTHON")
    assert setup.complete(), "a later run without ODOO_PYTHON takes the environment as it is"


def test_a_failed_requirements_step_is_not_recorded_and_not_retried_with_other_pins(tmp_path):
    setup = odoo_setup.Setup(tmp_path / "cache")
    fake_odoo(setup.src)
    calls = tmp_path / "pip-calls"
    fake_python(
        setup.python,
        f'if [ "$1" = "-m" ]; then echo "$*" >> {calls}; '
        'echo "ERROR: No matching distribution found for gevent==21.8.0"; exit 1; fi\n'
        f'exec {sys.executable} "$@"\n',
    )
    for name in ("source", "venv"):
        setup.mark(name, 0.0, setup.key(name))
    with pytest.raises(odoo_setup.SetupError, match="did not install on Python"):
        setup.ensure()
    assert len(calls.read_text().splitlines()) == 1, "one pip run, no relaxed second one"
    again = odoo_setup.Setup(tmp_path / "cache")
    assert not again.step_done("requirements", again.key("requirements"))
    assert not again.complete()


def test_a_setup_whose_python_cannot_import_odoo_keeps_no_step_done_and_says_why(tmp_path, capsys):
    setup = odoo_setup.Setup(tmp_path / "cache")
    fake_odoo(setup.src)
    (setup.src / "odoo" / "__init__.py").write_text("from werkzeug.urls import url_quote_missing_here\n")
    fake_python(setup.python, f'PYTHONPATH={setup.src} exec {sys.executable} "$@"\n')
    for name in odoo_setup.STEPS:
        setup.mark(name, 0.0, setup.key(name))
    with pytest.raises(odoo_setup.SetupError) as raised:
        setup.check()
    assert "cannot import Odoo 17" in str(raised.value)
    assert "url_quote_missing_here" in str(raised.value), "the import error's last line is shown"
    assert "Traceback" in setup.log.read_text(), "the whole probe output is in setup.log"
    again = odoo_setup.Setup(tmp_path / "cache")
    assert sorted(again.state["steps"]) == ["source"], "a re-run makes the environment again"


def test_the_setups_interpreter_runs_without_pythonpath(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "another-odoo"))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    setup.run_logged([sys.executable, "-c", "import os; print('seen:', os.environ.get('PYTHONPATH'))"], "a child")
    assert "seen: None" in setup.log.read_text()
    assert "PYTHONPATH" not in setup.found().env()
    assert odoo_setup.Found(sys.executable, "x", "y").env()["PYTHONPATH"] == str(tmp_path / "another-odoo")


def test_a_source_tree_is_copied_without_its_git_history(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    (tree / ".git").mkdir()
    (tree / ".git" / "HEAD").write_text("ref: refs/heads/17.0\n")
    (tree / "odoo" / "__pycache__").mkdir()
    (tree / "odoo" / "__pycache__" / "x.pyc").write_text("")
    monkeypatch.setenv("ODOO_SOURCE", str(tree))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    assert setup.get_source() == {"source": str(tree)}
    assert (setup.src / "odoo" / "release.py").exists()
    assert not (setup.src / ".git").exists()
    assert not (setup.src / "odoo" / "__pycache__").exists()
    assert (tree / ".git" / "HEAD").exists(), "the user's tree is left as it was"


def test_an_archive_holding_one_top_folder_is_unpacked(tmp_path, monkeypatch):
    # The nightly archive holds odoo-17.0.postYYYYMMDD/, GitHub's odoo-17.0/.
    top = fake_odoo(tmp_path / "build" / "odoo-17.0.post20240101")
    archive = tmp_path / "odoo_17.0.latest.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(top, arcname=top.name)
    monkeypatch.setenv("ODOO_SOURCE", str(archive))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    setup.get_source()
    assert (setup.src / "odoo" / "release.py").read_text().startswith("version_info = (17,")
    assert not list(setup.dir.glob("src.partial-*")), "the unpacking folder is cleaned up"


def test_an_archive_escaping_its_folder_is_not_written_outside(tmp_path, monkeypatch):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        data = b"x"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(data)
        bundle.addfile(info, io.BytesIO(data))
    monkeypatch.setenv("ODOO_SOURCE", str(archive))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError):
        setup.get_source()
    assert not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "cache" / "escaped.txt").exists()


def test_another_odoo_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("ODOO_SOURCE", str(fake_odoo(tmp_path / "odoo16", major=16)))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="Odoo 16, not 17"):
        setup.get_source()


def test_an_unknown_source_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ODOO_SOURCE", str(tmp_path / "nowhere"))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="ODOO_SOURCE=.*nowhere"):
        setup.get_source()


def test_odoo_path_is_used_first_and_a_wrong_one_is_refused(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    monkeypatch.setenv("ODOO_PATH", str(tree))
    found = odoo_setup.find_present(sys.executable)
    assert (found.origin, found.root, found.pythonpath) == ("ODOO_PATH", str(tree), str(tree))
    monkeypatch.setenv("ODOO_PATH", str(fake_odoo(tmp_path / "odoo16", major=16)))
    with pytest.raises(odoo_setup.SetupError, match="Odoo 16"):
        odoo_setup.find_present(sys.executable)


def test_remove_takes_only_the_setup_directory(tmp_path):
    setup = odoo_setup.Setup(tmp_path / "cache")
    (setup.src / "odoo").mkdir(parents=True)
    (tmp_path / "cache" / "keys").mkdir()
    setup.remove()
    assert not setup.dir.exists()
    assert (tmp_path / "cache" / "keys").exists(), "the demo's host keys stay"
    # The lock stays: a set-up waiting on it must not find another file in its place.
    assert sorted(os.listdir(tmp_path / "cache")) == ["keys", "odoo-17.0.lock"]


# -- downloads ---------------------------------------------------------------------------------


def odoo_archive(tmp_path):
    top = fake_odoo(tmp_path / "build" / "odoo-17.0.post20240101")
    archive = tmp_path / "odoo.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(top, arcname=top.name)
    return archive.read_bytes()


@pytest.fixture
def server():
    """A local HTTP server: ``serve(path, body, headers=None, cut=None)`` sets what a path answers.

    ``cut``: send only that many bytes of the body (after a Content-Length of the whole).
    Yields (base URL, answers, hits per path).
    """
    answers = {}
    hits = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits[self.path] = hits.get(self.path, 0) + 1
            body, content_type, cut = answers[self.path]
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if cut is None else body[:cut])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, *_args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", answers, hits
    httpd.shutdown()
    httpd.server_close()


def test_a_download_cut_short_is_not_kept(tmp_path, server):
    base, answers, _hits = server
    body = odoo_archive(tmp_path)
    answers["/odoo.tar.gz"] = (body, "application/gzip", len(body) // 2)
    setup = odoo_setup.Setup(tmp_path / "cache")
    with pytest.raises(odoo_setup.SetupError, match="stopped after .* of "):
        setup.download(f"{base}/odoo.tar.gz")
    assert not list(setup.downloads.iterdir()), "nothing is left to be taken for complete"


def test_an_html_page_is_no_archive(tmp_path, server):
    base, answers, _hits = server
    answers["/odoo.tar.gz"] = (b"<!DOCTYPE html><html><body>Log in</body></html>", "text/html", None)
    setup = odoo_setup.Setup(tmp_path / "cache")
    with pytest.raises(odoo_setup.SetupError, match="an HTML page; the server sent text/html"):
        setup.download(f"{base}/odoo.tar.gz")
    assert not list(setup.downloads.iterdir())


def test_a_damaged_cached_archive_is_discarded_and_downloaded_again(tmp_path, server, capsys):
    base, answers, hits = server
    body = odoo_archive(tmp_path)
    answers["/odoo.tar.gz"] = (body, "application/gzip", None)
    setup = odoo_setup.Setup(tmp_path / "cache")
    target = setup.download(f"{base}/odoo.tar.gz")
    assert target.read_bytes() == body
    assert setup.download(f"{base}/odoo.tar.gz") == target
    assert hits["/odoo.tar.gz"] == 1, "a whole archive is downloaded once"
    target.write_bytes(body[: len(body) // 2])  # as a disk filled up, or an older tool's cut download
    capsys.readouterr()
    assert setup.download(f"{base}/odoo.tar.gz").read_bytes() == body
    assert hits["/odoo.tar.gz"] == 2
    assert "is not a whole Odoo archive" in capsys.readouterr().err


# -- a source tree -----------------------------------------------------------------------------


def test_a_source_tree_holding_the_cache_is_refused_before_any_copy(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    monkeypatch.setenv("ODOO_SOURCE", str(tree))
    setup = odoo_setup.Setup(tree / ".cache" / "silver_provisioning")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="contains the cache directory"):
        setup.get_source()
    assert sorted(os.listdir(setup.dir)) == []


def test_a_folder_without_odoo_is_refused_before_any_copy(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    (folder / "big").mkdir(parents=True)
    (folder / "big" / "file").write_bytes(b"x" * 1000)
    monkeypatch.setenv("ODOO_SOURCE", str(folder))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match="no Odoo source tree .no odoo/release.py"):
        setup.get_source()
    assert sorted(os.listdir(setup.dir)) == []


def test_a_copy_error_is_one_line_naming_the_file(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    os.mkfifo(tree / "odoo" / "a_pipe")  # shutil cannot copy a named pipe
    monkeypatch.setenv("ODOO_SOURCE", str(tree))
    setup = odoo_setup.Setup(tmp_path / "cache")
    setup.dir.mkdir(parents=True)
    with pytest.raises(odoo_setup.SetupError, match=r"copying ODOO_SOURCE=.* failed: .*a_pipe.*named pipe"):
        setup.get_source()
    assert not setup.src.exists()
    assert not list(setup.dir.glob("src.partial-*"))


def test_odoo_path_whose_python_lacks_a_requirement_names_it(tmp_path, monkeypatch):
    tree = fake_odoo(tmp_path / "odoo17")
    (tree / "odoo" / "__init__.py").write_text("import psycopg2_not_installed_here\n")
    monkeypatch.setenv("ODOO_PATH", str(tree))
    with pytest.raises(odoo_setup.SetupError) as raised:
        odoo_setup.find_present(sys.executable)
    message = str(raised.value)
    assert "holds Odoo 17, but" in message
    assert "No module named 'psycopg2_not_installed_here'" in message
    monkeypatch.setenv("ODOO_PATH", str(tmp_path))
    with pytest.raises(odoo_setup.SetupError, match="holds no odoo package"):
        odoo_setup.find_present(sys.executable)


# -- interrupted and concurrent set-ups ----------------------------------------------------------


def test_what_a_killed_setup_left_is_removed_at_the_next_run(tmp_path):
    setup = complete_setup(tmp_path / "cache")
    (setup.dir / "src.partial-k1ll3d" / "odoo").mkdir(parents=True)
    setup.downloads.mkdir()
    (setup.downloads / "odoo_17.0.latest.tar.gz.part").write_bytes(b"half")
    setup.ensure()
    assert not list(setup.dir.glob("src.partial-*"))
    assert not list(setup.downloads.iterdir())


def test_a_pip_child_dies_with_a_killed_setup(tmp_path):
    pid_file = tmp_path / "child.pid"
    script = (
        "import sys, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('s', {str(ROOT / 'tools' / 'odoo_setup.py')!r})\n"
        "s = importlib.util.module_from_spec(spec); spec.loader.exec_module(s)\n"
        f"setup = s.Setup({str(tmp_path / 'cache')!r}); setup.dir.mkdir(parents=True)\n"
        "child = 'import os, time; open(%r, \"w\").write(str(os.getpid())); time.sleep(60)' % "
        f"{str(pid_file)!r}\n"
        "setup.run_logged([sys.executable, '-c', child], 'a long pip')\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        assert wait_for(pid_file.exists), "the child did not start"
        child = int(pid_file.read_text())
        parent.kill()
        parent.wait()
        assert wait_for(lambda: not alive(child)), "the child outlived the set-up"
    finally:
        parent.kill()
        parent.wait()


def test_a_second_setup_says_it_waits_for_the_first(tmp_path, capsys):
    setup = complete_setup(tmp_path / "cache")
    with open(setup.lock_file, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("pid 1: setting up Odoo 17\n")
        held.flush()
        waiter = threading.Thread(target=odoo_setup.Setup(tmp_path / "cache").ensure)
        waiter.start()
        assert wait_for(lambda: "Waiting for another set-up" in capsys.readouterr().err, timeout=5)
        assert waiter.is_alive()
    waiter.join(timeout=10)
    assert not waiter.is_alive()


def test_remove_waits_for_a_setup_in_progress(tmp_path):
    setup = complete_setup(tmp_path / "cache")
    with open(setup.lock_file, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        remover = threading.Thread(target=odoo_setup.Setup(tmp_path / "cache").remove)
        remover.start()
        time.sleep(0.3)
        assert setup.dir.exists(), "removed under a running set-up"
    remover.join(timeout=10)
    assert not setup.dir.exists()


@pytest.mark.parametrize("print_python", [False, True])
def test_ctrl_c_while_waiting_is_one_line_and_status_130(tmp_path, print_python):
    setup = complete_setup(tmp_path / "cache")
    command = [sys.executable, str(ROOT / "tools" / "odoo_setup.py"), "ensure", "--cached"]
    command += ["--cache-dir", str(tmp_path / "cache")] + (["--print-python"] if print_python else [])
    with open(setup.lock_file, "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stderr.readline().startswith("Waiting for another set-up")
        process.stdout.close()  # tools/run-tests' `| tail` is gone too after a Ctrl-C
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 130
        rest = process.stderr.read()
    assert "Traceback" not in rest and "Error" not in rest
    assert rest.strip() == ("" if print_python else "tools/odoo_setup.py: interrupted")


def test_a_cache_inside_the_repository_is_refused_whatever_the_action(tmp_path):
    inside = ROOT / "tests" / "tools" / "a-cache-here"
    for action in ("ensure", "remove", "status"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "odoo_setup.py"), action, "--cache-dir", str(inside)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 2, action
        assert "inside the repository" in result.stdout
    assert not inside.exists()
    assert odoo_setup.cache_problem(tmp_path) is None
