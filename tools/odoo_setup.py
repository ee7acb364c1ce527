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
           added), urllib3 2.0 when the resolved cryptography is too recent for
           urllib3 1.26's pyOpenSSL, OCA queue_job 17.0 from PyPI and this
           addon's requirements.txt

Each step is done once and remembered in ``setup.json``; an interrupted set-up
goes on from the step that did not finish.  Nothing is written inside the
repository.  ``ODOO_PYTHON`` chooses the interpreter of the virtual
environment (default: the running one when Odoo 17 supports it, else the first
python3.12 / 3.11 / 3.10 on PATH).
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
#: bump when the recipe changes, so an older set-up installs what is new
RECIPE = 1
#: where the virtual environment finds the source: a .pth line, as a checkout on PYTHONPATH
PTH_NAME = "silver_provisioning_odoo.pth"


class SetupError(Exception):
    """The set-up cannot go on; the message says why and what to do, in one line."""


def cache_root():
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "silver_provisioning"


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


def probe(python, pythonpath=""):
    """(major version, directory holding the ``odoo`` package) as ``python`` imports it, or None."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [pythonpath, env.get("PYTHONPATH")]))
    try:
        result = subprocess.run([python, "-c", _PROBE], env=env, capture_output=True, text=True, check=False)
    except OSError:
        return None
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        return None
    major, _, root = lines[-1].partition(" ")
    return (int(major), root) if major.isdigit() else None


#: the set-up works when these import (queue_job is only found: importing it needs a registry)
_CHECK = (
    "import importlib.util, psycopg2, lxml, requests, OpenSSL, netmiko, librouteros, textfsm, pytest;"
    "assert importlib.util.find_spec('odoo.addons.queue_job'), 'odoo.addons.queue_job not found'"
)


class Found:
    """An Odoo 17 to run: the interpreter, what to add to PYTHONPATH, where from."""

    def __init__(self, python, origin, root, pythonpath=""):
        self.python = python
        self.origin = origin
        self.root = root
        self.pythonpath = pythonpath

    def describe(self):
        return f"Odoo 17 from {self.origin}: {self.root} (Python {self.python})"


def find_present(python):
    """ODOO_PATH, then an importable odoo; None when neither is an Odoo 17."""
    odoo_path = os.environ.get("ODOO_PATH")
    if odoo_path:
        found = probe(python, odoo_path)
        if found is None or found[0] != 17:
            what = "no importable odoo package" if found is None else f"Odoo {found[0]}"
            raise SetupError(f"ODOO_PATH={odoo_path} holds {what}: point it at an Odoo 17 source tree, or unset it")
        return Found(python, "ODOO_PATH", found[1], odoo_path)
    found = probe(python)
    if found is not None and found[0] == 17:
        return Found(python, "this Python's odoo package", found[1])
    if found is not None:
        say(f"Odoo {found[0]} is importable ({found[1]}), not 17: using Odoo 17 from the cache instead.")
    return None


# -- the set-up in the cache -------------------------------------------------------------


class Setup:
    def __init__(self, root=None):
        self.dir = Path(root or cache_root()) / f"odoo-{SERIES}"
        self.src = self.dir / "src"
        self.venv = self.dir / "venv"
        self.downloads = self.dir / "downloads"
        self.state_file = self.dir / "setup.json"
        self.log = self.dir / "setup.log"
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

    @property
    def python(self):
        return self.venv / "bin" / "python"

    def complete(self):
        return (
            all(self.step_done(name, self.key(name)) for name in ("source", "venv", "requirements", "queue_job"))
            and self.state.get("checked") == self.key("requirements")
            and self.python.exists()
            and (self.src / "odoo" / "release.py").exists()
        )

    def key(self, name):
        """What a step's result depends on: when it changes, the step runs again."""
        if name == "requirements":
            text = (self.src / "requirements.txt").read_text() if (self.src / "requirements.txt").exists() else ""
            addon = (REPO / "requirements.txt").read_text()
            return hashlib.sha256(f"{RECIPE}\n{text}\n{addon}".encode()).hexdigest()[:16]
        return f"{RECIPE}"

    def found(self):
        return Found(str(self.python), f"the set-up in {self.dir}", str(self.src))

    # running it -------------------------------------------------------------------------
    def ensure(self):
        """The set-up's Found, setting up what is missing; raises SetupError."""
        if self.dir.resolve().is_relative_to(REPO):
            raise SetupError(
                f"the cache directory {self.dir.parent} is inside the repository; Odoo must stay out of it: "
                "choose one elsewhere (XDG_CACHE_HOME, or tools/demo --cache-dir)"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.dir / ".lock", "w") as lock:
            # Two first runs at once (two demos) set up once.
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.load()
            if self.complete():
                return self.found()
            started = time.monotonic()
            if self.state.get("steps"):
                say(f"Odoo 17's set-up in {self.dir} did not finish: going on from where it stopped")
            else:
                say(f"Odoo 17 is not installed here: setting it up once in {self.dir}")
            say(f"  (a few minutes and ~1.5 GB; the log is {self.log}; remove it all with --remove-odoo)")
            timings = []
            for name, step in (
                ("source", self.get_source),
                ("venv", self.make_venv),
                ("requirements", self.install_requirements),
                ("queue_job", self.install_queue_job),
            ):
                if self.step_done(name, self.key(name)):
                    continue
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
            )
            tail = []
            for line in process.stdout:
                log.write(line)
                tail = [*tail[-30:], line.rstrip()]
                if show and show.match(line):
                    # pip says where each requirement came from: the package is enough here.
                    say(f"  {re.sub(r' [(]from .*', '', line.strip())}")
            status = process.wait()
        if status != 0:
            for line in tail[-15:]:
                say(f"    {line}")
            raise SetupError(f"{label} failed (exit status {status}); the whole output is in {self.log}")

    # source ----------------------------------------------------------------------------
    def get_source(self):
        source = os.environ.get("ODOO_SOURCE") or DEFAULT_SOURCE
        shutil.rmtree(self.src, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix="src.partial-", dir=self.dir))
        try:
            if re.match(r"^(https?|ftp|file)://", source):
                archive = self.download(source)
                say(f"[1/4] Unpacking {archive.name} into {self.src}")
                unpack(archive, work)
            elif Path(source).expanduser().is_dir():
                say(f"[1/4] Copying the Odoo source tree {source} into {self.src}")
                copy_tree(Path(source).expanduser(), work / "tree")
            elif Path(source).expanduser().is_file():
                say(f"[1/4] Unpacking {source} into {self.src}")
                unpack(Path(source).expanduser(), work)
            else:
                raise SetupError(f"ODOO_SOURCE={source}: not a URL, an archive (.tar.gz, .zip) or a directory")
            root = source_root(work)
            root.rename(self.src)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return {"source": source}

    def download(self, url):
        name = re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "odoo-source"
        if not re.search(r"\.(tar(\.\w+)?|tgz|zip)$", name):
            name += ".tar.gz"
        target = self.downloads / name
        done_marker = target.with_name(target.name + ".complete")
        if target.exists() and done_marker.exists() and done_marker.read_text() == url:
            say(f"[1/4] Using {target}, downloaded before from {url}")
            return target
        self.downloads.mkdir(parents=True, exist_ok=True)
        say(f"[1/4] Downloading Odoo {SERIES} from {url}")
        say(f"      to {target}")
        partial = target.with_name(target.name + ".part")
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "silver_provisioning-setup"})
            with urllib.request.urlopen(request, timeout=60) as answer, open(partial, "wb") as output:
                progress = Progress("downloaded", int(answer.headers.get("Content-Length") or 0))
                while chunk := answer.read(1 << 20):
                    output.write(chunk)
                    progress.add(len(chunk))
                progress.finish()
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise SetupError(
                f"downloading {url} failed ({error}); without internet access, set ODOO_SOURCE "
                "to an Odoo 17 archive or source tree on this machine"
            ) from None
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
        odoo_requirements = self.dir / "requirements-odoo.txt"
        odoo_requirements.write_text(adapt_requirements((self.src / "requirements.txt").read_text()))
        say(f"[3/4] Installing from PyPI into the virtual environment: Odoo's requirements ({odoo_requirements})")
        say(f"      and this addon's ({REPO / 'requirements.txt'})")
        show = re.compile(r"^(Collecting|Successfully installed) ")
        arguments = ["--prefer-binary", "-r", odoo_requirements, "-r", REPO / "requirements.txt"]
        try:
            self.pip(*arguments, label="installing the requirements", show=show)
            relaxed = False
        except SetupError:
            # Odoo pins what Debian/Ubuntu ship; a newer Python may have no wheels for those.
            say("  The pinned versions do not install on this Python: trying again with the same or newer ones.")
            odoo_requirements.write_text(adapt_requirements((self.src / "requirements.txt").read_text(), relax=True))
            self.pip(*arguments, label="installing the requirements (pins relaxed)", show=show)
            relaxed = True
        versions = installed(self.python, "cryptography", "urllib3")
        cryptography, urllib3 = versions.get("cryptography", "0"), versions.get("urllib3", "0")
        if major(cryptography) >= 38 and major(urllib3) < 2:
            say(f"  cryptography {cryptography} breaks urllib3 {urllib3}'s pyOpenSSL support: installing urllib3 2.0")
            self.pip("urllib3>=2,<2.1", label="installing urllib3 2.0")
        return {"relaxed_pins": relaxed}

    def install_queue_job(self):
        say(f"[4/4] Installing OCA queue_job 17.0 from PyPI ({QUEUE_JOB}, without dependencies)")
        self.pip("--no-deps", QUEUE_JOB, label="installing queue_job", show=re.compile(r"^Successfully installed "))
        return {"queue_job": installed(self.python, "odoo-addon-queue_job").get("odoo-addon-queue_job")}

    def check(self):
        found = probe(str(self.python))
        if found is None or found[0] != 17:
            raise SetupError(f"the set-up in {self.dir} does not import Odoo 17; see {self.log}, or --remove-odoo")
        result = subprocess.run(
            [self.python, "-c", _CHECK],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["?"])[-1]
            raise SetupError(f"the set-up in {self.dir} is incomplete ({last}); try --remove-odoo, then again")

    # removing it --------------------------------------------------------------------------
    def remove(self):
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


def adapt_requirements(text, relax=False):
    """Odoo's requirements.txt as it installs from PyPI wheels on a current Python."""
    lines = [
        "# Odoo's requirements.txt, adapted by silver_provisioning's tools/odoo_setup.py:",
        "# psycopg2-binary for psycopg2, no python-ldap, phonenumbers added.",
    ]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name = re.match(r"^[A-Za-z0-9._-]+", line).group(0)
        if name.lower() == "python-ldap":
            continue
        if name.lower() == "psycopg2":
            line = "psycopg2-binary" + line[len(name) :]
        if relax:
            line = re.sub(r"==\s*", ">=", line, count=1)
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
    result = subprocess.run([python, "-c", code, *names], capture_output=True, text=True, check=False)
    return json.loads(result.stdout or "{}") if result.returncode == 0 else {}


def python_version(python):
    result = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True, check=False
    )
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
        venv_ok = subprocess.run([path, "-c", "import venv, ensurepip"], capture_output=True, check=False)
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


def source_root(directory):
    """The folder holding the Odoo 17 ``odoo`` package, in what was unpacked or copied."""
    candidates = sorted(directory.glob("odoo/release.py")) + sorted(directory.glob("*/odoo/release.py"))
    candidates += sorted(directory.glob("*/*/odoo/release.py"))
    for release in candidates:
        match = re.search(r"^version_info\s*=\s*\((\d+)", release.read_text(errors="replace"), re.MULTILINE)
        if match and int(match.group(1)) == 17:
            return release.parent.parent
        if match:
            raise SetupError(f"the source in ODOO_SOURCE is Odoo {match.group(1)}, not 17")
    raise SetupError("ODOO_SOURCE holds no Odoo source (no odoo/release.py inside)")


# -- what the tools call ------------------------------------------------------------------------


def ensure(python=None, cache=None):
    """The Odoo 17 to use (see the module docstring); raises SetupError."""
    python = python or sys.executable
    found = find_present(python)
    if found is not None:
        return found
    return Setup(cache).ensure()


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
        help="ensure: print 'PYTHON <path>' (or 'FAILED <reason>') on stdout, for tools/run-tests",
    )
    args = parser.parse_args(argv)
    setup = Setup(args.cache_dir)
    if args.action == "remove":
        setup.remove()
        return 0
    if args.action == "status":
        with contextlib.suppress(SetupError):
            found = find_present(args.python or sys.executable)
            if found is not None:
                print(f"{found.describe()}; it is used before any set-up.")
        print(setup.status())
        return 0
    try:
        found = ensure(args.python, args.cache_dir)
    except SetupError as error:
        print(f"FAILED {error}" if args.print_python else f"tools/odoo_setup.py: {error}", flush=True)
        return 3
    except KeyboardInterrupt:
        print("FAILED interrupted" if args.print_python else "interrupted", flush=True)
        return 130
    print(f"PYTHON {found.python}" if args.print_python else found.describe(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
