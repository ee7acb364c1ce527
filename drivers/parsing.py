"""TextFSM parsing of device output.

Templates live in drivers/templates/<platform>_<command>.textfsm and end with
``^. -> Error``, so a line nobody expected stops the parse instead of being
dropped: raw text is never passed on as if it were parsed.
"""

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


def _header_layout(spec, line):
    """The columns in ``line`` (a header of ``spec``) in printed order, or None.

    Known names are looked for left to right; words between them that no
    known name covers are columns this reader does not know (an added MAC or
    Channel column), read as one word each and dropped.
    """
    found, position = [], 0
    for column in spec.columns:
        match = re.compile(_name_regex(column.name)).search(line, position)
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
