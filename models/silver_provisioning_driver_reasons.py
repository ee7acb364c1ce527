"""The drivers' validation reasons in the user's language.

``drivers/`` never imports Odoo, so its reasons are English sentences built
from a few templates (drivers/validation.py).  They are translated here, at
the Odoo boundary: each template is matched and rebuilt with ``_()`` and the
same values.  A reason no template matches is shown as the driver wrote it.
"""

import re

from odoo import _

#: (name, pattern) of every template drivers/validation.py builds a reason from
TEMPLATES = [
    ("control", re.compile(r"contains a newline or control character")),
    ("cli_chars", re.compile(r"contains characters the device CLI would interpret: (?P<chars>.+)")),
    ("cli_any", re.compile(r"contains characters the device CLI would interpret \(space, '\?', quotes or backslash\)")),
    ("required", re.compile(r"is required")),
    ("user_chars", re.compile(r"may hold 1 to 64 letters, digits and \. _ @ -")),
    ("description_chars", re.compile(r"may hold up to 64 letters, digits and \. _ - / : @ \(no spaces or quotes\)")),
    ("length", re.compile(r"must be (?P<low>\d+) to (?P<high>\d+) characters long")),
    (
        "serial",
        re.compile(r"(?P<value>.+) is not a GPON serial \(4 letters or digits and 8 hex digits, or 16 hex digits\)"),
    ),
    ("serial_vendor", re.compile(r"(?P<value>.+) is not a GPON serial \(vendor id is not printable\)")),
    ("pon", re.compile(r"(?P<value>.+) is not a PON address like (?P<example>.+)")),
    ("seconds_type", re.compile(r"(?P<value>.+) is not a number of seconds")),
    ("int_type", re.compile(r"(?P<value>.+) is not a whole number")),
    ("ipv4", re.compile(r"(?P<value>.+) is not an IPv4 address")),
    ("choice", re.compile(r"(?P<value>.+) is not one of (?P<choices>.+)")),
    ("name", re.compile(r"(?P<value>.+) must be 1 to 64 letters, digits, '\.', '_' or '-'")),
    ("seconds_range", re.compile(r"(?P<value>.+) is out of range (?P<low>[-\d.]+)\.\.(?P<high>[-\d.]+) seconds")),
    ("range", re.compile(r"(?P<value>.+) is out of range (?P<low>-?\d+)\.\.(?P<high>-?\d+)")),
]


class DriverReasons:
    """Translates a driver's reason into the language of ``env`` (Odoo's ``_`` reads ``self.env``)."""

    def __init__(self, env):
        self.env = env

    def translate(self, reason):
        for name, pattern in TEMPLATES:
            match = pattern.fullmatch(reason or "")
            if match:
                return self._words(name, match.groupdict())
        return reason

    def _words(self, name, values):  # noqa: C901 - one literal _() per template, for the exporter
        if name == "control":
            return _("contains a newline or control character")
        if name == "cli_chars":
            return _("contains characters the device CLI would interpret: %(chars)s", **values)
        if name == "cli_any":
            return _("contains characters the device CLI would interpret (space, '?', quotes or backslash)")
        if name == "required":
            return _("is required")
        if name == "user_chars":
            return _("may hold 1 to 64 letters, digits and . _ @ -")
        if name == "description_chars":
            return _("may hold up to 64 letters, digits and . _ - / : @ (no spaces or quotes)")
        if name == "length":
            return _("must be %(low)s to %(high)s characters long", **values)
        if name == "serial":
            return _(
                "%(value)s is not a GPON serial (4 letters or digits and 8 hex digits, or 16 hex digits)", **values
            )
        if name == "serial_vendor":
            return _("%(value)s is not a GPON serial (vendor id is not printable)", **values)
        if name == "pon":
            return _("%(value)s is not a PON address like %(example)s", **values)
        if name == "seconds_type":
            return _("%(value)s is not a number of seconds", **values)
        if name == "int_type":
            return _("%(value)s is not a whole number", **values)
        if name == "ipv4":
            return _("%(value)s is not an IPv4 address", **values)
        if name == "choice":
            return _("%(value)s is not one of %(choices)s", **values)
        if name == "name":
            return _("%(value)s must be 1 to 64 letters, digits, '.', '_' or '-'", **values)
        if name == "seconds_range":
            return _("%(value)s is out of range %(low)s..%(high)s seconds", **values)
        return _("%(value)s is out of range %(low)s..%(high)s", **values)
