"""Command line for network engineers and scripted checks.

    python -m drivers parse huawei autofind capture.txt
    SILVER_PW=... python -m drivers discover --platform huawei --host 127.0.0.1 \\
        --port 2222 --protocol ssh --username admin --password-env SILVER_PW

Passwords and keys are read from environment variables named on the command
line, never from the command line itself (it is visible to every user of
the machine).  Results are JSON on stdout; on failure the typed error and
the masked transcript are printed as JSON and the exit status is non-zero.
"""

import argparse
import json
import os
import sys

from . import OLT_PLATFORMS, PLATFORMS, get_driver
from .cli import fetch_host_key
from .errors import DriverError, InvalidInput
from .models import BulkChange, OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig, WifiConfig

EXIT_DEVICE_ERROR = 1
EXIT_INVALID_INPUT = 2

OPERATIONS = ("discover", "provision", "suspend", "resume", "remove", "status", "save", "bulk")


def _secret_from_env(name, field):
    if not name:
        return ""
    if name not in os.environ:
        raise InvalidInput(field, f"environment variable {name} is not set")
    return os.environ[name]


def _options(pairs):
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput("option", f"{pair!r} is not KEY=VALUE")
        options[key] = value
    return options


def _parser():
    parser = argparse.ArgumentParser(prog="python -m drivers", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    parse = sub.add_parser("parse", help="parse output captured from a terminal")
    parse.add_argument("platform", choices=OLT_PLATFORMS)
    parse.add_argument("what", choices=("autofind",))
    parse.add_argument("file", nargs="?", help="capture file (stdin when omitted)")

    key = sub.add_parser("host-key", help="print the SSH host key fingerprint a device presents")
    key.add_argument("--host", required=True)
    key.add_argument("--port", type=int, default=22)

    for operation in OPERATIONS:
        op = sub.add_parser(operation, help=f"{operation} on a device")
        op.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
        op.add_argument("--host", required=True)
        op.add_argument("--port", type=int, required=True)
        op.add_argument("--protocol", required=True, choices=("ssh", "telnet", "api", "api-ssl"))
        op.add_argument("--username", required=True)
        op.add_argument("--password-env", required=True, help="environment variable holding the password")
        op.add_argument("--secret-env", help="environment variable holding the enable password")
        op.add_argument("--host-key", default="", help="pinned SSH host key fingerprint (SHA256:...)")
        op.add_argument("--option", action="append", help="platform option KEY=VALUE (repeatable)")
        op.add_argument("--timeout", type=float, default=30.0, help="per-command timeout in seconds")
        # ONU on an OLT
        op.add_argument("--pon", help="PON address as the platform writes it (0/1/3, 0/1, 1/1/1)")
        op.add_argument("--onu-id", type=int)
        op.add_argument("--serial")
        op.add_argument("--vlan", type=int)
        op.add_argument("--user-vlan", type=int)
        op.add_argument("--description", default="")
        op.add_argument("--line-profile", default="")
        op.add_argument("--service-profile", default="")
        op.add_argument("--traffic-profile", default="")
        op.add_argument("--onu-type", default="")
        op.add_argument("--wan-mode", choices=("pppoe", "dhcp", "static"))
        op.add_argument("--wan-vlan", type=int)
        op.add_argument("--pppoe-user")
        op.add_argument("--pppoe-password-env")
        op.add_argument("--wifi-ssid")
        op.add_argument("--wifi-index", type=int, default=1)
        op.add_argument("--wifi-key-env")
        # bulk
        op.add_argument("--onus", help="bulk: comma-separated PON:ID list, e.g. 0/1/3:1,0/1/3:2")
        op.add_argument("--change", choices=("dns", "traffic_profile", "vlan"))
        op.add_argument("--param", action="append", help="bulk change parameter KEY=VALUE")
        # subscriber on a router
        op.add_argument("--name", help="router: PPPoE subscriber name")
        op.add_argument("--profile", default="default")
        op.add_argument("--remote-address", default="")
        op.add_argument("--comment", default="")
        op.add_argument("--rate", help="router: UP/DOWN in Mbit/s, e.g. 10/50")
        op.add_argument("--method", help="router: suspension method")
    return parser


def _target(args):
    return Target(
        platform=args.platform,
        host=args.host,
        port=args.port,
        protocol=args.protocol,
        username=args.username,
        password=_secret_from_env(args.password_env, "password-env"),
        secret=_secret_from_env(args.secret_env, "secret-env"),
        host_key=args.host_key,
        command_timeout=args.timeout,
        options=_options(args.option),
    )


def _ref(args):
    if args.pon is None or args.onu_id is None:
        raise InvalidInput("pon" if args.pon is None else "onu-id", "is required for this operation")
    return OnuRef(args.pon, args.onu_id, args.serial or "")


def _olt_operation(driver, args):
    command = args.command
    if command == "discover":
        return driver.discover()
    if command == "provision":
        service = OnuService(
            serial=args.serial or "",
            pon=args.pon or "",
            vlan=args.vlan,
            onu_id=args.onu_id,
            user_vlan=args.user_vlan,
            description=args.description,
            line_profile=args.line_profile,
            service_profile=args.service_profile,
            traffic_profile=args.traffic_profile,
            onu_type=args.onu_type,
        )
        wan = None
        if args.wan_mode:
            wan = WanConfig(
                mode=args.wan_mode,
                vlan=args.wan_vlan or args.vlan,
                username=args.pppoe_user or "",
                password=_secret_from_env(args.pppoe_password_env, "pppoe-password-env"),
            )
        wifi = []
        if args.wifi_ssid:
            wifi.append(WifiConfig(args.wifi_index, args.wifi_ssid, _secret_from_env(args.wifi_key_env, "wifi-key-env")))
        return driver.provision(service, wan=wan, wifi=wifi)
    if command == "bulk":
        refs = []
        for item in (args.onus or "").split(","):
            pon, _, onu_id = item.strip().rpartition(":")
            if not pon or not onu_id.isdigit():
                raise InvalidInput("onus", f"{item!r} is not PON:ID")
            refs.append(OnuRef(pon, int(onu_id)))
        return driver.bulk_apply(refs, BulkChange(args.change or "", _options(args.param)))
    if command == "save":
        return driver.save()
    return getattr(driver, command)(_ref(args))


def _router_operation(driver, args):
    command = args.command
    if not args.name:
        raise InvalidInput("name", "is required for router operations")
    if command == "provision":
        rate = None
        if args.rate:
            up, _, down = args.rate.partition("/")
            try:
                rate = RateLimit(up=float(up), down=float(down))
            except ValueError:
                raise InvalidInput("rate", f"{args.rate!r} is not UP/DOWN in Mbit/s") from None
        subscriber = Subscriber(
            name=args.name,
            password=_secret_from_env(args.pppoe_password_env, "pppoe-password-env"),
            profile=args.profile,
            remote_address=args.remote_address,
            comment=args.comment,
            rate_limit=rate,
        )
        return driver.ensure_subscriber(subscriber)
    if command == "suspend":
        return driver.suspend_subscriber(args.name, args.method)
    if command == "resume":
        return driver.resume_subscriber(args.name, args.method)
    if command == "remove":
        return driver.remove_subscriber(args.name)
    if command == "status":
        return driver.subscriber_status(args.name)
    raise InvalidInput("command", f"{command} is not a router operation")


def _print(payload, stream=sys.stdout):
    json.dump(payload, stream, indent=2, default=str)
    stream.write("\n")


def main(argv=None):
    args = _parser().parse_args(argv)
    try:
        if args.command == "parse":
            driver_class = get_driver(args.platform)
            if args.file:
                with open(args.file, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            else:
                text = sys.stdin.read()
            _print([onu.to_dict() for onu in driver_class.parse_autofind(text)])
            return 0
        if args.command == "host-key":
            _print({"host": args.host, "port": args.port, "fingerprint": fetch_host_key(args.host, args.port)})
            return 0
        driver = get_driver(args.platform)(_target(args))
        operation = _router_operation if args.platform not in OLT_PLATFORMS else _olt_operation
        with driver:
            result = operation(driver, args)
        _print(result.to_dict())
        return 0
    except DriverError as error:
        payload = dict(error.to_dict(), ok=False)
        if error.transcript is not None:
            payload["transcript"] = error.transcript.to_list()
        _print(payload)
        print(f"error: {error.code}: {error.message}", file=sys.stderr)
        return EXIT_INVALID_INPUT if isinstance(error, InvalidInput) else EXIT_DEVICE_ERROR


if __name__ == "__main__":
    sys.exit(main())
