"""Every TextFSM template against its captured outputs (ntc-templates style).

Fixtures: tests/drivers/fixtures/<template name>/<case>.raw holds output as
the device printed it (after the session's cleaning, i.e. what the driver
hands to the template); <case>.json holds the expected rows.  A template
without fixtures fails here.
"""

import json
from pathlib import Path

import pytest

from drivers import parsing

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATES = sorted(path.stem for path in parsing.TEMPLATE_DIR.glob("*.textfsm"))
CASES = sorted(FIXTURES.glob("*/*.raw"))


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_fixtures(template):
    cases = list((FIXTURES / template).glob("*.raw"))
    assert len(cases) >= 2, f"template {template} needs at least two captured outputs in {FIXTURES / template}"


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_ends_with_error_rule(template):
    text = parsing.template_path(template).read_text(encoding="utf-8")
    assert "^. -> Error" in text, f"{template} must end its states with '^. -> Error'"


@pytest.mark.parametrize("raw", CASES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_template_parses_fixture(raw):
    expected = json.loads(raw.with_suffix(".json").read_text(encoding="utf-8"))
    assert parsing.parse(raw.parent.name, raw.read_text(encoding="utf-8")) == expected
