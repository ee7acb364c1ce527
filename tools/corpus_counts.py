"""How many real captures the corpus holds, per platform and command, and from where.

    python tools/corpus_counts.py            # a table per platform
    python tools/corpus_counts.py --json     # the same as JSON

Reads tests/drivers/captures/<platform>/<command>/<name>.json; nothing else
counts (tests/drivers/transcripts/ and the template fixtures are not captures).
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "drivers" / "captures"


def corpus(root=CORPUS):
    """{platform: {command folder: [(name, firmware, repository or URL)]}}"""
    found = defaultdict(lambda: defaultdict(list))
    for meta_path in sorted(root.glob("*/*/*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        source = meta.get("source", {})
        where = source.get("repository") or source.get("url", "")
        platform, command = meta_path.parent.parent.name, meta_path.parent.name
        found[platform][command].append((meta_path.stem, meta.get("firmware", ""), where))
    return found


def _table(found):
    lines = []
    for platform in sorted(found):
        commands = found[platform]
        total = sum(len(items) for items in commands.values())
        lines.append(f"{platform}: {total} captures")
        for command in sorted(commands):
            items = commands[command]
            sources = ", ".join(sorted({where for _, _, where in items}))
            lines.append(f"  {command:<36} {len(items):>3}  {sources}")
    lines.append(f"all platforms: {sum(len(i) for c in found.values() for i in c.values())} captures")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    found = corpus()
    if args.json:
        payload = {
            platform: {
                command: [{"name": n, "firmware": f, "source": w} for n, f, w in items]
                for command, items in commands.items()
            }
            for platform, commands in found.items()
        }
        print(json.dumps(payload, indent=2))
    else:
        print(_table(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
