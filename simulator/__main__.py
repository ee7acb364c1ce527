"""``python -m simulator``: run simulated devices until interrupted.

One device from the options, or several from ``--config FILE``: a JSON list (or
``{"devices": [...]}``) of objects with the keyword arguments of
``simulator.start`` (platform, protocol, port, username, password, secret,
onus, registered, latency, host_key, state_file, seed, options, name).

Several devices run as a supervisor with one process per device, as separate
boxes would: one that crashes or is killed is started again from its state
file (a reboot) while the others keep serving.  With ``--run-dir DIR`` each
device's process id is written to ``DIR/<device>.pid`` and a device can be
switched off and on alone from another shell:

    python -m simulator --run-dir DIR --stop huawei     # by platform or name
    python -m simulator --run-dir DIR --start huawei

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
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
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

    @property
    def stop_marker(self):
        return self.run_dir / f"{self.slug}.stop" if self.run_dir else None

    @property
    def pid_file(self):
        return self.run_dir / f"{self.slug}.pid" if self.run_dir else None

    def wanted_off(self):
        return bool(self.stop_marker and self.stop_marker.exists())

    def running(self):
        return self.process is not None and self.process.poll() is None

    def launch(self):
        self.ready = None
        self.output = []
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        if self.pid_file:
            self.pid_file.write_text(f"{self.process.pid}\n")
        threading.Thread(target=self._read, args=(self.process,), daemon=True, name=f"sim-{self.slug}").start()

    def _read(self, process):
        for line in process.stdout:
            line = line.rstrip("\n")
            if self.ready is None and _READY.match(line):
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
        if self.pid_file:
            self.pid_file.unlink(missing_ok=True)


class Supervisor:
    """Keeps every device of a configuration up, each in its own process."""

    def __init__(self, config, specs, run_dir=None):
        self.run_dir = Path(run_dir) if run_dir else None
        if self.run_dir:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            # A new supervisor starts with every device on.
            for marker in self.run_dir.glob("*.stop"):
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

    def run(self):
        while not self.stopping.wait(_POLL):
            for device in self.devices:
                self._tend(device)

    def _tend(self, device):
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
            device.failed_starts = device.failed_starts + 1 if device.ready is None else 1
            if device.failed_starts > _MAX_FAILED_STARTS:
                device.given_up = True
                print(
                    f"simulator: {device.name} GAVE UP after {_MAX_FAILED_STARTS} failed starts "
                    "(the other devices keep running); its last output:",
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


def supervise(config, specs, run_dir):
    supervisor = Supervisor(config, specs, run_dir)
    signal.signal(signal.SIGTERM, lambda *_: supervisor.stopping.set())
    try:
        if not supervisor.start():
            return 1
        with contextlib.suppress(KeyboardInterrupt):
            supervisor.run()
        return 0
    finally:
        supervisor.stop()


# -- control from another shell ----------------------------------------------------------


def control(args):
    if not args.run_dir or not args.config:
        raise SystemExit("python -m simulator: --stop and --start need --config and the supervisor's --run-dir")
    specs = load_config(args.config)
    run_dir = Path(args.run_dir)
    index = pick(specs, args.stop or args.start)
    slug = slugs(specs)[index]
    marker = run_dir / f"{slug}.stop"
    if args.stop:
        run_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text("")
        waited = _wait(lambda: not (run_dir / f"{slug}.pid").exists())
        print(f"{slug}: {'switched off' if waited else 'asked to switch off (is the supervisor running?)'}")
    else:
        marker.unlink(missing_ok=True)
        waited = _wait(lambda: (run_dir / f"{slug}.pid").exists())
        print(f"{slug}: {'switched on' if waited else 'asked to switch on (is the supervisor running?)'}")
    return 0


def _wait(condition, timeout=15.0):
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
