"""``python -m simulator``: run simulated devices until interrupted.

One device from the options, or several from ``--config FILE``: a JSON list (or
``{"devices": [...]}``) of objects with the keyword arguments of
``simulator.start`` (platform, protocol, port, username, password, secret,
onus, registered, latency, host_key, state_file, seed, options, name).

Several devices run as a supervisor with one process per device, as separate
boxes would: one that crashes or is killed is started again from its state
file (a reboot) while the others keep serving; one that fails to start five
times in a row is given up.  With ``--run-dir DIR`` the process id of each
device that listens is in ``DIR/<device>.pid`` (only while it listens) and a
device can be switched off and on alone from another shell:

    python -m simulator --config FILE --run-dir DIR --stop huawei    # by platform or name
    python -m simulator --config FILE --run-dir DIR --start huawei   # a given-up one gets one more try

Both exit 0 once the device is off / listening, 1 when no supervisor uses DIR
or the device does not come up.  The supervisor stops its devices on SIGTERM,
SIGHUP, Ctrl-C, and when its parent process dies (it is then orphaned); each
device stops when the supervisor dies.

Output: one line per device once it listens, in the order of the
configuration: ``platform protocol host:port fingerprint pid name``; the
fingerprint is the SSH host key's (the TLS certificate's for ``api-ssl``),
``-`` for protocols that have none.  Later lines report devices that stop,
restart or give up.
"""

# A command-line program: it reports on stdout.
# pylint: disable=print-used
import argparse
import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import PLATFORMS, start

#: protocols whose clients check a key the line should show
_KEYED_PROTOCOLS = ("ssh", "api-ssl")
#: a device that dies this many times in a row before listening is given up
_MAX_FAILED_STARTS = 5
_STARTUP_TIMEOUT = 60.0
_POLL = 0.2
#: what ``ready_line`` prints
_READY = re.compile(r"^\S+ (ssh|telnet|api|api-ssl) \S+:\d+ \S+ \d+\b")
#: held by the supervisor that uses a run directory (flock), with its pid inside
_SUPERVISOR_LOCK = "supervisor.lock"
#: how long --stop / --start wait for the device to be off / listening
_CONTROL_TIMEOUT = 20.0


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", help="JSON file describing several devices")
    parser.add_argument(
        "--only",
        metavar="DEVICE",
        help="with --config: run only this device (name, platform or index), in this process",
    )
    parser.add_argument("--run-dir", help="with --config: where to keep pid files and stop requests")
    control = parser.add_mutually_exclusive_group()
    control.add_argument("--stop", metavar="DEVICE", help="switch off one device of the supervisor using --run-dir")
    control.add_argument("--start", metavar="DEVICE", help="switch a stopped device on again")
    parser.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--platform", choices=sorted(PLATFORMS), default="huawei")
    parser.add_argument("--protocol", default="ssh", help="ssh or telnet (api/api-ssl for mikrotik)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--secret", default="", help="enable password (V-SOL)")
    parser.add_argument("--onus", type=int, default=4, help="ONUs waiting in auto-find")
    parser.add_argument("--registered", type=int, default=0, help="ONUs already registered")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay per command line")
    parser.add_argument("--host-key", help="SSH private key file (created if missing)")
    parser.add_argument("--state-file", help="JSON state dump, rewritten after every change")
    parser.add_argument("--seed", help="seed for generated serials")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="platform option (VALUE parsed as JSON when it can be)",
    )
    return parser.parse_args(argv)


def _option_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def load_config(path):
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    specs = data["devices"] if isinstance(data, dict) else data
    for spec in specs:
        if "latency_ms" in spec:
            spec["latency"] = spec.pop("latency_ms") / 1000.0
    return specs


def device_specs(args):
    if args.config:
        return load_config(args.config)
    options = dict(item.split("=", 1) for item in args.option)
    return [
        {
            "platform": args.platform,
            "protocol": args.protocol,
            "host": args.host,
            "port": args.port,
            "username": args.username,
            "password": args.password,
            "secret": args.secret,
            "onus": args.onus,
            "registered": args.registered,
            "latency": args.latency_ms / 1000.0,
            "host_key": args.host_key,
            "state_file": args.state_file,
            "seed": args.seed,
            "options": {k: _option_value(v) for k, v in options.items()},
        }
    ]


def slugs(specs):
    """A file-name-safe id per device: its name (else platform), numbered when two agree."""
    seen = {}
    result = []
    for spec in specs:
        base = re.sub(r"[^a-z0-9]+", "-", (spec.get("name") or spec["platform"]).lower()).strip("-") or "device"
        seen[base] = seen.get(base, 0) + 1
        result.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return result


def pick(specs, wanted):
    """Index of the device called ``wanted``: its index, slug, name or platform (when unique)."""
    ids = slugs(specs)
    if wanted.isdigit() and int(wanted) < len(specs):
        return int(wanted)
    lowered = wanted.lower()
    for index, spec in enumerate(specs):
        if lowered in (ids[index], (spec.get("name") or "").lower()):
            return index
    matches = [index for index, spec in enumerate(specs) if spec["platform"] == lowered]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(ids)
    raise SystemExit(f"python -m simulator: no single device {wanted!r} in the configuration (devices: {known})")


def ready_line(sim, pid, name):
    keyed = sim.protocol in _KEYED_PROTOCOLS and sim.host_key_fingerprint
    fingerprint = sim.host_key_fingerprint if keyed else "-"
    return f"{sim.platform} {sim.protocol} {sim.host}:{sim.port} {fingerprint} {pid} {name}".rstrip()


# -- devices in this process ------------------------------------------------------------


def serve(specs, supervised=False):
    """Run ``specs`` in this process until SIGTERM / Ctrl-C (or, supervised, the supervisor's end)."""
    sims = []
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    try:
        for spec in specs:
            sim = start(**spec)
            sims.append(sim)
            print(ready_line(sim, os.getpid(), spec.get("name") or ""), flush=True)
        if supervised:
            # A supervisor killed without its cleanup must not leave its devices running.
            parent = os.getppid()
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(1.0) and os.getppid() == parent:
                    pass
        else:
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    finally:
        for sim in sims:
            sim.stop()
    return 0


# -- one process per device ----------------------------------------------------------------


class Device:
    """One device of the supervisor: its process, and what its owner asked of it."""

    def __init__(self, index, spec, slug, command, run_dir):
        self.index = index
        self.name = spec.get("name") or spec["platform"]
        self.slug = slug
        self.command = command
        self.run_dir = run_dir
        self.process = None
        self.ready = None  # the ready line of the running process
        self.failed_starts = 0
        self.next_start = 0.0
        self.given_up = False
        self.announce = False  # print the ready line when a restarted process listens
        self.output = []  # the last lines a process wrote, for the report when it dies
        self.reader = None

    @property
    def stop_marker(self):
        return self.run_dir / f"{self.slug}.stop" if self.run_dir else None

    @property
    def pid_file(self):
        return self.run_dir / f"{self.slug}.pid" if self.run_dir else None

    @property
    def start_request(self):
        return self.run_dir / f"{self.slug}.start" if self.run_dir else None

    @property
    def gave_up_marker(self):
        return self.run_dir / f"{self.slug}.gave-up" if self.run_dir else None

    def wanted_off(self):
        return bool(self.stop_marker and self.stop_marker.exists())

    def take_start_request(self):
        """True once per ``--start`` (the request file is consumed)."""
        if not self.start_request or not self.start_request.exists():
            return False
        self.start_request.unlink(missing_ok=True)
        return True

    def forget_pid(self):
        if self.pid_file:
            self.pid_file.unlink(missing_ok=True)

    def running(self):
        return self.process is not None and self.process.poll() is None

    def launch(self):
        self.ready = None
        self.output = []
        if self.gave_up_marker:
            self.gave_up_marker.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.reader = threading.Thread(target=self._read, args=(self.process,), daemon=True, name=f"sim-{self.slug}")
        self.reader.start()

    def _read(self, process):
        for line in process.stdout:
            line = line.rstrip("\n")
            if self.ready is None and _READY.match(line):
                # The pid file says "listening": written before anyone is told so.
                if self.pid_file:
                    self.pid_file.write_text(f"{process.pid}\n")
                self.ready = line
                continue
            self.output = [*self.output[-40:], line]
            if self.ready is not None:
                print(f"[{self.name}] {line}", flush=True)

    def terminate(self, timeout=10):
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.forget_pid()

    def give_up(self):
        self.given_up = True
        if self.gave_up_marker:
            self.gave_up_marker.write_text("\n".join(self.output[-20:]) + "\n")


class Supervisor:
    """Keeps every device of a configuration up, each in its own process."""

    def __init__(self, config, specs, run_dir=None):
        self.run_dir = Path(run_dir) if run_dir else None
        self.lock = None
        if self.run_dir:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.lock = hold_run_dir(self.run_dir)
            # A new supervisor starts with every device on, and no file of an earlier one is true.
            for pattern in ("*.stop", "*.start", "*.gave-up", "*.pid"):
                for marker in self.run_dir.glob(pattern):
                    marker.unlink()
        base = [sys.executable, "-m", "simulator", "--config", str(Path(config).resolve()), "--supervised"]
        self.devices = [
            Device(index, spec, slug, [*base, "--only", str(index)], self.run_dir)
            for index, (spec, slug) in enumerate(zip(specs, slugs(specs), strict=True))
        ]
        self.stopping = threading.Event()

    def start(self):
        """Start every device at once; print their lines in order. False when one did not start."""
        for device in self.devices:
            device.launch()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        for device in self.devices:
            while device.ready is None and device.running() and time.monotonic() < deadline:
                time.sleep(0.05)
            if device.ready is None:
                time.sleep(0.2)  # the reader may still hold the last lines
                reason = "exited" if not device.running() else f"not listening after {_STARTUP_TIMEOUT:.0f} s"
                print(f"simulator: {device.name} did not start ({reason}):", flush=True)
                for line in device.output[-20:]:
                    print(f"  {line}", flush=True)
                return False
            print(device.ready, flush=True)
        return True

    def run(self, parent=None):
        """Tend the devices until asked to stop or, given ``parent``, until that process is gone."""
        while not self.stopping.wait(_POLL):
            if parent is not None and os.getppid() != parent:
                print("simulator: the supervisor's parent process is gone: stopping the devices", flush=True)
                return
            for device in self.devices:
                self._tend(device)

    def _tend(self, device):
        if device.take_start_request() and not device.running():
            # One try, its outcome at once (a failure gives up): the --start that asked is waiting.
            device.given_up = False
            device.failed_starts = _MAX_FAILED_STARTS
            device.process = None
            device.next_start = 0.0
        if device.wanted_off():
            if device.running():
                device.terminate()
                print(f"simulator: {device.name} switched off", flush=True)
            device.process = None
            device.failed_starts = 0
            device.next_start = 0.0
            device.given_up = False
            return
        if device.running():
            if device.ready is not None and device.announce:
                device.announce = False
                device.failed_starts = 0
                print(f"simulator: {device.name} is up: {device.ready}", flush=True)
            return
        if device.given_up:
            return
        now = time.monotonic()
        if device.process is not None and device.next_start == 0.0:
            # It died on its own (or someone killed it): a reboot, from its state file.
            device.forget_pid()
            if device.reader is not None:
                device.reader.join(timeout=1.0)  # its last words, for the report
            device.failed_starts = device.failed_starts + 1 if device.ready is None else 1
            if device.failed_starts > _MAX_FAILED_STARTS:
                device.give_up()
                print(
                    f"simulator: {device.name} GAVE UP: it did not start (the other devices keep running); "
                    "its last output:",
                    flush=True,
                )
                for line in device.output[-20:]:
                    print(f"  {line}", flush=True)
                return
            delay = min(2 ** (device.failed_starts - 1), 30)
            status = device.process.returncode
            print(f"simulator: {device.name} exited (status {status}); starting it again in {delay} s", flush=True)
            device.next_start = now + delay
            return
        if now >= device.next_start:
            device.next_start = 0.0
            device.announce = True
            device.launch()

    def stop(self):
        self.stopping.set()
        for device in self.devices:
            device.terminate()
        if self.lock is not None:
            self.lock.close()


def hold_run_dir(run_dir):
    """The run directory's lock, held while this supervisor lives; exits when another holds it."""
    lock = open(run_dir / _SUPERVISOR_LOCK, "a+", encoding="utf-8")  # held until the supervisor stops
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise SystemExit(f"python -m simulator: another supervisor (pid {holder}) uses --run-dir {run_dir}") from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"{os.getpid()}\n")
    lock.flush()
    return lock


def supervisor_running(run_dir):
    """Whether a supervisor holds ``run_dir`` now."""
    path = Path(run_dir) / _SUPERVISOR_LOCK
    if not path.exists():
        return False
    with open(path, "a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
    return False


def supervise(config, specs, run_dir):
    # The parent (tools/demo, a shell) is watched as the devices watch the supervisor: a parent
    # killed without its cleanup must not leave the devices holding their ports.
    parent = os.getppid()
    supervisor = Supervisor(config, specs, run_dir)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: supervisor.stopping.set())
    try:
        if not supervisor.start():
            return 1
        with contextlib.suppress(KeyboardInterrupt):
            supervisor.run(parent)
        return 0
    finally:
        supervisor.stop()


# -- control from another shell ----------------------------------------------------------


def control(args):
    """--stop / --start: 0 once the device is off / listening, 1 otherwise (said on stdout)."""
    if not args.run_dir or not args.config:
        raise SystemExit("python -m simulator: --stop and --start need --config and the supervisor's --run-dir")
    specs = load_config(args.config)
    run_dir = Path(args.run_dir)
    index = pick(specs, args.stop or args.start)
    slug = slugs(specs)[index]
    if not supervisor_running(run_dir):
        print(f"{slug}: not switched {'off' if args.stop else 'on'}: no supervisor is running with --run-dir {run_dir}")
        return 1
    pid_file, stop_marker = run_dir / f"{slug}.pid", run_dir / f"{slug}.stop"
    gave_up = run_dir / f"{slug}.gave-up"
    if args.stop:
        stop_marker.write_text("")
        if _wait(lambda: not pid_file.exists()):
            print(f"{slug}: switched off")
            return 0
        print(f"{slug}: still running {_CONTROL_TIMEOUT:.0f} s after it was asked to switch off")
        return 1
    stop_marker.unlink(missing_ok=True)
    gave_up.unlink(missing_ok=True)
    (run_dir / f"{slug}.start").write_text("")
    _wait(lambda: pid_file.exists() or gave_up.exists() or not supervisor_running(run_dir))
    if pid_file.exists():
        print(f"{slug}: switched on")
        return 0
    if gave_up.exists():
        last = [line for line in gave_up.read_text(errors="replace").splitlines() if line.strip()]
        print(f"{slug}: did not start (given up); its last output: {last[-1] if last else '(none)'}")
    elif not supervisor_running(run_dir):
        print(f"{slug}: not switched on: the supervisor has stopped")
    else:
        print(f"{slug}: not listening {_CONTROL_TIMEOUT:.0f} s after it was asked to switch on")
    return 1


def _wait(condition, timeout=_CONTROL_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.stop or args.start:
        return control(args)
    specs = device_specs(args)
    if args.only is not None:
        if not args.config:
            raise SystemExit("python -m simulator: --only needs --config")
        return serve([specs[pick(specs, args.only)]], supervised=args.supervised)
    if args.config and len(specs) > 1:
        return supervise(args.config, specs, args.run_dir)
    return serve(specs)


if __name__ == "__main__":
    sys.exit(main())
