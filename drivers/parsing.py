"""TextFSM parsing of device output.

Templates live in drivers/templates/<platform>_<command>.textfsm and end with
``^. -> Error``, so a line nobody expected stops the parse instead of being
dropped: raw text is never passed on as if it were parsed.
"""

import re
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
        if re.match(r"^\s*Command:\s*$", line):
            continue
        for noise in _NOISE:
            line = noise.sub("", line)
        if PROMPT_LINE.match(line) and not line.strip().startswith(("<cr>",)):
            # A later prompt ends the output of this command.
            if re.match(r"^\s*[\w.\-]+(?:\([^)\n]*\))?[#>]\s*(\S.*)?$", line):
                break
        out.append(line)
    return "\n".join(out).strip("\n")
