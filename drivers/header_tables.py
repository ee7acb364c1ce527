"""Tables read by their header (the ZTE driver's reader; see drivers/parsing.py for the others)."""

import re

from .errors import ParseError

# Tables read by their header.  Column positions come from the header line
# the device printed, so an added column, padding, trailing spaces or a
# separator broken by a space change nothing; a line that is neither header,
# separator, footer nor a readable row stops the parse (ParseError naming the
# command, the firmware and the line).
# ---------------------------------------------------------------------------

#: a separator line: dashes (or '='), possibly broken by spaces
SEPARATOR = re.compile(r"^\s*(?:[-=]{2,}\s*)+$")


class Column:
    """One column a parser wants: its result key and the header spellings that name it.

    ``titles`` are regular expressions matched case-insensitively against the
    header line, a space in a title matching any run of spaces.
    """

    def __init__(self, key, *titles, required=True):
        self.key = key
        self.titles = titles or (key,)
        self.required = required

    def find(self, header):
        for title in self.titles:
            pattern = r"(?<!\S)" + r"\s+".join(title.split()) + r"(?!\S)"
            match = re.search(pattern, header, re.IGNORECASE)
            if match:
                return match.start(), match.end()
        return None


def parse_error(command, firmware, line, why):
    """The ParseError every reader raises: what was read, on what, and where it stopped."""
    on = f" ({firmware})" if firmware else ""
    return ParseError(f"'{command}'{on}: {why}: {line.strip()!r}")


def _header_columns(line, columns):
    """[(key, start)] of a header line, or None when a required column is missing.

    Words of the header no column names become columns of their own (key
    ``None``): their values are read and dropped, not mistaken for a neighbour's.
    """
    found, spans = [], []
    for column in columns:
        span = column.find(line)
        if span is None:
            if column.required:
                return None
            continue
        found.append((column.key, span[0]))
        spans.append(span)
    for word in re.finditer(r"\S+", line):
        if not any(start <= word.start() < end for start, end in spans):
            found.append((None, word.start()))
    return sorted(found, key=lambda item: item[1])


def _cells(line, layout):
    """{key: value} of one row: every word goes to the column it overlaps most."""
    bounds = [(key, start, layout[i + 1][1] if i + 1 < len(layout) else 10**6) for i, (key, start) in enumerate(layout)]
    cells = {}
    for word in re.finditer(r"\S+", line):
        best, overlap = "_lead", 0
        for key, start, end in bounds:
            shared = min(word.end(), end) - max(word.start(), start)
            if shared > overlap:
                best, overlap = key, shared
        if best == "_lead" and word.start() >= bounds[0][1]:
            best = bounds[-1][0]
        cells.setdefault(best, []).append(word.group())
    return {key: " ".join(words) for key, words in cells.items() if key is not None}


def read_table(text, command, columns, *, firmware="", skip=(), empty=(), wrapped=False, check=None):
    """The rows of a table in ``text`` as dicts keyed by ``Column.key``.

    ``skip``: patterns of lines that are no rows (footers such as ``ONU
    Number: 3/4``); ``empty``: patterns of the device's "nothing to show"
    answer (the result is then ``[]``); ``wrapped``: a line that starts with
    spaces continues the cells of the row above (a value wrapped in its
    column); ``check(row)`` raises ValueError for a row that cannot be read.
    Values a row leaves blank are ``""``.  A row before the first column (an
    unnamed counter) is under the key ``"_lead"``.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    layout, rows = None, []
    for line in lines:
        if not line.strip() or SEPARATOR.match(line):
            continue
        if any(re.search(pattern, line) for pattern in empty):
            continue
        if layout is None:
            layout = _header_columns(line, columns)
            if layout is None:
                raise parse_error(command, firmware, line, "expected the table header")
            continue
        if any(re.search(pattern, line) for pattern in skip):
            continue
        cells = _cells(line, layout)
        if wrapped and rows and line[:1].isspace() and not cells.get(layout[0][0]):
            for key, value in cells.items():
                rows[-1][0][key] = rows[-1][0].get(key, "") + value
            continue
        row = {column.key: cells.get(column.key, "") for column in columns}
        if "_lead" in cells:
            row["_lead"] = cells["_lead"]
        missing = [c.key for c in columns if c.required and not row[c.key]]
        if missing:
            raise parse_error(command, firmware, line, f"no {', '.join(missing)} in this row")
        rows.append((row, line))
    result = []
    for row, line in rows:
        if check is not None:
            try:
                check(row)
            except ValueError as error:
                raise parse_error(command, firmware, line, str(error)) from None
        result.append(row)
    return result


#: ``Key: value`` (the key may hold spaces, digits, '+', '()', '/', '.'; the
#: value may be empty or hold further colons, as in ``gpon-onu_1/1/1:5``)
_FIELD = re.compile(r"^\s*(?P<key>[A-Za-z0-9][A-Za-z0-9 +()/_.\-]*?)\s*:\s*(?P<value>.*?)\s*$")


def read_fields(lines, command, firmware=""):
    """``{key (lower case, single spaces): value}`` of ``Key: value`` lines; any
    other non-blank line is a ParseError."""
    fields = {}
    for line in lines:
        if not line.strip():
            continue
        match = _FIELD.match(line)
        if not match:
            raise parse_error(command, firmware, line, "expected 'Key: value'")
        fields.setdefault(" ".join(match.group("key").lower().split()), match.group("value"))
    return fields


#: what separates the sections of a running configuration
_CONFIG_NOISE = re.compile(r"^\s*(?:!.*|\$|end|Building configuration\.*|\.\.\[OK\])\s*$", re.IGNORECASE)


# the first words of a configuration statement or section: a line at the wrap
# width followed by one of these (as deep as it) ended there, it was not cut
_STATEMENT_WORDS = frozenset(
    """auth-mode description dhcp-ip firewall gemport gpon interface mgmt-ip name no onu pon pon-onu-mng pppoe
    security-mgmt security-mng service service-port shutdown sn-bind ssid switchport tcont tr069-mgmt vlan
    wan wan-ip wifi""".split()
)


def _continues(previous, line, width):
    """Whether physical ``line`` goes on with ``previous``, cut at ``width`` columns.

    Only a line the wrap left ``width`` long (``width - 1`` when the cut fell on a
    space the device trimmed) is continued, never by ``!``/``$``/``end`` or an
    empty line, nor by a line less indented (a new section), nor by a new
    statement as deep as it."""
    if len(previous.rstrip()) not in (width, width - 1) or not line.strip():
        return False
    if _CONFIG_NOISE.match(line):
        return False
    depth = len(previous) - len(previous.lstrip())
    indent = len(line) - len(line.lstrip())
    if indent < depth:
        return False
    if indent == depth and line.split()[0].lower() in _STATEMENT_WORDS:
        return False
    return True


def read_config_sections(text, width=80):
    """``{section line: [its indented lines, stripped]}`` of a running configuration.

    A section starts at a line without indentation (``interface gpon-onu_1/1/1:5``,
    ``pon-onu-mng gpon_onu-1/1/1:5``) and holds the indented lines that follow;
    ``!``, ``$``, ``end`` and ``Building configuration...`` are no content.
    Lines before the first section are returned under ``""``.  Devices wrap a
    long line at ``width`` columns, in the middle of a word, and go on on the
    next line (indented again or not): a line ``width`` long is joined
    with the one after it (a cut that fell on a space, trimmed by the way,
    leaves the line one shorter: so does 79).
    """
    physical = text.replace("\r\n", "\n").split("\n")
    lines, previous = [], ""
    for line in physical:
        if lines and _continues(previous, line, width):
            # the continuation is indented again as deep as the line it continues
            first, joined = lines[-1]
            depth = len(first) - len(first.lstrip())
            lines[-1] = (first, joined + line[min(depth, len(line) - len(line.lstrip())) :])
        else:
            lines.append((line, line))
        previous = line
    sections, current = {}, ""
    for first, line in lines:
        if not line.strip() or _CONFIG_NOISE.match(line):
            continue
        if not first[:1].isspace():
            current = " ".join(line.split())
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(" ".join(line.split()))
    return sections
