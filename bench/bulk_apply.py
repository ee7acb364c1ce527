"""Bulk apply on one OLT: one session against one login per ONU.

    python bench/bulk_apply.py [--platform huawei] [--onus 500] [--latency-ms 50]

The simulator answers every command line after a fixed latency, so the lower
bound of any run is (command lines the device received) x latency.  Printed
figures are ratios measured in this one run; nothing here asserts a time.
"""

import argparse
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import simulator  # noqa: E402
from drivers import get_driver  # noqa: E402
from drivers.models import BulkChange, OnuRef, Target  # noqa: E402

PASSWORD = "bench-Pw-1"
#: enough PON ports for 500 registered ONUs, written as each platform does
PONS = {
    "huawei": [f"0/1/{port}" for port in range(8)],
    "vsol": [f"0/{port}" for port in range(1, 9)],
    "zte": [f"1/1/{port}" for port in range(1, 9)],
    "zte_c600": [f"1/1/{port}" for port in range(1, 9)],
}


def _refs(sim):
    return [OnuRef(onu["pon"], onu["id"]) for onus in sim.state()["onus"].values() for onu in onus]


def _target(sim, platform, protocol):
    return Target(platform, sim.host, sim.port, protocol, "admin", PASSWORD, secret=PASSWORD, command_timeout=60)


def _measure(sim, run):
    commands_before = len(sim.commands)
    logins_before = sim.logins["succeeded"]
    started = time.perf_counter()
    results = run()
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "commands": len(sim.commands) - commands_before,
        "logins": sim.logins["succeeded"] - logins_before,
        "failed": sum(1 for item in results if not item.ok),
    }


def main(argv=None):
    # A device hanging up after 'quit' is routine; paramiko logs each one.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", default="huawei")
    parser.add_argument("--protocol", default="ssh")
    parser.add_argument("--onus", type=int, default=500)
    parser.add_argument("--baseline-onus", type=int, default=None, help="ONUs for the naive baseline (default: same)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000.0
    change = BulkChange("vlan", {"vlan": 300})

    with simulator.start(
        platform=args.platform,
        protocol=args.protocol,
        password=PASSWORD,
        secret=PASSWORD,
        registered=args.onus,
        latency=latency,
        options={"pons": PONS[args.platform]},
    ) as sim:
        refs = _refs(sim)
        driver_class = get_driver(args.platform)

        def one_session():
            return driver_class(_target(sim, args.platform, args.protocol)).bulk_apply(refs, change).data

        baseline_refs = refs[: args.baseline_onus or len(refs)]

        def one_login_per_onu():
            results = []
            for ref in baseline_refs:
                results.extend(driver_class(_target(sim, args.platform, args.protocol)).bulk_apply([ref], change).data)
            return results

        rows = [
            ("one session", len(refs), _measure(sim, one_session)),
            ("one login per ONU", len(baseline_refs), _measure(sim, one_login_per_onu)),
        ]

    print(f"bulk apply, {args.platform}/{args.protocol}, latency {args.latency_ms:.0f} ms per command line")
    print(
        f"{'strategy':<20}{'ONUs':>6}{'logins':>8}{'commands':>10}{'wall s':>9}{'bound s':>9}{'ratio':>7}{'failed':>8}"
    )
    for label, count, row in rows:
        bound = row["commands"] * latency
        print(
            f"{label:<20}{count:>6}{row['logins']:>8}{row['commands']:>10}{row['wall']:>9.2f}{bound:>9.2f}"
            f"{row['wall'] / bound:>7.2f}{row['failed']:>8}"
        )
    single, naive = rows[0][2], rows[1][2]
    per_onu_single = single["wall"] / len(refs)
    per_onu_naive = naive["wall"] / len(baseline_refs)
    print(
        f"per ONU: {per_onu_single * 1000:.0f} ms in one session, {per_onu_naive * 1000:.0f} ms with a login each "
        f"({per_onu_naive / per_onu_single:.1f}x)"
    )


if __name__ == "__main__":
    main()
