#!/usr/bin/env python3
"""Find Odoo 17, or set it up once in the cache directory.

    python3 tools/odoo_setup.py ensure       # what tools/demo and tools/run-tests do first
    python3 tools/odoo_setup.py status
    python3 tools/odoo_setup.py remove       # = tools/demo --remove-odoo = tools/run-tests --remove-odoo

An Odoo that is there is always used first: ``ODOO_PATH`` (an Odoo 17 source
tree, the folder holding ``odoo-bin``), then an ``odoo`` the running Python
imports, then one set up here before.  Otherwise it is set up, once, in
``${XDG_CACHE_HOME:-~/.cache}/silver_provisioning/odoo-17.0/``:

    src/   Odoo 17.0 from ODOO_SOURCE: a URL, a .tar.gz / .zip archive or a
           source tree (copied); by default Odoo's official nightly source
           archive, DEFAULT_SOURCE below
    venv/  a virtual environment with Odoo's requirements.txt as it installs on
           a current Python (psycopg2-binary for psycopg2, python-ldap left out:
           only auth_ldap needs it and it builds against libldap; phonenumbers
           added; on Python 3.10 gevent and greenlet from the 3.11 pins, as
           Odoo's own have no wheel there), urllib3 2.0 when the resolved
           cryptography is too recent for urllib3 1.26's pyOpenSSL, OCA
           queue_job 17.0 from PyPI and this addon's requirements.txt

The Python packages always come from PyPI (or the index pip is configured
with): ODOO_SOURCE replaces only the download of Odoo's source.

Each step is done once and remembered in ``setup.json``; an interrupted set-up
goes on from the step that did not finish, and a set-up whose Python then
cannot import Odoo and the requirements is not marked done.  Nothing is
written inside the repository.  ``ODOO_PYTHON`` chooses the interpreter of the
virtual environment (default: the running one when Odoo 17 supports it, else
the first python3.12 / 3.11 / 3.10 on PATH).  The set-up's interpreter runs
without PYTHONPATH: another Odoo there would shadow its own.
"""

# A command-line tool: it reports on stdout / stderr.
# pylint: disable=print-used
import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERIES = "17.0"
#: Odoo S.A.'s nightly build of the 17.0 branch, as a source archive (odoo/ with the
#: community addons inside odoo/addons/).  The GitHub branch archive works too:
#: ODOO_SOURCE=https://github.com/odoo/odoo/archive/refs/heads/17.0.tar.gz
DEFAULT_SOURCE = "https://nightly.odoo.com/17.0/nightly/src/odoo_17.0.latest.tar.gz"
QUEUE_JOB = "odoo-addon-queue_job==17.0.*"
#: Odoo 17's odoo/__init__.py accepts 3.10 to 3.12
SUPPORTED_PYTHONS = ((3, 12), (3, 11), (3, 10))
#: per step: bump one when what it does changes, so an older set-up does it (and what follows) again
STEP_RECIPES = {"source": 1, "venv": 1, "requirements": 2, "queue_job": 1}
STEPS = tuple(STEP_RECIPES)
#: where the virtual environment finds the source: a .pth line, as a checkout on PYTHONPATH
PTH_NAME = "silver_provisioning_odoo.pth"
#: Odoo's pins that PyPI has no wheel of for the Python they are pinned for, and what is taken
#: instead.  Python 3.10: gevent 21.8.0 (Ubuntu 22.04's) predates CPython 3.10 wheels and does not
#: build with a current Cython; the 3.11 pins have cp310 wheels (gevent 22.10 needs greenlet 2).
PIN_OVERRIDES = {(3, 10): {"gevent": "22.10.2", "greenlet": "2.0.2"}}
#: environment variables the set-up's interpreter runs without: they would put another Python's
#: packages (another Odoo's, say) before its own
FOREIGN_PYTHON_VARIABLES = ("PYTHONPATH", "PYTHONHOME")


class SetupError(Exception):
    """The set-up cannot go on; the message says why and what to do, in one line."""


def cache_root():
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "silver_provisioning"


def cache_problem(cache):
    """Why ``cache`` cannot be the cache directory, or None.

    It holds the simulators' private SSH host keys and may hold an Odoo: never
    a folder of the repository, where ``git add`` would take them.
    """
    resolved = Path(cache).expanduser().resolve()
    if resolved == REPO or resolved.is_relative_to(REPO):
        return (
            f"the cache directory {resolved} is inside the repository {REPO}; it holds the simulators' "
            "private host keys and Odoo's set-up: choose one outside it (--cache-dir, or XDG_CACHE_HOME)"
        )
    return None


def say(text="", end="\n"):
    print(text, end=end, file=sys.stderr, flush=True)


def human_size(count):
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"


def human_time(seconds):
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def venv_env(base=None):
    """The environment the set-up's interpreter runs in: without another Python's paths."""
    env = dict(os.environ if base is None else base)
    for name in FOREIGN_PYTHON_VARIABLES:
        env.pop(name, None)
    return env


try:
    import ctypes

    _LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
except (ImportError, OSError):
    _LIBC = None
_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """``preexec_fn``: the child gets SIGTERM when this process dies (Linux), even by SIGKILL."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Progress:
    """A line that counts up: rewritten in place on a terminal, every tenth of the way in a log."""

    def __init__(self, label, total=None, unit="bytes"):
        self.label = label
        self.total = total or None
        self.unit = unit
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_print = 0.0
        self.last_tenth = -1

    def _text(self):
        amount = human_size(self.done) if self.unit == "bytes" else f"{self.done}"
        if self.total:
            total = human_size(self.total) if self.unit == "bytes" else f"{self.total}"
            text = f"  {self.label}: {amount} / {total} ({100 * self.done // self.total}%)"
        else:
            text = f"  {self.label}: {amount}"
        if self.unit == "bytes":
            elapsed = max(time.monotonic() - self.started, 1e-6)
            text += f", {human_size(self.done / elapsed)}/s"
        return text if self.unit == "bytes" else f"{text} {self.unit}"

    def add(self, count):
        self.done += count
        now = time.monotonic()
        if self.tty:
            if now - self.last_print >= 0.2:
                self.last_print = now
                say("\r" + self._text().ljust(79), end="")
        elif self.total:
            tenth = 10 * self.done // self.total
            if tenth > self.last_tenth:
                self.last_tenth = tenth
                say(self._text())
        elif now - self.last_print >= 10:
            self.last_print = now
            say(self._text())

    def finish(self):
        if self.tty:
            say("\r" + self._text().ljust(79))
        elif not self.total or self.last_tenth < 10:
            say(self._text())


# -- finding an Odoo that is there ------------------------------------------------------

_PROBE = (
    "import os, odoo, odoo.release as r;"
    "print(r.version_info[0], os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))"
)


def run_probe(python, env):
    """((major version, directory holding ``odoo``) or None, what the interpreter said on stderr)."""
    try:
        result = subprocess.run([python, "-c", _PROBE], env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        return None, str(error)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return None, result.stderr
    major, _, root = lines[-1].partition(" ")
    return ((int(major), root) if major.isdigit() else None), result.stderr


def probe(python, pythonpath=""):
    """(major version, directory holding the ``odoo`` package) as ``python`` imports it, or None."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    return run_probe(python, env)[0]


def last_line(text, default="?"):
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else default


#: the set-up works when these import (queue_job is only found: importing it needs a registry)
_CHECK = (
    "import importlib.util, psycopg2, lxml, requests, OpenSSL, werkzeug, netmiko, librouteros, textfsm, pytest;"
    "assert importlib.util.find_spec('odoo.addons.queue_job'), 'odoo.addons.queue_job not found'"
)


class Found:
    """An Odoo 17 to run: the interpreter, what to add to PYTHONPATH, where from.

    ``isolated``: the set-up's own interpreter, run without PYTHONPATH (``env()``).
    """

    def __init__(self, python, origin, root, pythonpath="", isolated=False):
        self.python = python
        self.origin = origin
        self.root = root
        self.pythonpath = pythonpath
        self.isolated = isolated

    def describe(self):
        return f"Odoo 17 from {self.origin}: {self.root} (Python {self.python})"

    def env(self, base=None):
        return venv_env(base) if self.isolated else dict(os.environ if base is None else base)


def odoo_version(tree):
    """The major version in ``tree/odoo/release.py``, or None when there is none."""
    try:
        text = (Path(tree) / "odoo" / "release.py").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^version_info\s*=\s*\((\d+)", text, re.MULTILINE)
    return int(match.group(1)) if match else None


def find_present(python):
    """ODOO_PATH, then an importable odoo; None when neither is an Odoo 17."""
    odoo_path = os.environ.get("ODOO_PATH")
    if odoo_path:
        version = odoo_version(odoo_path)
        if version is None:
            # Checked first: an odoo importable anyway would pass for the one ODOO_PATH names.
            raise SetupError(
                f"ODOO_PATH={odoo_path} holds no odoo package (no odoo/release.py in it): point it at an "
                "Odoo 17 source tree (the folder holding odoo-bin), or unset it"
            )
        if version != 17:
            raise SetupError(
                f"ODOO_PATH={odoo_path} holds Odoo {version}: point it at an Odoo 17 source tree, or unset it"
            )
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [odoo_path, env.get("PYTHONPATH")]))
        found, stderr = run_probe(python, env)
        if found is not None and found[0] == 17:
            return Found(python, "ODOO_PATH", found[1], odoo_path)
        # The tree is there; the interpreter lacks what Odoo imports (psycopg2, say).
        raise SetupError(
            f"ODOO_PATH={odoo_path} holds Odoo 17, but {python} cannot import it: {last_line(stderr)} "
            "(install Odoo's requirements into that Python, or unset ODOO_PATH and let the tools set up their own)"
        )
    found = probe(python)
    if found is not None and found[0] == 17:
        return Found(python, "this Python's odoo package", found[1])
    if found is not None:
        say(f"Odoo {found[0]} is importable ({found[1]}), not 17: using Odoo 17 from the cache instead.")
    return None


# -- the set-up in the cache -------------------------------------------------------------


class Setup:
    def __init__(self, root=None):
        self.root = Path(root or cache_root())
        self.dir = self.root / f"odoo-{SERIES}"
        self.src = self.dir / "src"
        self.venv = self.dir / "venv"
        self.downloads = self.dir / "downloads"
        self.state_file = self.dir / "setup.json"
        self.log = self.dir / "setup.log"
        # Beside the set-up, not in it: --remove-odoo deletes the folder while holding it.
        self.lock_file = self.root / f"odoo-{SERIES}.lock"
        self.state = {}
        self.load()

    # state ----------------------------------------------------------------------------
    def load(self):
        try:
            self.state = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            self.state = {}

    def save(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self.state, indent=1, sort_keys=True))
        temporary.replace(self.state_file)

    def step_done(self, name, key=None):
        entry = self.state.get("steps", {}).get(name)
        return bool(entry) and entry.get("key") == key

    def mark(self, name, seconds, key=None, **facts):
        self.state.setdefault("steps", {})[name] = {"key": key, "seconds": round(seconds, 1), **facts}
        self.save()

    def forget(self, *names):
        for name in names:
            self.state.get("steps", {}).pop(name, None)
        self.state.pop("checked", None)
        self.save()

    @property
    def python(self):
        return self.venv / "bin" / "python"

    def current(self, name):
        """Whether step ``name`` is done and still what is asked for."""
        if not self.step_done(name, self.key(name)):
            return False
        wanted = os.environ.get("ODOO_PYTHON")
        if name == "venv" and wanted:
            # ODOO_PYTHON names another interpreter than the one the environment was made with.
            return (shutil.which(wanted) or wanted) == self.state["steps"]["venv"].get("python")
        return True

    def complete(self):
        return (
            all(self.current(name) for name in STEPS)
            and self.state.get("checked") == self.key("requirements")
            and self.python.exists()
            and (self.src / "odoo" / "release.py").exists()
        )

    def key(self, name):
        """What a step's result depends on: when it changes, the step runs again."""
        recipe = f"{STEP_RECIPES[name]}"
        if name == "requirements":
            text = (self.src / "requirements.txt").read_text() if (self.src / "requirements.txt").exists() else ""
            addon = (REPO / "requirements.txt").read_text()
            return hashlib.sha256(f"{recipe}\n{text}\n{addon}".encode()).hexdigest()[:16]
        return recipe

    def found(self):
        return Found(str(self.python), f"the set-up in {self.dir}", str(self.src), isolated=True)

    @contextlib.contextmanager
    def locked(self, purpose):
        """Hold the set-up's lock: one set-up (or removal) at a time; says so when it waits."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.lock_file, "a+", encoding="utf-8") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.seek(0)
                holder = lock.read().strip() or "another process"
                say(f"Waiting for another set-up of Odoo 17 in {self.dir} to finish ({holder}) ...")
                fcntl.flock(lock, fcntl.LOCK_EX)
            lock.seek(0)
            lock.truncate()
            lock.write(f"pid {os.getpid()}: {purpose}\n")
            lock.flush()
            yield

    def clean_leftovers(self):
        """What a killed set-up left half-written (it never is the set-up's state)."""
        stale = [*self.dir.glob("src.partial-*"), *self.downloads.glob("*.part")]
        for path in stale:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        if stale:
            say(f"Removed what an interrupted set-up left: {', '.join(path.name for path in stale)}")

    # running it -------------------------------------------------------------------------
    def ensure(self):
        """The set-up's Found, setting up what is missing; raises SetupError."""
        problem = cache_problem(self.root)
        if problem:
            raise SetupError(problem)
        with self.locked("setting up Odoo 17"):
            self.dir.mkdir(parents=True, exist_ok=True)
            self.clean_leftovers()
            self.load()
            if self.complete():
                return self.found()
            return self._set_up()

    def _set_up(self):
        started = time.monotonic()
        if self.state.get("steps"):
            say(f"Odoo 17's set-up in {self.dir} did not finish: going on from where it stopped")
        else:
            say(f"Odoo 17 is not installed here: setting it up once in {self.dir}")
        say(f"  (a few minutes and about 1.2 GB; the log is {self.log}; remove it all with --remove-odoo)")
        timings = []
        redo = False
        for name, step in (
            ("source", self.get_source),
            ("venv", self.make_venv),
            ("requirements", self.install_requirements),
            ("queue_job", self.install_queue_job),
        ):
            # A step done again makes what was built on it stale.
            if not redo and self.current(name):
                continue
            redo = True
            step_started = time.monotonic()
            facts = step() or {}
            seconds = time.monotonic() - step_started
            self.mark(name, seconds, self.key(name), **facts)
            timings.append(f"{name} {human_time(seconds)}")
        self.check()
        self.state["checked"] = self.key("requirements")
        self.save()
        steps = f": {', '.join(timings)}" if timings else ""
        say(f"Odoo 17 is set up in {self.dir} ({human_time(time.monotonic() - started)}{steps}).")
        return self.found()

    def write_log(self, text):
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(text if text.endswith("\n") else text + "\n")

    def run_logged(self, command, label, show=None):
        """Run ``command``, its output into the set-up log; lines matching ``show`` are printed."""
        with open(self.log, "a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(map(str, command))}\n")
            log.flush()
            process = subprocess.Popen(
                [str(part) for part in command],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                env=venv_env(),
                preexec_fn=die_with_parent,  # no pip outlives a set-up that is killed
            )
            tail = []
            try:
                for line in process.stdout:
                    log.write(line)
                    tail = [*tail[-30:], line.rstrip()]
                    if show and show.match(line):
                        # pip says where each requirement came from: the package is enough here.
                        say(f"  {re.sub(r' [(]from .*', '', line.strip())}")
                status = process.wait()
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        if status != 0:
            for line in tail[-15:]:
                say(f"    {line}")
            raise SetupError(f"{label} failed (exit status {status}); the whole output is in {self.log}")

    # source ----------------------------------------------------------------------------
    def get_source(self):
        source = os.environ.get("ODOO_SOURCE") or DEFAULT_SOURCE
        local = Path(source).expanduser()
        tree = None
        if not re.match(r"^(https?|ftp|file)://", source):
            if local.is_dir():
                tree = self.source_tree(source, local)
            elif not local.is_file():
                raise SetupError(f"ODOO_SOURCE={source}: not a URL, an archive (.tar.gz, .zip) or a directory")
        shutil.rmtree(self.src, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix="src.partial-", dir=self.dir))
        try:
            if tree is not None:
                say(f"[1/4] Copying the Odoo source tree {tree} into {self.src}")
                try:
                    copy_tree(tree, work / "tree")
                except (shutil.Error, OSError) as error:
                    raise SetupError(f"copying ODOO_SOURCE={source} failed: {copy_error(error)}") from None
            elif local.is_file():
                say(f"[1/4] Unpacking {source} into {self.src}")
                unpack(local, work)
            else:
                archive = self.download(source)
                say(f"[1/4] Unpacking {archive.name} into {self.src}")
                unpack(archive, work)
            root = source_root(work)
            root.rename(self.src)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return {"source": source}

    def source_tree(self, source, local):
        """The Odoo 17 tree in the directory ``local`` (it, or one folder down), checked before any copy."""
        local = local.resolve()
        if self.dir.resolve().is_relative_to(local):
            raise SetupError(
                f"ODOO_SOURCE={source} contains the cache directory {self.root}: it would be copied into "
                "itself; point it at the Odoo source tree itself (the folder holding odoo-bin)"
            )
        candidates = [local, *sorted(path.parent.parent for path in local.glob("*/odoo/release.py"))]
        for tree in candidates:
            version = odoo_version(tree)
            if version == 17:
                return tree
            if version is not None:
                raise SetupError(f"ODOO_SOURCE={source} is Odoo {version}, not 17")
        raise SetupError(
            f"ODOO_SOURCE={source} is no Odoo source tree (no odoo/release.py in it): "
            "point it at the folder holding odoo-bin, an archive or a URL"
        )

    def download(self, url):
        name = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "odoo-source"
        if not re.search(r"\.(tar(\.\w+)?|tgz|zip)$", name):
            name += ".tar.gz"
        target = self.downloads / name
        done_marker = target.with_name(target.name + ".complete")
        if target.exists() and done_marker.exists() and done_marker.read_text() == url:
            problem = archive_problem(target)
            if problem is None:
                say(f"[1/4] Using {target}, downloaded before from {url}")
                return target
            say(f"[1/4] {target}, downloaded before, is not a whole Odoo archive ({problem}): discarding it")
        target.unlink(missing_ok=True)
        done_marker.unlink(missing_ok=True)
        self.downloads.mkdir(parents=True, exist_ok=True)
        say(f"[1/4] Downloading Odoo {SERIES} from {url}")
        say(f"      to {target}")
        partial = target.with_name(target.name + ".part")
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "silver_provisioning-setup"})
            with urllib.request.urlopen(request, timeout=60) as answer, open(partial, "wb") as output:
                expected = int(answer.headers.get("Content-Length") or 0)
                kind = answer.headers.get_content_type()
                progress = Progress("downloaded", expected)
                while chunk := answer.read(1 << 20):
                    output.write(chunk)
                    progress.add(len(chunk))
                progress.finish()
        except (OSError, ValueError) as error:
            partial.unlink(missing_ok=True)
            raise SetupError(
                f"downloading {url} failed ({error}); without internet access, set ODOO_SOURCE "
                "to an Odoo 17 archive or source tree on this machine (the Python packages still come from PyPI)"
            ) from None
        received = partial.stat().st_size
        # http.client ends a body cut short without an error: the length tells.
        if expected and received != expected:
            partial.unlink(missing_ok=True)
            raise SetupError(
                f"downloading {url} stopped after {human_size(received)} of {human_size(expected)}: "
                "the connection was cut; run again to download it anew"
            )
        problem = archive_problem(partial)
        if problem:
            partial.unlink(missing_ok=True)
            raise SetupError(
                f"{url} gave no Odoo source archive ({problem}; the server sent {kind}): check ODOO_SOURCE"
            )
        partial.replace(target)
        done_marker.write_text(url)
        return target

    # virtual environment -----------------------------------------------------------------
    def make_venv(self):
        python = choose_python()
        shutil.rmtree(self.venv, ignore_errors=True)
        say(f"[2/4] Creating a virtual environment in {self.venv} (Python {python_version(python)}: {python})")
        self.run_logged([python, "-m", "venv", self.venv], "creating the virtual environment")
        site = subprocess.run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            env=venv_env(),
        ).stdout.strip()
        # As a source checkout on PYTHONPATH: odoo/ from src, odoo.addons also from
        # site-packages, where PyPI's odoo-addon-* packages go.
        (Path(site) / PTH_NAME).write_text(f"{self.src}\n")
        # Odoo 17 imports pkg_resources, which setuptools 81 dropped; 68 is what Ubuntu 24.04
        # ships beside Odoo 17 (Python 3.12's venv has no setuptools at all).
        self.run_logged(
            [self.python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "wheel", "setuptools>=65,<69"],
            "updating pip in the virtual environment",
        )
        return {"python": python, "version": python_version(python)}

    def pip(self, *arguments, label, show=None):
        command = [self.python, "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
        self.run_logged([*command, *arguments], label, show)

    def install_requirements(self):
        version = python_version(str(self.python))
        python = tuple(int(part) for part in version.split(".")) if version else None
        odoo_requirements = self.dir / "requirements-odoo.txt"
        odoo_requirements.write_text(adapt_requirements((self.src / "requirements.txt").read_text(), python))
        say(f"[3/4] Installing from PyPI into the virtual environment: Odoo's requirements ({odoo_requirements})")
        say(f"      and this addon's ({REPO / 'requirements.txt'})")
        show = re.compile(r"^(Collecting|Successfully installed) ")
        arguments = ["--prefer-binary", "-r", odoo_requirements, "-r", REPO / "requirements.txt"]
        try:
            self.pip(*arguments, label="installing the requirements", show=show)
        except SetupError as error:
            # Odoo pins what Ubuntu ships; newest-of-everything does not run Odoo 17, so no fallback.
            raise SetupError(
                f"{error}. Odoo 17's pinned requirements did not install on Python {version}; Python 3.11 "
                "and 3.12 take them as wheels: ODOO_PYTHON=python3.12 (the next run makes the environment again)"
            ) from None
        versions = installed(self.python, "cryptography", "urllib3")
        cryptography, urllib3 = versions.get("cryptography", "0"), versions.get("urllib3", "0")
        if major(cryptography) >= 38 and major(urllib3) < 2:
            say(f"  cryptography {cryptography} breaks urllib3 {urllib3}'s pyOpenSSL support: installing urllib3 2.0")
            self.pip("urllib3>=2,<2.1", label="installing urllib3 2.0")
        return {"overrides": sorted(PIN_OVERRIDES.get(python, {}))}

    def install_queue_job(self):
        say(f"[4/4] Installing OCA queue_job 17.0 from PyPI ({QUEUE_JOB}, without dependencies)")
        self.pip("--no-deps", QUEUE_JOB, label="installing queue_job", show=re.compile(r"^Successfully installed "))
        return {"queue_job": installed(self.python, "odoo-addon-queue_job").get("odoo-addon-queue_job")}

    def check(self):
        """Odoo 17 and the requirements import; otherwise nothing of the environment stays marked done."""
        problem = self.verify()
        if problem:
            self.forget("venv", "requirements", "queue_job")
            raise SetupError(
                f"the set-up in {self.dir} does not work: {problem} (whole output: {self.log}); "
                "the next run makes its environment again"
            )

    def verify(self):
        """None when the set-up's interpreter imports Odoo 17 and the requirements, else what failed."""
        for what, code in (("import Odoo 17", _PROBE), ("import the requirements", _CHECK)):
            command = [str(self.python), "-c", code]
            try:
                result = subprocess.run(command, env=venv_env(), capture_output=True, text=True, check=False)
            except OSError as error:
                return f"its Python does not run ({error})"
            self.write_log(f"\n$ {' '.join(command)}\n{result.stdout}{result.stderr}[exit status {result.returncode}]")
            if result.returncode != 0:
                return f"its Python cannot {what}: {last_line(result.stderr, f'exit status {result.returncode}')}"
            if code is _PROBE and not result.stdout.strip().split()[:1] == ["17"]:
                return f"its Python imports another Odoo: {last_line(result.stdout)}"
        return None

    # removing it --------------------------------------------------------------------------
    def remove(self):
        with self.locked("removing the set-up"):
            if not self.dir.exists():
                say(f"Nothing to remove: {self.dir} does not exist.")
                return
            size = sum(path.lstat().st_size for path in self.dir.rglob("*"))
            shutil.rmtree(self.dir)
            say(f"Removed {self.dir} ({human_size(size)}): Odoo 17's source, its virtual environment and downloads.")

    def status(self):
        if not self.dir.exists():
            return f"No Odoo set up in {self.dir}."
        steps = self.state.get("steps", {})
        done = ", ".join(f"{name} ({human_time(entry['seconds'])})" for name, entry in steps.items())
        state = "complete" if self.complete() else "incomplete"
        return f"Odoo 17 set-up in {self.dir}: {state}; steps done: {done or 'none'}"


# -- helpers of the steps ---------------------------------------------------------------------

_MARKER_CLAUSE = re.compile(r"^\s*(python_version|sys_platform)\s*(==|!=|<=|>=|<|>)\s*['\"]([^'\"]*)['\"]\s*$")


def marker_applies(marker, python, platform=sys.platform):
    """Whether a requirement's ``; marker`` holds for Python ``python`` (a (3, 10) tuple).

    Only what Odoo's requirements.txt uses: python_version and sys_platform
    clauses joined by ``and``; None for anything else.
    """
    if not marker.strip():
        return True
    if re.search(r"\bor\b|[()]", marker):
        return None
    for clause in re.split(r"\band\b", marker):
        match = _MARKER_CLAUSE.match(clause)
        if not match:
            return None
        variable, operator, value = match.groups()
        if variable == "python_version":
            left, right = tuple(python), tuple(int(part) for part in value.split(".") if part.isdigit())
        else:
            left, right = platform, value
        holds = {
            "==": left == right,
            "!=": left != right,
            "<": left < right,
            "<=": left <= right,
            ">": left > right,
            ">=": left >= right,
        }[operator]
        if not holds:
            return False
    return True


def adapt_requirements(text, python=None):
    """Odoo's requirements.txt as it installs from PyPI wheels on Python ``python`` (a (3, 10) tuple)."""
    overrides = PIN_OVERRIDES.get(tuple(python or ()), {})
    lines = [
        "# Odoo's requirements.txt, adapted by silver_provisioning's tools/odoo_setup.py:",
        "# psycopg2-binary for psycopg2, no python-ldap, phonenumbers added.",
    ]
    if overrides:
        taken = ", ".join(f"{name} {version}" for name, version in sorted(overrides.items()))
        lines.append(f"# Python {'.'.join(map(str, python))}: {taken} (PyPI has no wheel of Odoo's pins here).")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name = re.match(r"^[A-Za-z0-9._-]+", line).group(0)
        if name.lower() == "python-ldap":
            continue
        if name.lower() == "psycopg2":
            line = "psycopg2-binary" + line[len(name) :]
        requirement, semicolon, marker = line.partition(";")
        override = overrides.get(name.lower())
        if override and marker_applies(marker, python):
            line = f"{name}=={override}" + (f" ;{marker}" if semicolon else "")
        lines.append(line)
    lines.append("phonenumbers")
    return "\n".join(lines) + "\n"


def major(version):
    match = re.match(r"\d+", version or "")
    return int(match.group(0)) if match else 0


def installed(python, *names):
    code = (
        "import sys, json, importlib.metadata as m\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    result = subprocess.run([python, "-c", code, *names], capture_output=True, text=True, check=False, env=venv_env())
    return json.loads(result.stdout or "{}") if result.returncode == 0 else {}


def python_version(python):
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
            env=venv_env(),
        )
    except OSError:
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def choose_python():
    """An interpreter Odoo 17 runs on, with venv and ensurepip."""
    wanted = os.environ.get("ODOO_PYTHON")
    candidates = [wanted] if wanted else [sys.executable] + [f"python{a}.{b}" for a, b in SUPPORTED_PYTHONS]
    supported = {f"{a}.{b}" for a, b in SUPPORTED_PYTHONS}
    for candidate in candidates:
        path = shutil.which(candidate) or candidate
        version = python_version(path)
        if not version or (version not in supported and not wanted):
            continue
        venv_ok = subprocess.run(
            [path, "-c", "import venv, ensurepip"], capture_output=True, check=False, env=venv_env()
        )
        if venv_ok.returncode != 0:
            raise SetupError(
                f"{path} (Python {version}) cannot create a virtual environment with pip: install its venv "
                f"module (Debian/Ubuntu: apt install python{version}-venv)"
            )
        return path
    if wanted:
        raise SetupError(f"ODOO_PYTHON={wanted} does not run")
    raise SetupError(
        f"Odoo 17 runs on Python 3.10 to 3.12 and none is on PATH (this is {python_version(sys.executable)}): "
        "install one, or set ODOO_PYTHON=/path/to/python3.x"
    )


_RELEASE_MEMBER = re.compile(r"^(?:[^/]+/){0,2}odoo/release\.py$")


def archive_problem(path):
    """None when ``path`` is a whole .tar.* or .zip archive with an Odoo source in it, else why not.

    Every member is walked: a compressed stream cut short fails here, not
    half-way through unpacking it on a later run.
    """
    names = []
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as bundle:
                names = [member.filename for member in bundle.infolist()]
        else:
            with tarfile.open(path, mode="r:*") as bundle:
                names = [member.name for member in bundle]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        kind = "an HTML page" if _looks_like_html(path) else "not a readable .tar.gz / .zip archive"
        return f"{kind}: {error}" if kind.startswith("not") else kind
    if not any(_RELEASE_MEMBER.match(name.lstrip("./")) for name in names):
        return "an archive without odoo/release.py"
    return None


def _looks_like_html(path):
    try:
        with open(path, "rb") as handle:
            head = handle.read(512).lstrip().lower()
    except OSError:
        return False
    return head.startswith((b"<!doctype html", b"<html"))


def unpack(archive, target):
    """Extract a .tar.* or .zip archive into ``target``, showing how far it got."""
    total = archive.stat().st_size
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
            progress = Progress("unpacked", len(members), unit="files")
            for member in members:
                bundle.extract(member, target)  # zipfile keeps names inside target
                progress.add(1)
            progress.finish()
        return
    progress = Progress("unpacked", total)
    with open(archive, "rb") as raw:
        reader = _CountingReader(raw, progress)
        try:
            with tarfile.open(fileobj=reader, mode="r|*") as bundle:
                if hasattr(tarfile, "data_filter"):
                    bundle.extractall(target, filter="data")
                else:
                    bundle.extractall(target, members=_safe_members(bundle))
        except (tarfile.TarError, EOFError, OSError) as error:
            raise SetupError(f"{archive}: not a readable .tar.gz / .zip archive ({error})") from None
    progress.finish()


def _safe_members(bundle):
    """Members that stay inside the target (Pythons without tarfile's extraction filters)."""
    for member in bundle:
        parts = Path(member.name).parts
        if member.name.startswith("/") or ".." in parts or member.islnk() or member.issym():
            continue
        yield member


class _CountingReader:
    def __init__(self, raw, progress):
        self.raw = raw
        self.progress = progress

    def read(self, size=-1):
        data = self.raw.read(size)
        self.progress.add(len(data))
        return data


_SKIP_DIRS = {".git", "__pycache__", "node_modules", ".tox", ".venv"}


def copy_tree(source, target):
    """Copy an Odoo source tree without its git history and caches, counting files."""
    total = 0
    for _root, dirs, files in os.walk(source):
        dirs[:] = [name for name in dirs if name not in _SKIP_DIRS]
        total += sum(1 for name in files if not name.endswith(".pyc"))
    progress = Progress("copied", total, unit="files")

    def copy(src, dst):
        shutil.copy2(src, dst)
        progress.add(1)

    ignore = shutil.ignore_patterns(*_SKIP_DIRS, "*.pyc")
    shutil.copytree(source, target, ignore=ignore, copy_function=copy, symlinks=True)
    progress.finish()


def copy_error(error):
    """One line for what shutil.copytree raised (shutil.Error holds a list of (source, target, why))."""
    if isinstance(error, shutil.Error) and error.args and isinstance(error.args[0], list):
        failures = error.args[0]
        source, _target, why = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return f"{source}: {why}{more}"
    return str(error)


def source_root(directory):
    """The folder holding the Odoo 17 ``odoo`` package, in what was unpacked or copied."""
    candidates = sorted(directory.glob("odoo/release.py")) + sorted(directory.glob("*/odoo/release.py"))
    candidates += sorted(directory.glob("*/*/odoo/release.py"))
    for release in candidates:
        version = odoo_version(release.parent.parent)
        if version == 17:
            return release.parent.parent
        if version is not None:
            raise SetupError(f"the source in ODOO_SOURCE is Odoo {version}, not 17")
    raise SetupError("ODOO_SOURCE holds no Odoo source (no odoo/release.py inside)")


# -- what the tools call ------------------------------------------------------------------------


def ensure(python=None, cache=None):
    """The Odoo 17 to use (see the module docstring); raises SetupError."""
    python = python or sys.executable
    found = find_present(python)
    if found is not None:
        return found
    return Setup(cache).ensure()


def answer(text):
    """A line on stdout for the caller; a reader that has gone (Ctrl-C killed it) is no traceback."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it somewhere that takes it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _exit_on_signal(signum, _frame):
    # SystemExit unwinds through the steps' cleanup (pip stopped, partial folders removed).
    raise SystemExit(128 + signum)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tools/odoo_setup.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=("ensure", "status", "remove"))
    parser.add_argument("--cache-dir", type=Path, help="default: ${XDG_CACHE_HOME:-~/.cache}/silver_provisioning")
    parser.add_argument("--python", help="the interpreter to look for an importable odoo with (default: this one)")
    parser.add_argument(
        "--print-python",
        action="store_true",
        help="ensure: print 'PYTHON <path>' (an Odoo found), 'VENV <path>' (the set-up's, to run without "
        "PYTHONPATH) or 'FAILED <reason>' on stdout, for tools/run-tests",
    )
    parser.add_argument(
        "--cached", action="store_true", help="ensure: the set-up in the cache, even when another Odoo is found"
    )
    args = parser.parse_args(argv)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        return _main(args)
    except KeyboardInterrupt:
        if args.print_python:
            answer("FAILED interrupted")  # the caller says it, once
        else:
            say("tools/odoo_setup.py: interrupted")
        return 130


def _main(args):
    cache = args.cache_dir or cache_root()
    problem = cache_problem(cache)
    if problem:
        answer(f"FAILED {problem}" if args.print_python else f"tools/odoo_setup.py: {problem}")
        return 2
    setup = Setup(cache)
    if args.action == "remove":
        setup.remove()
        return 0
    if args.action == "status":
        with contextlib.suppress(SetupError):
            found = find_present(args.python or sys.executable)
            if found is not None:
                answer(f"{found.describe()}; it is used before any set-up.")
        answer(setup.status())
        return 0
    try:
        found = setup.ensure() if args.cached else ensure(args.python, cache)
    except SetupError as error:
        answer(f"FAILED {error}" if args.print_python else f"tools/odoo_setup.py: {error}")
        return 3
    if args.print_python:
        answer(f"{'VENV' if found.isolated else 'PYTHON'} {found.python}")
    else:
        answer(found.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
