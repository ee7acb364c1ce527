"""Parsing a large auto-find output (2,048 ONUs by default) per platform.

    python bench/parse_autofind.py [--onus 2048]

The outputs are printed by the simulator's own dialects (not by the
drivers) in a real session, then parsed again by each driver's
parse_autofind as a terminal capture.  Prints seconds per
parse; the target is 0.5 s for 2,048 ONUs.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import simulator  # noqa: E402
from drivers import OLT_PLATFORMS, get_driver  # noqa: E402
from drivers.models import Target  # noqa: E402

TARGET_SECONDS = 0.5


def capture(platform, onus):
    """A terminal capture of a discovery on a simulated OLT with ``onus`` ONUs.

    Rebuilt from the transcript of a real session: each command after a
    prompt, then the device's answer, as a terminal shows it.
    """
    with simulator.start(
        platform=platform, protocol="ssh", password="bench-Pw-1", secret="bench-Pw-1", onus=onus
    ) as sim:
        target = Target(
            platform, sim.host, sim.port, "ssh", "admin", "bench-Pw-1", secret="bench-Pw-1", command_timeout=120
        )
        result = get_driver(platform)(target).discover()
    lines = []
    for entry in result.transcript.entries:
        if entry.kind == "send":
            lines.append(f"OLT# {entry.text}")
        elif entry.kind == "recv":
            lines.append(entry.text)
    return "\n".join(lines) + "\n", len(result.data)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--onus", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"parse auto-find output of {args.onus} ONUs (best of {args.repeat}); target {TARGET_SECONDS} s")
    for platform in OLT_PLATFORMS:
        text, discovered = capture(platform, args.onus)
        driver_class = get_driver(platform)
        best, parsed = None, []
        for _ in range(args.repeat):
            started = time.perf_counter()
            parsed = driver_class.parse_autofind(text)
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        verdict = "ok" if best <= TARGET_SECONDS else "OVER TARGET"
        if len(parsed) != discovered:
            verdict += f" (parsed {len(parsed)} of {discovered})"
        print(
            f"{platform:<10}{len(text) / 1e6:>7.2f} MB{len(parsed):>7} ONUs{best:>8.3f} s  "
            f"{best / TARGET_SECONDS:>5.2f} of target  {verdict}"
        )


if __name__ == "__main__":
    main()
