"""Reading device output: TextFSM templates and the readers every driver shares.

Templates live in drivers/templates/<platform>_<command>.textfsm and end with
``^. -> Error``, so a line nobody expected stops the parse instead of being
dropped: raw text is never passed on as if it were parsed.  The other readers
keep that rule: ``read_table`` (a table by its header's column positions:
V-SOL and ZTE), ``read_tables`` (tables whose rows a pager pushes right, read
as a sequence of cell shapes: Huawei), ``key_values`` / ``read_fields`` /
``read_blocks`` (``Name : value`` lines) and ``read_config_sections``.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import textfsm

from .errors import ParseError

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def template_path(name):
    path = TEMPLATE_DIR / f"{name}.textfsm"
    if not path.is_file():
        raise ParseError(f"no TextFSM template named {name}")
    return path


def parse(name, text):
    """Rows of ``text`` parsed with template ``name``, as dicts keyed by the
    template's value names in lower case."""
    with template_path(name).open(encoding="utf-8") as handle:
        fsm = textfsm.TextFSM(handle)
    try:
        rows = fsm.ParseText(text)
    except textfsm.TextFSMError as error:
        raise ParseError(f"output did not match template {name}: {error}") from error
    header = [column.lower() for column in fsm.header]
    return [dict(zip(header, row, strict=True)) for row in rows]


#: a CLI prompt at the start of a line: ``MA5800-X7#``, ``ZXAN(config-if)#``,
#: ``OLT_V1600G1(config)#``, ``<Huawei>``
PROMPT_LINE = re.compile(r"^\s*(?:<[\w.\-]+>|[\w.\-]+(?:\([^)\n]*\))?[#>])")
#: what terminals show that is no output: pagers, completion prompts
_NOISE = (
    re.compile(r"-+ ?More[^\n]*?-+"),
    re.compile(r"--More--"),
    re.compile(r"\{ ?<cr>[^\n]*\}:[^\n]*"),
)


def _command_words(command):
    return re.sub(r"\s*\|\s*no-more\s*$", "", command.strip()).split()


def command_output(text, command):
    """The output of ``command`` in ``text`` as a terminal captured it.

    Lines before the echo of the command (its words, whatever the spacing or a
    ``| no-more``), the echo, Huawei's ``Command:`` completion echo, pagers and
    every prompt line after the output are dropped.  A capture without the echo
    (output only) is taken whole.  ``text`` must already be cleaned of escapes
    (``drivers.cli.clean_output``).
    """
    lines = text.replace("\r\n", "\n").replace("\r", "").split("\n")
    words = _command_words(command)
    start = 0
    for number, line in enumerate(lines):
        body = PROMPT_LINE.sub("", line, count=1) if PROMPT_LINE.match(line) else line
        if _command_words(body) == words:
            start = number + 1
            break
    out = []
    for line in lines[start:]:
        # Huawei's "Command:" line and the echo it repeats after a completion prompt.
        if re.match(r"^\s*Command:\s*$", line) or (start and _command_words(line) == words):
            continue
        for noise in _NOISE:
            line = noise.sub("", line)
        if PROMPT_LINE.match(line) and not line.strip().startswith(("<cr>",)):
            # A later prompt ends the output of this command.
            if re.match(r"^\s*[\w.\-]+(?:\([^)\n]*\))?[#>]\s*(\S.*)?$", line):
                break
        out.append(line)
    return "\n".join(out).strip("\n")


# ---------------------------------------------------------------------------
# Terminals that place table cells with the cursor
# ---------------------------------------------------------------------------

_CELL_MOVE = re.compile(r"\r|\x1b\[(\d*)C")


def render_cursor_columns(text):
    """Lines drawn with carriage returns and cursor-forward escapes, as a terminal shows them.

    Some firmware prints each table cell as ``\\r ESC[<n>C value``: back to the
    first column, then ``n`` columns right (V-SOL V1600G0-B V1.4.8R does, for
    ``show onu info`` and ``show onu state``).  Removing the escapes, or
    turning each one into spaces from where the cursor happens to be, glues
    the cells together; drawing the line on a grid puts every value under
    its header.  Only lines holding a carriage return followed by an escape
    are drawn; every other line is left exactly as it was.
    """
    if "\r\x1b[" not in text:
        return text
    return "\n".join(_draw(line) if "\r\x1b[" in line else line for line in text.split("\n"))


def _draw(line):
    cells, column, position = [], 0, 0
    for move in _CELL_MOVE.finditer(line):
        column = _put(cells, column, line[position : move.start()])
        column = 0 if move.group(0) == "\r" else column + int(move.group(1) or 1)
        position = move.end()
    _put(cells, column, line[position:])
    return "".join(cells).rstrip()


def _put(cells, column, text):
    if len(cells) < column:
        cells.extend(" " * (column - len(cells)))
    cells[column : column + len(text)] = text
    return column + len(text)


# ---------------------------------------------------------------------------
# Tables read by their header
# ---------------------------------------------------------------------------

#: a line that only draws the table: dashes, equal signs, plus signs, spaces
SEPARATOR_LINE = re.compile(r"^[\s\-=+]+$")


def _normalised(name):
    return re.sub(r"[^a-z0-9]", "", name.lower())


def header_columns(line, names):
    """``[(key, start)]`` of the columns ``names`` in a header line, or None.

    ``names`` is ``[(key, (spelling, ...)), ...]`` in the order the device
    prints them (a third item ``True`` marks a column some firmware leaves
    out); a spelling matches whatever the spacing and case inside it
    (``Admin State``, ``AdminState``).  Columns the caller does not name are
    allowed between and after (an added ``MAC`` or ``Channel`` column).
    """
    found, position = [], 0
    for key, spellings, *optional in names:
        best = None
        for pattern in _spelling_patterns(spellings):
            match = pattern.search(line, position)
            if match and (best is None or match.start() < best.start()):
                best = match
        if best is None:
            if optional and optional[0]:
                continue
            return None
        found.append((key, best.start(), best.end()))
        position = best.end()
    return found


@functools.lru_cache(maxsize=256)
def _spelling_patterns(spellings):
    patterns = []
    for spelling in spellings:
        words = [re.escape(word) for word in spelling.split()]
        patterns.append(re.compile(r"(?<!\S)" + r"\s*".join(words) + r"(?!\S)", re.IGNORECASE))
    return patterns


def _other_columns(line, named):
    """Starts of the header's columns the caller did not name (2+ spaces apart)."""
    taken = [(start, end) for _, start, end in named]
    extra = []
    for match in re.finditer(r"\S+(?: \S+)*", line):
        if not any(start <= match.start() < end for start, end in taken):
            extra.append(match.start())
    return extra


def read_table(text, names, *, command, firmware="", key=None, ignore=(), required=True, check=None):
    """Rows of the table in ``text`` as dicts ``{key: value}``, read by its header.

    The header line gives each column's name and position (``header_columns``),
    so padding, trailing spaces, a separator broken by a space or a column the
    caller does not read change nothing.  A row whose cells match the columns
    one for one is read in order (a long value may push the next one right);
    otherwise each value goes to the column it starts under.  Every column not
    marked optional must hold a value.  ``key`` (a
    regex) is what the first column of a data row looks like: any other line
    after the header that is not blank, a separator, a repeated header or one
    of ``ignore`` (footers, empty-result words) raises ParseError naming the
    command, the firmware and the line.  Without a header, a text of ignorable
    lines is an empty table; anything else is an error (``required``).
    ``check(row)`` raises ValueError for a row whose cells cannot be read (a
    serial, an index, a state): the ParseError then names the line and why.
    Words printed left of the first column (an unnamed row counter) are under
    the key ``"_lead"``.
    """
    columns, rows = None, []
    where = f"'{command}'" + (f" (firmware {firmware})" if firmware else "")
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped or SEPARATOR_LINE.match(stripped) or any(re.search(p, stripped) for p in ignore):
            continue
        header = header_columns(line, names)
        if header is not None:
            if columns is None:
                columns = header
                extra = _other_columns(line, header)
            continue
        if columns is None:
            if required:
                raise ParseError(f"{where}: expected the table header before {stripped!r}")
            continue
        row = _split_row(line, columns, extra)
        empty = [key for key, _, *optional in names if not (optional and optional[0]) and not row.get(key)]
        if empty or (key and not re.fullmatch(key, row[columns[0][0]])):
            raise ParseError(f"{where}: cannot read the line {stripped!r}")
        row = _with_absent(row, names)
        if check is not None:
            try:
                check(row)
            except ValueError as error:
                raise ParseError(f"{where}: {error}: {stripped!r}") from None
        rows.append(row)
    return rows


def _split_row(line, columns, extra):
    tokens = [(match.start(), match.group()) for match in re.finditer(r"\S+", line)]
    bounds = sorted([(start, key) for key, start, _ in columns] + [(start, None) for start in extra])
    # a counter printed left of the first column (ZTE's authentication history)
    lead = [value for start, value in tokens if start + 1 < bounds[0][0]]
    tokens = tokens[len(lead) :]
    row = {"_lead": " ".join(lead)} if lead else {}
    if len(tokens) == len(bounds):
        row.update((key, value) for (_, key), (_, value) in zip(bounds, tokens, strict=True) if key is not None)
        return row
    row.update((key, []) for _, key in bounds if key is not None)
    for start, value in tokens:
        # the last column starting at or before the value (a right-aligned
        # number may start one column early)
        owner = next((key for column, key in reversed(bounds) if column <= start + 1), bounds[0][1])
        if owner is not None:
            row[owner].append(value)
    return {key: values if isinstance(values, str) else " ".join(values) for key, values in row.items()}


def _with_absent(row, names):
    for key, *_ in names:
        row.setdefault(key, "")
    return row


def key_values(text, *, command, firmware="", ignore=()):
    """``Name : value`` lines as an ordered dict ``{name: value}`` (names as printed, stripped).

    A line that is not blank, a separator, one of ``ignore`` or a ``name:
    value`` pair raises ParseError naming the command, the firmware and the line.
    """
    where = f"'{command}'" + (f" (firmware {firmware})" if firmware else "")
    values = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if not stripped or SEPARATOR_LINE.match(stripped) or any(re.search(p, stripped) for p in ignore):
            continue
        name, colon, value = stripped.partition(":")
        if not colon or not name.strip():
            raise ParseError(f"{where}: cannot read the line {stripped!r}")
        values[name.strip()] = value.strip()
    return values


# Tables read by their header.  TextFSM templates pin a row to one regex; the
# devices do not hold still: a firmware adds a column, pads a cell, breaks a
# separator with a space, or a pager's erase sequence leaves a row shifted
# right.  A table is therefore described by its column names and the shape of
# each cell; the header line says which columns are there and in what order,
# and each row is read as that sequence of cells.
# ---------------------------------------------------------------------------

#: a separator line, even when broken by spaces (``------- -------``)
SEPARATOR = re.compile(r"^\s*-+(?:\s+-+)*\s*$")


@dataclass(frozen=True)
class Column:
    """One column: its name on the header line and the shape of its cells.

    ``name`` is matched as words (any run of spaces between them) against
    the first header line.  ``pattern`` is the regex of one cell; it may hold
    spaces (``0/ 1/0``, a date and a time).  ``rest`` marks a free-text last
    column (a description) that takes what is left of the line.
    """

    name: str
    field: str
    pattern: str = r"\S+"
    required: bool = True
    rest: bool = False


@dataclass(frozen=True)
class TableSpec:
    """A table: its columns in printed order and what its data rows look like.

    ``row`` matches a line that looks like data (usually its first cell); such
    a line that cannot be read as the table's cells is a ParseError, never
    skipped.  ``skip`` are the other lines the device prints around the table
    (totals, titles); ``stop`` lines start prose (notes) that lasts until the
    next header.  ``wraps``: a free-text last column continues on lines that
    do not look like data.
    """

    name: str
    columns: tuple
    row: str
    skip: tuple = ()
    stop: tuple = ()
    wraps: bool = False


def _name_regex(name):
    """A column name as words; ``A|B`` for a column firmware spell two ways."""
    spellings = (r"\s+".join(re.escape(word) for word in spelling.split()) for spelling in name.split("|"))
    return r"(?<!\S)(?:" + "|".join(spellings) + r")(?!\S)"


@functools.lru_cache(maxsize=None)
def _name_pattern(name):
    # Every line of a table is tried as a header: a port's table of 128 ONUs
    # would build the same patterns hundreds of times.
    return re.compile(_name_regex(name))


def _header_layout(spec, line):
    """The columns in ``line`` (a header of ``spec``) in printed order, or None.

    Known names are looked for left to right; words between them that no
    known name covers are columns this reader does not know (an added MAC or
    Channel column), read as one word each and dropped.
    """
    found, position = [], 0
    for column in spec.columns:
        match = _name_pattern(column.name).search(line, position)
        if match is None:
            if column.required:
                return None
            continue
        found.append((match.start(), match.end(), column))
        position = match.end()
    layout, position = [], 0
    for start, end, column in found:
        layout.extend(Column(word, "", r"\S+") for word in line[position:start].split())
        layout.append(column)
        position = end
    layout.extend(Column(word, "", r"\S+") for word in line[position:].split())
    return layout


def _row_regex(layout):
    cells = []
    for number, column in enumerate(layout):
        pattern = r".*?" if column.rest else column.pattern
        cells.append(f"(?P<c{number}>{pattern})")
    return re.compile(r"^\s*" + r"\s+".join(cells) + r"\s*$")


def _fail(command, firmware, line, why="cannot read this line"):
    where = f" (firmware {firmware})" if firmware else ""
    return ParseError(f"{command}{where}: {why}: {line.strip()!r}")


def read_tables(text, specs, command="", firmware="", skip=()):
    """Rows of every table of ``specs`` found in ``text``, as dicts by field.

    Each row dict also carries ``"_table"`` (the spec name).  Lines before
    the first header must match ``skip`` (or be blank or separators); a line
    nobody expected raises ParseError naming ``command``, ``firmware`` and
    the line.
    """
    specs = tuple(specs)
    rows = []
    spec = layout = regex = None
    in_header = stopped = False
    for line in text.split("\n"):
        header = next(((s, lay) for s in specs if (lay := _header_layout(s, line)) is not None), None)
        if header is not None:
            spec, layout = header
            regex, in_header, stopped = _row_regex(layout), True, False
            continue
        if not line.strip() or SEPARATOR.match(line):
            if SEPARATOR.match(line):
                in_header = False
            continue
        if any(re.search(pattern, line) for pattern in skip):
            continue
        if spec is None:
            raise _fail(command, firmware, line, "unexpected line before any table header")
        if stopped or any(re.search(pattern, line) for pattern in spec.skip):
            continue
        if any(re.search(pattern, line) for pattern in spec.stop):
            stopped = True
            continue
        match = regex.match(line)
        if match and re.match(spec.row, line):
            row = {"_table": spec.name}
            for number, column in enumerate(layout):
                if column.field:
                    row[column.field] = match.group(f"c{number}").strip()
            if layout[-1].rest:
                row["_padded"] = line != line.rstrip()
            rows.append(row)
            continue
        if re.match(spec.row, line):
            raise _fail(command, firmware, line, f"a {spec.name} row that does not fit its header")
        if in_header:
            continue  # the second line of a two-line header ("ID  flag  state")
        if spec.wraps and rows and rows[-1]["_table"] == spec.name and layout[-1].rest:
            last = rows[-1]
            last[layout[-1].field] = join_wrapped(last[layout[-1].field], last["_padded"], line)
            last["_padded"] = line != line.rstrip()
            continue
        raise _fail(command, firmware, line, f"unexpected line in the {spec.name} table")
    return rows


def join_wrapped(value, padded, continuation):
    """A cell the device wrapped onto the next line, put back together.

    The device fills the column to its width and goes on at the next line: a
    piece that ended in padding ended at a word (join with a space), one that
    filled the column to its last character was cut inside a word (join as is).
    """
    return f"{value}{' ' if padded else ''}{continuation.strip()}".strip()


_FIELD_LINE = re.compile(r"^\s*(?P<key>[^:\n]*?[^\s:])\s*:(?P<value>.*)$")


def read_blocks(text, start, command="", firmware="", skip=()):
    """``key : value`` records: a new record starts at each key ``start``.

    Returns (head, records): ``head`` holds the fields printed before the
    first record (e.g. ``F/S/P`` and ``ONT ID``), each record the fields from
    its ``start`` key on.  Keys are kept as printed, with runs of spaces made
    one.  Separators and blank lines are skipped, as are lines matching
    ``skip``; any other line raises ParseError.
    """
    head, records, current = {}, [], None
    for line in text.split("\n"):
        if not line.strip() or SEPARATOR.match(line) or any(re.search(p, line) for p in skip):
            continue
        match = _FIELD_LINE.match(line)
        if not match:
            raise _fail(command, firmware, line)
        key = " ".join(match["key"].split())
        if key == start:
            current = {}
            records.append(current)
        (head if current is None else current)[key] = match["value"].strip()
    return head, records


# ---------------------------------------------------------------------------
# ``Key: value`` blocks and running configurations (ZTE)
# ---------------------------------------------------------------------------

#: a rule line: dashes or equal signs, possibly broken by spaces (ZTE detail-info)
RULE_LINE = re.compile(r"^\s*(?:[-=]{2,}\s*)+$")


def parse_error(command, firmware, line, why):
    """The ParseError a reader raises: what was read, on what, and where it stopped."""
    on = f" (firmware {firmware})" if firmware else ""
    return ParseError(f"'{command}'{on}: {why}: {line.strip()!r}")


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
