"""Input checks run before any connection is opened.

Every value that ends up inside a CLI command passes through here.  A value
that the CLI would interpret (a space splitting tokens, '?' asking for help,
a quote, a newline starting a new command) is refused with an error naming
the field; nothing is escaped and sent anyway.
"""

import ipaddress
import re
import string

from .errors import InvalidInput

_VENDOR_SERIAL = re.compile(r"^[A-Z0-9]{4}[0-9A-F]{8}$")
_HEX_SERIAL = re.compile(r"^[0-9A-F]{16}$")
_PPPOE_USER = re.compile(r"^[A-Za-z0-9._@\-]{1,64}$")
_NAME = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# No '#' or '>': a description ending a line would read as a prompt.
_DESCRIPTION = re.compile(r"^[A-Za-z0-9._\-/:@]{0,64}$")
# Printable ASCII without the characters a device CLI interprets:
# space (token separator), '?' (help), quotes, backslash.
_CLI_SAFE = set(string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>@[]^_{|}~")


def _reject(field, message):
    raise InvalidInput(field, message)


def _check_no_controls(field, value):
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        _reject(field, "contains a newline or control character")


def normalize_serial(value, field="serial"):
    """Return the 12-character vendor form, upper case.

    Accepts the vendor form (``HWTC0B086EA9``), the 16-hex form the OLTs print
    and scanners read (``485754430B086EA9``), and Huawei's bracketed display
    form (``HWTC-0B086EA9``).
    """
    if not isinstance(value, str) or not value.strip():
        _reject(field, "is required")
    _check_no_controls(field, value)
    serial = value.strip().upper().replace("-", "")
    if _HEX_SERIAL.fullmatch(serial):
        vendor = bytes.fromhex(serial[:8])
        if not all(65 <= b <= 90 or 48 <= b <= 57 for b in vendor):
            _reject(field, f"{value!r} is not a GPON serial (vendor id is not printable)")
        serial = vendor.decode("ascii") + serial[8:]
    if not _VENDOR_SERIAL.fullmatch(serial):
        _reject(field, f"{value!r} is not a GPON serial (4 letters or digits and 8 hex digits, or 16 hex digits)")
    return serial


def serial_to_hex(serial):
    """HWTC0B086EA9 -> 485754430B086EA9 (Huawei's sn-auth form)."""
    return serial[:4].encode("ascii").hex().upper() + serial[4:]


#: a whole number as the CLI types it: ASCII digits only (Python's int() also
#: takes '1_00', Arabic-Indic digits and surrounding whitespace)
_WHOLE = re.compile(r"-?[0-9]+")
_DOTTED_QUAD = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def check_int(field, value, low, high):
    """A whole number in ``low..high``; returns it as an int (the canonical
    form callers send: ``'0100'`` is sent as ``100``, ``'\n100'`` is refused)."""
    if isinstance(value, bool):
        _reject(field, f"{value!r} is not a whole number")
    if not isinstance(value, int):
        if not isinstance(value, str) or not _WHOLE.fullmatch(value):
            _reject(field, f"{value!r} is not a whole number")
        value = int(value)
    if not low <= value <= high:
        _reject(field, f"{value} is out of range {low}..{high}")
    return value


def check_seconds(field, value, low, high):
    """A number of seconds in ``low..high`` (int, float or ASCII decimal text); returns a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        _reject(field, f"{value!r} is not a number of seconds")
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            _reject(field, f"{value!r} is not a number of seconds")
    number = float(value)
    if not low <= number <= high:  # NaN fails this too
        _reject(field, f"{value} is out of range {low:g}..{high:g} seconds")
    return number


def check_vlan(value, field="vlan"):
    return check_int(field, value, 1, 4094)


def check_pon(value, parts, field="pon", limits=(0, 255)):
    """A PON address of ``parts`` numbers separated by '/' (0/1/3, 0/1, 1/1/1)."""
    if not isinstance(value, str):
        _reject(field, "is required")
    _check_no_controls(field, value)
    pieces = value.strip().split("/")
    if len(pieces) != parts or not all(_WHOLE.fullmatch(p) and not p.startswith("-") for p in pieces):
        example = "/".join(["0"] * (parts - 1) + ["1"])
        _reject(field, f"{value!r} is not a PON address like {example}")
    for piece in pieces:
        check_int(field, int(piece), *limits)
    return "/".join(str(int(p)) for p in pieces)


def check_cli_token(value, field, min_len=1, max_len=64):
    """A value sent as one CLI token: printable, no space, '?', quote or backslash."""
    if not isinstance(value, str):
        _reject(field, "is required")
    _check_no_controls(field, value)
    if not min_len <= len(value) <= max_len:
        _reject(field, f"must be {min_len} to {max_len} characters long")
    bad = sorted({ch for ch in value if ch not in _CLI_SAFE})
    if bad:
        _reject(field, f"contains characters the device CLI would interpret: {' '.join(repr(c) for c in bad)}")
    return value


def check_name(value, field, required=True):
    """Profile names and similar identifiers."""
    if not value and not required:
        return value
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        _reject(field, f"{value!r} must be 1 to 64 letters, digits, '.', '_' or '-'")
    return value


def check_description(value, field="description"):
    value = value or ""
    _check_no_controls(field, value)
    if not _DESCRIPTION.fullmatch(value):
        _reject(field, "may hold up to 64 letters, digits and . _ - / : @ (no spaces or quotes)")
    return value


def check_pppoe_user(value, field="username"):
    if not isinstance(value, str) or not value:
        _reject(field, "is required")
    _check_no_controls(field, value)
    if not _PPPOE_USER.fullmatch(value):
        _reject(field, "may hold 1 to 64 letters, digits and . _ @ -")
    return value


def check_password(value, field="password", min_len=1, max_len=64):
    if not value:
        _reject(field, "is required")
    # The value never appears in the message: it is a secret.
    _check_no_controls(field, value)
    if not min_len <= len(value) <= max_len:
        _reject(field, f"must be {min_len} to {max_len} characters long")
    bad = sorted({ch for ch in value if ch not in _CLI_SAFE})
    if bad:
        _reject(field, "contains characters the device CLI would interpret (space, '?', quotes or backslash)")
    return value


def check_ssid(value, field="ssid"):
    return check_cli_token(value, field, 1, 32)


def check_wpa_key(value, field="key"):
    return check_password(value, field, 8, 63)


def check_ipv4(value, field):
    """A dotted-quad IPv4 address, exactly as it is sent (no whitespace around
    it: ``'8.8.8.8\n'`` would end the CLI line); returns its canonical text."""
    if not isinstance(value, str) or not _DOTTED_QUAD.fullmatch(value):
        _reject(field, f"{value!r} is not an IPv4 address")
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError):
        _reject(field, f"{value!r} is not an IPv4 address")


def check_choice(value, field, choices):
    if value not in choices:
        _reject(field, f"{value!r} is not one of {', '.join(choices)}")
    return value


def check_wan(wan, prefix="wan"):
    check_choice(wan.mode, f"{prefix}.mode", ("pppoe", "dhcp", "static"))
    check_vlan(wan.vlan, f"{prefix}.vlan")
    check_choice(wan.wan_mode, f"{prefix}.wan_mode", ("router", "bridge"))
    if wan.mode == "pppoe":
        check_pppoe_user(wan.username, f"{prefix}.username")
        check_password(wan.password, f"{prefix}.password")
    if wan.mode == "static":
        check_ipv4(wan.ip, f"{prefix}.ip")
        check_ipv4(wan.netmask, f"{prefix}.netmask")
        check_ipv4(wan.gateway, f"{prefix}.gateway")
    for name in ("dns1", "dns2"):
        if getattr(wan, name):
            check_ipv4(getattr(wan, name), f"{prefix}.{name}")
    if wan.mtu:
        check_int(f"{prefix}.mtu", wan.mtu, 576, 1540)


def check_wifi(wifi, prefix="wifi", max_index=8):
    check_int(f"{prefix}.index", wifi.index, 1, max_index)
    check_ssid(wifi.ssid, f"{prefix}.ssid")
    check_choice(wifi.auth_mode, f"{prefix}.auth_mode", ("wpa2psk", "wpapsk/wpa2psk", "open"))
    check_choice(wifi.encrypt, f"{prefix}.encrypt", ("aes", "tkipaes"))
    if wifi.auth_mode != "open":
        check_wpa_key(wifi.key, f"{prefix}.key")


def check_dns_change(params, field="params"):
    check_ipv4(params.get("primary", ""), f"{field}.primary")
    if params.get("secondary"):
        check_ipv4(params["secondary"], f"{field}.secondary")
