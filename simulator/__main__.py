"""``python -m simulator``: run simulated devices until interrupted.

One device from the options, or several from ``--config FILE``: a JSON list (or
``{"devices": [...]}``) of objects with the keyword arguments of
``simulator.start`` (platform, protocol, port, username, password, secret,
onus, registered, latency, host_key, state_file, seed, options, name).
"""

# A command-line program: it reports on stdout.
# pylint: disable=print-used
import argparse
import contextlib
import json
import signal
import sys
import threading

from . import PLATFORMS, start


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m simulator", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", help="JSON file describing several devices")
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


def device_specs(args):
    if args.config:
        with open(args.config, encoding="utf-8") as handle:
            data = json.load(handle)
        specs = data["devices"] if isinstance(data, dict) else data
        for spec in specs:
            if "latency_ms" in spec:
                spec["latency"] = spec.pop("latency_ms") / 1000.0
        return specs
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


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sims = []
    try:
        for spec in device_specs(args):
            sim = start(**spec)
            sims.append(sim)
            print(f"{sim.platform} {sim.protocol} {sim.host}:{sim.port} {sim.host_key_fingerprint or '-'}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        for sim in sims:
            sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
