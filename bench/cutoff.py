"""Cut-off day: many suspensions, batched per device against today's one-by-one path.

    python bench/cutoff.py [--contracts 2000] [--olts 20] [--routers 4]
                           [--latency-ms 50] [--login-ms 1000] [--baseline 40]

Runs the drivers directly (not Odoo: 2,000 contracts through Odoo's test
runner would take the machine for an hour) with the grouping of
models/silver_provisioning_batch.py: one session per router and per OLT,
devices in parallel, each ONU disabled once its router cut is done, one save
per OLT at its end.  Today's path is the cron's
loop: per contract a login on the OLT, the ONU disabled, a login on the
router, the secret disabled, a save; it runs on ``--baseline`` contracts and
is extrapolated linearly to all of them (said so in the output).

The lower bound is, per device, the command lines it received x latency plus
its logins x login time, the devices in parallel: the slowest device.
Printed figures are ratios from this one run; nothing here asserts a time.
"""

import argparse
import logging
import os
import queue
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import simulator  # noqa: E402
from drivers import get_driver  # noqa: E402
from drivers.models import OnuRef, Target  # noqa: E402

PASSWORD = "bench-Pw-1"
PLATFORMS = ("huawei", "vsol", "zte", "zte_c600")
PONS = {
    "huawei": [f"0/1/{port}" for port in range(8)],
    "vsol": [f"0/{port}" for port in range(1, 9)],
    "zte": [f"1/1/{port}" for port in range(1, 9)],
    "zte_c600": [f"1/1/{port}" for port in range(1, 9)],
}


def _target(sim, platform, protocol):
    return Target(platform, sim.host, sim.port, protocol, "admin", PASSWORD, secret=PASSWORD, command_timeout=120)


class Network:
    """The simulated devices and the contracts on them: (olt index, ONU ref, router index, PPPoE user)."""

    def __init__(self, args):
        latency, login = args.latency_ms / 1000.0, args.login_ms / 1000.0
        per_olt = args.contracts // args.olts
        self.olts, self.routers, self.contracts = [], [], []
        for number in range(args.olts):
            platform = PLATFORMS[number % len(PLATFORMS)]
            sim = simulator.start(
                platform=platform,
                password=PASSWORD,
                secret=PASSWORD,
                registered=per_olt,
                latency=latency,
                options={"pons": PONS[platform]},
            )
            sim.faults.login_delay = login
            self.olts.append((platform, sim))
        for _number in range(args.routers):
            sim = simulator.start(platform="mikrotik", protocol="api", password=PASSWORD, latency=0.0)
            sim.faults.login_delay = login
            self.routers.append(sim)
        for olt_index, (_platform, sim) in enumerate(self.olts):
            for onus in sim.state()["onus"].values():
                for onu in onus:
                    number = len(self.contracts)
                    ref = OnuRef(onu["pon"], onu["id"])
                    self.contracts.append((olt_index, ref, number % args.routers, f"u{number}"))
        for _olt, _ref, router_index, user in self.contracts:
            self.routers[router_index].add("/ppp/secret", name=user, password=PASSWORD, profile="default")
        # Secrets are loaded without latency; the run itself pays it.
        for sim in self.routers:
            sim.faults.latency = latency

    def devices(self):
        return [sim for _platform, sim in self.olts] + self.routers

    def olt_driver(self, index):
        platform, sim = self.olts[index]
        return get_driver(platform)(_target(sim, platform, "ssh"))

    def router_driver(self, index):
        return get_driver("mikrotik")(_target(self.routers[index], "mikrotik", "api"))

    def stop(self):
        for sim in self.devices():
            sim.stop()

    def counters(self):
        return [(len(sim.commands), sim.logins["succeeded"]) for sim in self.devices()]


def batched(network):
    """One session per device, devices side by side; each ONU is disabled once its router cut is done.

    As models/silver_provisioning_batch.py: the router's lines turn about over
    the OLTs (each OLT gets work from the start), each OLT takes its lines as
    their router step is done, and saves once at the end.
    """
    failures, saves = [], []
    by_router, by_olt = {}, {}
    for number, (olt_index, _ref, router_index, _user) in enumerate(network.contracts):
        by_router.setdefault(router_index, {}).setdefault(olt_index, []).append(number)
        by_olt.setdefault(olt_index, []).append(number)
    ready = {olt_index: queue.Queue() for olt_index in by_olt}

    def turn_about(per_olt):
        queues = list(per_olt.values())
        return [q[rank] for rank in range(max(map(len, queues))) for q in queues if rank < len(q)]

    def run_router(index, per_olt):
        with network.router_driver(index) as driver:
            driver.open()
            for number in turn_about(per_olt):
                olt_index, _ref, _router, user = network.contracts[number]
                try:
                    driver.suspend_subscriber(user)
                except Exception as error:  # noqa: BLE001 - a failed contract never stops the others
                    failures.append((user, error))
                    number = None  # its ONU is not touched
                ready[olt_index].put(number)

    def run_olt(index, numbers):
        with network.olt_driver(index) as driver:
            driver.open()
            for _count in numbers:
                number = ready[index].get()
                if number is None:
                    continue
                try:
                    driver.suspend(network.contracts[number][1])
                except Exception as error:  # noqa: BLE001
                    failures.append((number, error))
            driver.save()
            saves.append(index)

    threads = [threading.Thread(target=run_router, args=item) for item in by_router.items()]
    threads += [threading.Thread(target=run_olt, args=item) for item in by_olt.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"failed": len(failures), "saves": len(saves)}


def one_by_one(network, count):
    """Today's cron: each contract its own logins and its own save, one after the other."""
    failures, saves = 0, 0
    # Spread over every OLT and router: platforms do not cost the same per ONU.
    step = max(1, len(network.contracts) // count)
    for olt_index, ref, router_index, user in network.contracts[::step][:count]:
        try:
            with network.olt_driver(olt_index) as olt, network.router_driver(router_index) as router:
                olt.suspend(ref)
                router.suspend_subscriber(user)
                olt.save()
                saves += 1
        except Exception:  # noqa: BLE001
            failures += 1
    return {"failed": failures, "saves": saves}


def _measure(network, run, *args):
    before = network.counters()
    started = time.perf_counter()
    result = run(network, *args)
    result["wall"] = time.perf_counter() - started
    deltas = [(c - c0, lg - lg0) for (c, lg), (c0, lg0) in zip(network.counters(), before, strict=True)]
    result["commands"] = sum(c for c, _lg in deltas)
    result["logins"] = sum(lg for _c, lg in deltas)
    result["per_device"] = deltas
    return result


def main(argv=None):
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", type=int, default=2000)
    parser.add_argument("--olts", type=int, default=20)
    parser.add_argument("--routers", type=int, default=4)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--login-ms", type=float, default=1000.0)
    parser.add_argument("--baseline", type=int, default=40, help="contracts run one by one (extrapolated)")
    args = parser.parse_args(argv)
    latency, login = args.latency_ms / 1000.0, args.login_ms / 1000.0

    network = Network(args)
    try:
        base = _measure(network, one_by_one, args.baseline)
        fast = _measure(network, batched)
    finally:
        network.stop()

    n_olts = len(network.olts)
    device_times = [c * latency + lg * login for c, lg in fast["per_device"]]
    bound = max(device_times)
    scale = len(network.contracts) / args.baseline
    print(
        f"cut-off day: {len(network.contracts)} contracts, {n_olts} OLTs ({', '.join(PLATFORMS)}), "
        f"{len(network.routers)} routers; {args.latency_ms:.0f} ms per command, {args.login_ms:.0f} ms per login"
    )
    print(f"{'path':<34}{'contracts':>10}{'logins':>8}{'saves':>7}{'commands':>10}{'wall s':>10}{'failed':>8}")
    print(
        f"{'one by one (measured)':<34}{args.baseline:>10}{base['logins']:>8}{base['saves']:>7}"
        f"{base['commands']:>10}{base['wall']:>10.1f}{base['failed']:>8}"
    )
    print(
        f"{'one by one (extrapolated x%.0f)' % scale:<34}{len(network.contracts):>10}{base['logins'] * scale:>8.0f}"
        f"{base['saves'] * scale:>7.0f}{base['commands'] * scale:>10.0f}{base['wall'] * scale:>10.1f}{'':>8}"
    )
    print(
        f"{'batched per device':<34}{len(network.contracts):>10}{fast['logins']:>8}{fast['saves']:>7}"
        f"{fast['commands']:>10}{fast['wall']:>10.1f}{fast['failed']:>8}"
    )
    print(f"batched: logins {fast['logins']} for {len(network.devices())} devices")
    print(
        f"lower bound (per device commands x latency + logins x login time, devices in parallel): "
        f"{bound:.1f} s -> wall / bound = {fast['wall'] / bound:.2f}"
    )
    print(f"speed-up against one by one (extrapolated): {base['wall'] * scale / fast['wall']:.0f}x")


if __name__ == "__main__":
    main()
