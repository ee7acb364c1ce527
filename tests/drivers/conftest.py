"""The closing table of the fault matrix (tests/drivers/test_fault_matrix.py).

Each matrix test records its counts in its report's ``user_properties``
(which pytest-xdist carries back from its workers); this prints them summed
per platform and protocol at the end of the run.
"""

import json
from collections import defaultdict

#: points tried, the fault fired, the result was true to the device, one
#: re-run converged, all three; commands: of the uninterrupted runs (the bulk
#: run's points are a sample unless FAULT_MATRIX_FULL=1)
COUNTS = ("commands", "tried", "fired", "truthful", "converged", "passed")


def pytest_terminal_summary(terminalreporter):
    rows = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    failing = defaultdict(set)
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name != "fault_matrix":
                    continue
                data = json.loads(value)
                row = rows[data["platform"], data["protocol"]]
                for key in COUNTS:
                    row[key] += data[key]
                if data["probe_error"] or data["passed"] < data["tried"]:
                    failing[data["platform"], data["protocol"]].add(f"{data['operation']}/{data['fault']}")
    if not rows:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault matrix: points per platform")
    write(f"{'platform':<24} {'protocol':<8} " + " ".join(f"{key:>9}" for key in COUNTS) + "  failing")
    for (platform, protocol), row in sorted(rows.items()):
        cells = " ".join(f"{row[key]:>9}" for key in COUNTS)
        write(f"{platform:<24} {protocol:<8} {cells}  {', '.join(sorted(failing[platform, protocol])) or '-'}")
