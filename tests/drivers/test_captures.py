"""The corpus of real captured outputs: every capture parses to what a person reads in it.

tests/drivers/captures/<platform>/<command>/<name>.txt is the output exactly
as a terminal captured it (echo, prompts, pagers, escapes, syslog lines), and
<name>.json beside it says where it comes from and what it means:

    {"command": "display ont info 0 1 0 all",      # as typed on the device
     "firmware": "MA5800 V100R019",                # the family it was printed by
     "source": {"repository": "owner/name", "path": "...", "commit": "...",
                "url": "...", "license": "Apache-2.0"},
     "expected": [ {...DiscoveredOnu / OnuStatus / ServicePort as to_dict()...} ]}

Captures are facts: none is invented, none is edited to suit a parser.
"""

import json
from pathlib import Path

import pytest

from drivers import get_driver

CORPUS = Path(__file__).resolve().parent / "captures"
PLATFORMS = ("huawei", "zte", "zte_c600", "vsol")


def _cases():
    return sorted(CORPUS.glob("*/*/*.json"))


def _id(path):
    return str(path.relative_to(CORPUS).with_suffix(""))


@pytest.mark.parametrize("meta_path", _cases(), ids=_id)
def test_capture_parses_to_what_it_shows(meta_path):
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    platform = meta_path.parent.parent.name
    raw = meta_path.with_suffix(".txt").read_text(encoding="utf-8")
    source = meta["source"]
    assert source.get("url") or (source.get("repository") and source.get("path")), "a capture says where it is from"
    assert source.get("license"), "a capture names the licence it is used under"
    parsed = [item.to_dict() for item in get_driver(platform).parse_command(meta["command"], raw)]
    assert parsed == meta["expected"]


def test_every_capture_has_its_meaning_beside_it():
    orphans = [p for p in CORPUS.glob("*/*/*.txt") if not p.with_suffix(".json").is_file()]
    assert not orphans, orphans


def test_the_corpus_holds_captures_only():
    """Terminal files written for the tests or recorded from the simulator live in
    tests/drivers/transcripts/: nothing but <platform>/<command>/<name> pairs here."""
    stray = [p for p in CORPUS.rglob("*") if p.is_file() and len(p.relative_to(CORPUS).parts) != 3]
    assert not stray, stray
    assert {p.name for p in CORPUS.iterdir()} <= set(PLATFORMS)
