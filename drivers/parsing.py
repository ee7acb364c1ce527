"""TextFSM parsing of device output.

Templates live in drivers/templates/<platform>_<command>.textfsm and end with
``^. -> Error``, so a line nobody expected stops the parse instead of being
dropped: raw text is never passed on as if it were parsed.
"""

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
