"""Command line for network engineers and scripted checks.

    python -m drivers parse huawei autofind capture.txt
    SILVER_PW=... python -m drivers discover --platform huawei --host 127.0.0.1 \\
        --port 2222 --protocol ssh --username admin --password-env SILVER_PW

Passwords and keys are read from environment variables named on the command
line, never from the command line itself (it is visible to every user of
the machine).  Results are JSON on stdout.  On failure stdout holds the typed
error and the masked transcript as JSON, stderr one line, and the exit status
is 1 (device error) or 2 (input refused before anything was sent).
"""

import argparse
import json
import logging
import os
import re
import socket
import ssl
import sys

from . import OLT_PLATFORMS, PLATFORMS, get_driver
from .cli import fetch_host_key
from .errors import ConnectError, DriverError, InvalidInput, UnsupportedOperation
from .models import BulkChange, OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig, WifiConfig
from .transcript import MASK

EXIT_DEVICE_ERROR = 1
EXIT_INVALID_INPUT = 2

OLT_ONLY = ("discover", "save", "bulk")
OPERATIONS = ("discover", "provision", "suspend", "resume", "remove", "status", "save", "bulk")

#: every secret read from the environment: no output may carry one, whatever failed
_SECRETS = set()


class _Parser(argparse.ArgumentParser):
    """argparse's usage errors, refused like every other bad input (JSON, exit 2)."""

    def error(self, message):
        match = re.match(r"argument (?:--)?([\w-]+)(?:/\S+)?: (.*)", message, re.DOTALL)
        if match:
            raise InvalidInput(match.group(1), match.group(2))
        match = re.search(r"required: (?:--)?([\w-]+)", message)
        raise InvalidInput(match.group(1) if match else "arguments", message)


def _secret_from_env(name, field):
    if not name:
        return ""
    if name not in os.environ:
        raise InvalidInput(field, f"environment variable {name} is not set")
    value = os.environ[name]
    if len(value) >= 3:  # as the drivers' Masker: shorter would mask ordinary words
        _SECRETS.update((value, json.dumps(value)[1:-1]))  # as typed, and as written inside JSON
    return value


def _pairs(pairs, field):
    options = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InvalidInput(field, f"{pair!r} is not KEY=VALUE")
        options[key] = value
    return options


def _connection_arguments(op):
    group = op.add_argument_group("device")
    group.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    group.add_argument("--host", required=True)
    group.add_argument("--port", type=int, required=True)
    group.add_argument(
        "--protocol",
        required=True,
        choices=("ssh", "telnet", "api", "api-ssl"),
        help="ssh|telnet for OLTs, api|api-ssl for MikroTik",
    )
    group.add_argument("--username", required=True)
    group.add_argument("--password-env", required=True, metavar="VAR", help="environment variable holding the password")
    group.add_argument("--secret-env", metavar="VAR", help="environment variable holding the enable password (V-SOL)")
    group.add_argument("--host-key", default="", help="pinned SSH host key / TLS certificate fingerprint (SHA256:...)")
    group.add_argument(
        "--option",
        action="append",
        metavar="KEY=VALUE",
        help="platform option, repeatable: huawei model=MA5800 firmware=V100R019, "
        "zte suspend_form=shutdown, mikrotik suspend_method=profile ...",
    )
    group.add_argument("--timeout", type=float, default=30.0, help="per-command timeout in seconds")


def _onu_arguments(op, operation):
    group = op.add_argument_group("ONU on an OLT")
    group.add_argument("--pon", help="PON address as the platform writes it (0/1/3, 0/1, 1/1/1)")
    group.add_argument("--onu-id", type=int, help="provision: omit to let the OLT or the lowest free id decide")
    group.add_argument("--serial", help="ONU serial (provision)")
    if operation != "provision":
        return
    group.add_argument("--vlan", type=int)
    group.add_argument("--user-vlan", type=int)
    group.add_argument("--description", default="")
    group.add_argument("--line-profile", default="")
    group.add_argument("--service-profile", default="")
    group.add_argument("--dba-profile", default="")
    group.add_argument("--traffic-profile", default="")
    group.add_argument("--onu-type", default="", help="ZTE ONU type, e.g. ZTE-F660")
    group.add_argument("--tcont", type=int, default=1)
    group.add_argument("--gemport", type=int, default=1)
    wan = op.add_argument_group("ONU WAN over OMCI")
    wan.add_argument("--wan-mode", choices=("pppoe", "dhcp", "static"))
    wan.add_argument("--wan-vlan", type=int, help="default: --vlan")
    wan.add_argument("--pppoe-user")
    wan.add_argument(
        "--pppoe-password-env",
        metavar="VAR",
        help="environment variable holding the PPPoE password (OLT WAN or router secret)",
    )
    wan.add_argument("--wan-ip")
    wan.add_argument("--wan-netmask")
    wan.add_argument("--wan-gateway")
    wan.add_argument("--wan-dns", action="append", default=[], help="repeatable, at most two")
    wifi = op.add_argument_group("ONU WiFi over OMCI")
    wifi.add_argument("--wifi-ssid")
    wifi.add_argument("--wifi-index", type=int, default=1)
    wifi.add_argument("--wifi-key-env", metavar="VAR", help="environment variable holding the WiFi key")
    wifi.add_argument("--wifi-auth-mode", default="wpa2psk", help="wpa2psk, wpapsk/wpa2psk or open")
    wifi.add_argument("--wifi-hidden", action="store_true")


def _router_arguments(op, operation):
    group = op.add_argument_group("PPPoE subscriber on a router (mikrotik)")
    group.add_argument("--name", help="PPPoE secret name")
    if operation == "provision":
        group.add_argument("--profile", default="default")
        group.add_argument("--remote-address", default="")
        group.add_argument("--comment", default="", help="the contract reference")
        group.add_argument("--rate", help="UP/DOWN in Mbit/s, e.g. 10/50")
    if operation in ("suspend", "resume"):
        group.add_argument(
            "--method",
            choices=("disable_secret", "address_list", "profile"),
            help="default: option suspend_method; resume finds it on the secret",
        )


def _parser():
    parser = _Parser(prog="python -m drivers", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    parse = sub.add_parser(
        "parse",
        help="what the driver makes of a command's output captured from a terminal",
        description="parse PLATFORM --command 'COMMAND AS TYPED' [FILE], or the older parse PLATFORM autofind [FILE]",
    )
    parse.add_argument("platform", choices=OLT_PLATFORMS)
    parse.add_argument("rest", nargs="*", metavar="[autofind] [FILE]")
    parse.add_argument("--command", dest="typed", help="the command as it was typed on the device")

    key = sub.add_parser("host-key", help="print the SSH host key (or api-ssl certificate) fingerprint to pin")
    key.add_argument("--host", required=True)
    key.add_argument("--port", type=int, default=22)
    key.add_argument("--protocol", choices=("ssh", "api-ssl"), default="ssh")

    for operation in OPERATIONS:
        where = "an OLT" if operation in OLT_ONLY else "an OLT or a router"
        op = sub.add_parser(operation, help=f"{operation} on {where}")
        _connection_arguments(op)
        if operation in ("provision", "suspend", "resume", "remove", "status"):
            _onu_arguments(op, operation)
            _router_arguments(op, operation)
        if operation == "bulk":
            group = op.add_argument_group("bulk change")
            group.add_argument("--onus", required=True, help="comma-separated PON:ID list, e.g. 0/1/3:1,0/1/3:2")
            group.add_argument("--change", required=True, choices=("dns", "traffic_profile", "vlan"))
            group.add_argument(
                "--param",
                action="append",
                metavar="KEY=VALUE",
                help="dns: primary=, secondary=; traffic_profile: profile=; vlan: vlan=",
            )
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
        options=_pairs(args.option, "option"),
    )


def _ref(args):
    if args.pon is None or args.onu_id is None:
        raise InvalidInput("pon" if args.pon is None else "onu-id", "is required for this operation")
    return OnuRef(args.pon, args.onu_id, args.serial or "")


def _wan(args):
    if not args.wan_mode:
        return None
    if len(args.wan_dns) > 2:
        raise InvalidInput("wan-dns", "at most two servers")
    dns = [*args.wan_dns, "", ""]
    return WanConfig(
        mode=args.wan_mode,
        vlan=args.wan_vlan if args.wan_vlan is not None else args.vlan,
        username=args.pppoe_user or "",
        password=_secret_from_env(args.pppoe_password_env, "pppoe-password-env"),
        ip=args.wan_ip or "",
        netmask=args.wan_netmask or "",
        gateway=args.wan_gateway or "",
        dns1=dns[0],
        dns2=dns[1],
    )


def _wifi(args):
    if not args.wifi_ssid:
        return []
    key = _secret_from_env(args.wifi_key_env, "wifi-key-env")
    return [WifiConfig(args.wifi_index, args.wifi_ssid, key, hidden=args.wifi_hidden, auth_mode=args.wifi_auth_mode)]


def _provision_olt(driver, args):
    service = OnuService(
        serial=args.serial or "",
        pon=args.pon or "",
        vlan=args.vlan,
        onu_id=args.onu_id,
        user_vlan=args.user_vlan,
        description=args.description,
        line_profile=args.line_profile,
        service_profile=args.service_profile,
        tcont=args.tcont,
        gemport=args.gemport,
        dba_profile=args.dba_profile,
        traffic_profile=args.traffic_profile,
        onu_type=args.onu_type,
    )
    return driver.provision(service, wan=_wan(args), wifi=_wifi(args))


def _bulk(driver, args):
    refs = []
    for item in args.onus.split(","):
        pon, _, onu_id = item.strip().rpartition(":")
        if not pon or not onu_id.isdigit():
            raise InvalidInput("onus", f"{item!r} is not PON:ID")
        refs.append(OnuRef(pon, int(onu_id)))
    return driver.bulk_apply(refs, BulkChange(args.change, _pairs(args.param, "param")))


def _olt_operation(driver, args):
    command = args.command
    if command == "discover":
        return driver.discover()
    if command == "provision":
        return _provision_olt(driver, args)
    if command == "bulk":
        return _bulk(driver, args)
    if command == "save":
        return driver.save()
    return getattr(driver, command)(_ref(args))


def _rate(text):
    up, _, down = (text or "").partition("/")
    try:
        return RateLimit(up=float(up), down=float(down))
    except ValueError:
        raise InvalidInput("rate", f"{text!r} is not UP/DOWN in Mbit/s") from None


def _router_operation(driver, args):
    command = args.command
    if command in OLT_ONLY:
        raise InvalidInput("command", f"{command} is for OLTs; {args.platform} is a router")
    if not args.name:
        raise InvalidInput("name", "is required for router operations")
    if command == "provision":
        subscriber = Subscriber(
            name=args.name,
            password=_secret_from_env(args.pppoe_password_env, "pppoe-password-env"),
            profile=args.profile,
            remote_address=args.remote_address,
            comment=args.comment,
            rate_limit=_rate(args.rate) if args.rate else None,
        )
        return driver.ensure_subscriber(subscriber)
    if command == "suspend":
        return driver.suspend_subscriber(args.name, args.method)
    if command == "resume":
        return driver.resume_subscriber(args.name, args.method)
    if command == "remove":
        return driver.remove_subscriber(args.name)
    return driver.subscriber_status(args.name)


def _read_capture(path):
    if not path:
        return sys.stdin.buffer.read().decode("utf-8", errors="replace")
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError as error:
        raise InvalidInput("file", f"cannot read {path}: {error.strerror}") from None


def _certificate_fingerprint(host, port, timeout=10.0):
    """The api-ssl certificate a router presents (RouterOS certificates are mostly self-signed)."""
    from .mikrotik import certificate_fingerprint  # librouteros is needed for this only

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with context.wrap_socket(sock, server_hostname=host) as tls:
                return certificate_fingerprint(tls.getpeercert(binary_form=True))
    except OSError as error:
        raise ConnectError(f"no TLS server at {host}:{port}: {error}") from error


def _parse(args):
    driver_class = get_driver(args.platform)
    rest = list(args.rest)
    if args.typed is None:
        if not rest or rest[0] != "autofind" or len(rest) > 2:
            raise InvalidInput("command", "give --command 'COMMAND AS TYPED' (or 'autofind')")
        return [onu.to_dict() for onu in driver_class.parse_autofind(_read_capture(rest[1] if len(rest) > 1 else None))]
    if len(rest) > 1:
        raise InvalidInput("file", "one capture file at most")
    text = _read_capture(rest[0] if rest else None)
    return [item.to_dict() for item in driver_class.parse_command(args.typed, text)]


def _run(args):
    if args.command == "parse":
        return _parse(args)
    if args.command == "host-key":
        fetch = fetch_host_key if args.protocol == "ssh" else _certificate_fingerprint
        return {"host": args.host, "port": args.port, "fingerprint": fetch(args.host, args.port)}
    driver = get_driver(args.platform)(_target(args))
    operation = _olt_operation if args.platform in OLT_PLATFORMS else _router_operation
    with driver:
        payload = operation(driver, args).to_dict()
    if args.command == "bulk":
        # One ONU's failure does not stop the others, but the run did not fully succeed.
        payload["ok"] = all(item["ok"] for item in payload["data"])
    return payload


def _masked(text):
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def _print(payload, stream=sys.stdout):
    stream.write(_masked(json.dumps(payload, indent=2, default=str)) + "\n")


def _fail(payload, refused=False):
    """Failure: the JSON on stdout, one line on stderr, the exit status."""
    _print(payload)
    message = " ".join(payload["message"].split())
    sys.stderr.write(_masked(f"error: {payload['error']}: {message}") + "\n")
    return EXIT_INVALID_INPUT if refused else EXIT_DEVICE_ERROR


def _options_first(argv):
    """``parse PLATFORM --command "..." FILE``: argparse has settled the
    positionals of ``parse`` before it meets the option, so the file would be
    refused; the option is moved before the positionals it interrupts."""
    if not argv or argv[0] != "parse":
        return argv
    head, rest, options = argv[:1], argv[1:], []
    positionals = []
    index = 0
    while index < len(rest):
        word = rest[index]
        if word == "--command" and index + 1 < len(rest):
            options += rest[index : index + 2]
            index += 2
            continue
        (options if word.startswith("--command=") else positionals).append(word)
        index += 1
    return head + options + positionals


def main(argv=None):
    # stderr is the one-line error; library log records (paramiko's "Socket
    # exception" when a device hangs up after logout) must not land there.
    logging.getLogger().addHandler(logging.NullHandler())
    try:
        payload = _run(_parser().parse_args(_options_first(sys.argv[1:] if argv is None else list(argv))))
    except DriverError as error:
        payload = dict(error.to_dict(), ok=False)
        payload["transcript"] = error.transcript.to_list() if error.transcript is not None else []
        return _fail(payload, refused=isinstance(error, (InvalidInput, UnsupportedOperation)))
    except Exception as error:  # noqa: BLE001 - a bug's traceback could carry a secret: mask it
        return _fail(
            {"error": "internal_error", "message": f"{type(error).__name__}: {error}", "ok": False, "transcript": []}
        )
    _print(payload)
    return 0 if not isinstance(payload, dict) or payload.get("ok", True) else EXIT_DEVICE_ERROR


if __name__ == "__main__":
    sys.exit(main())
