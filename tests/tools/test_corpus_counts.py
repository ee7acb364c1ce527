"""tools/corpus_counts.py counts every capture of the corpus once, under its platform and command."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = importlib.util.spec_from_file_location("corpus_counts", ROOT / "tools" / "corpus_counts.py")
corpus_counts = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(corpus_counts)


def test_every_capture_is_counted_once_with_its_source(tmp_path):
    for platform, command, name, repo in (
        ("zte", "show_gpon_onu_state", "a", "owner/one"),
        ("zte", "show_gpon_onu_state", "b", "owner/two"),
        ("vsol", "show_onu_info", "c", ""),
    ):
        folder = tmp_path / platform / command
        folder.mkdir(parents=True, exist_ok=True)
        source = {"repository": repo} if repo else {"url": "https://example.org/log"}
        (folder / f"{name}.json").write_text(json.dumps({"firmware": "V2.1.0", "source": source}))
    (tmp_path / "zte" / "stray.json").write_text("{}")  # not <platform>/<command>/<name>.json
    found = corpus_counts.corpus(tmp_path)
    assert {p: {c: len(i) for c, i in cmds.items()} for p, cmds in found.items()} == {
        "zte": {"show_gpon_onu_state": 2},
        "vsol": {"show_onu_info": 1},
    }
    assert found["vsol"]["show_onu_info"] == [("c", "V2.1.0", "https://example.org/log")]


def test_the_real_corpus_matches_its_files():
    found = corpus_counts.corpus()
    files = list(corpus_counts.CORPUS.glob("*/*/*.json"))
    assert sum(len(items) for commands in found.values() for items in commands.values()) == len(files)
    assert {"huawei", "zte", "zte_c600", "vsol"} <= set(found)
