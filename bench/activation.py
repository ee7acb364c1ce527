"""The Odoo side of one activation: wall time minus device time, and queries.

    python bench/activation.py [--contracts 1,50] [--platform huawei] [--repeat 5] [--latency-ms 0]

Installs the addon in a database of its own (dropped at the end), points an
OLT and a router at the simulators, and activates one contract while the OLT
already holds N contracts in service (N = each of ``--contracts``), ``--repeat``
times each.  Device time is the time spent inside the drivers' operations
and their logouts (login, commands, answers: everything past the driver's
interface); the rest
of the wall time is Odoo's: checks, locks, the operation journal, the log
messages, the final write.  Queries are every SQL statement any cursor of the
process executed (the log and the journal write through cursors of their own).
Printed figures are medians of one run; nothing here asserts a time.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-Pw-1"


# -- inside Odoo (run by ``odoo shell``: ``env`` is given) -----------------------------------
def run_in_odoo(env, sizes, platform, repeat, latency, profile=False):  # pragma: no cover - runs under odoo shell
    import statistics
    import time
    from contextlib import contextmanager

    import odoo.sql_db
    from odoo.addons.silver_provisioning import simulator
    from odoo.addons.silver_provisioning.drivers import base

    counter = {"queries": 0, "device": 0.0}
    execute = odoo.sql_db.Cursor.execute

    def counting_execute(self, *args, **kwargs):
        counter["queries"] += 1
        return execute(self, *args, **kwargs)

    operation = base.BaseDriver._operation

    @contextmanager
    def timed_operation(self, name):
        started = time.perf_counter()
        try:
            with operation(self, name):
                yield
        finally:
            counter["device"] += time.perf_counter() - started

    close = base.BaseDriver.close

    def timed_close(self):
        # The logout of a session kept open across the operation's steps.
        started = time.perf_counter()
        try:
            return close(self)
        finally:
            counter["device"] += time.perf_counter() - started

    odoo.sql_db.Cursor.execute = counting_execute
    base.BaseDriver._operation = timed_operation
    base.BaseDriver.close = timed_close

    olt_sim = simulator.start(
        platform=platform, protocol="ssh", password=PASSWORD, secret=PASSWORD, onus=0, latency=latency
    )
    router_sim = simulator.start(platform="mikrotik", password=PASSWORD, latency=latency)
    try:
        partner = env["res.partner"].create({"name": "Bench Customer"})
        plan = env["product.product"].create({"name": "Fibre 100", "upload_bandwidth": 50, "download_bandwidth": 100})
        router = env["silver.core"].create(
            {
                "name": "Bench Router",
                "ip": olt_sim.host,
                "port": router_sim.port,
                "username": "admin",
                "password": PASSWORD,
                "suspend_method": "disable_secret",
            }
        )
        olt = env["silver.olt"].create(
            {
                "name": "Bench OLT",
                "platform": platform,
                "ip": olt_sim.host,
                "port_ssh": str(olt_sim.port),
                "type_connection": "ssh",
                "username": "admin",
                "password": PASSWORD,
                "secret_olt": PASSWORD,
                "ont_lineprofile": "id",
                "ont_lineprofile_value": "10",
                "ont_srvprofile": "id",
                "ont_srvprofile_value": "10",
                "connection_wan": "pppoe",
                "state": "active",
                "key_policy": "allow",
            }
        )
        olt.frame = 0
        card = env["silver.olt.card"].create({"olt_id": olt.id, "num_card": 1})
        port = env["silver.olt.card.port"].create({"olt_card_id": card.id, "num_port": 1})
        olt.vlan_ids = [(0, 0, {"vlanid": 100, "name": "internet", "vtype": "s-vlan"})]
        pon = olt._pon_address(port)
        env.cr.commit()
        serial_number = [0]

        def contract_for(onu_serial, **values):
            serial_number[0] += 1
            return env["silver.contract"].create(
                {
                    "name": f"BENCH-{serial_number[0]:05d}",
                    "partner_id": partner.id,
                    "state": "active",
                    "olt_id": olt.id,
                    "olt_card_id": card.id,
                    "olt_port_id": port.id,
                    "serial_number": onu_serial,
                    "vlan_id": olt.vlan_ids[:1].id,
                    "core_id": router.id,
                    "pppoe_user": f"bench{serial_number[0]:05d}",
                    "pppoe_password": "Bench-Ppp0e-1",
                    "line_ids": [(0, 0, {"line_type": "recurring", "product_id": plan.id})],
                    **values,
                }
            )

        in_service = 0
        rows = []
        for size in sizes:
            # Bring the OLT to ``size`` contracts in service (recorded as activations leave them).
            while in_service < size:
                onu = olt_sim.add_autofind(pon=pon)
                contract_for(onu["serial"]).action_activate_service()
                env.cr.commit()
                in_service += 1
            samples = []
            for _ in range(repeat):
                onu = olt_sim.add_autofind(pon=pon)
                contract = contract_for(onu["serial"])
                env.cr.commit()
                env.invalidate_all()
                counter.update(queries=0, device=0.0)
                profiler = None
                if profile and size == sizes[-1]:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                started = time.perf_counter()
                contract.action_activate_service()
                env.cr.commit()
                wall = time.perf_counter() - started
                if profiler is not None:
                    import pstats

                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
                samples.append((wall, counter["device"], counter["queries"]))
                # Back to ``size`` in service: the next sample sees the same OLT.
                contract.sudo()._terminate_service()
                env.cr.commit()
            wall = statistics.median(s[0] for s in samples)
            device = statistics.median(s[1] for s in samples)
            odoo_side = statistics.median(s[0] - s[1] for s in samples)
            queries = statistics.median(s[2] for s in samples)
            rows.append((size, wall, device, odoo_side, queries, [s[2] for s in samples]))
        print("BENCH-RESULT")
        print(f"{'in service':>10} {'wall ms':>9} {'device ms':>10} {'odoo ms':>8} {'queries':>8}  per sample")
        for size, wall, device, odoo_side, queries, each in rows:
            figures = f"{wall * 1e3:>9.1f} {device * 1e3:>10.1f} {odoo_side * 1e3:>8.1f} {queries:>8.0f}"
            print(f"{size:>10} {figures}  {each}")
    finally:
        odoo.sql_db.Cursor.execute = execute
        base.BaseDriver._operation = operation
        base.BaseDriver.close = close
        olt_sim.stop()
        router_sim.stop()


# -- outside: a database of its own, then ``odoo shell`` -----------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contracts", default="1,50", help="contracts in service on the OLT, comma separated")
    parser.add_argument("--platform", default="huawei")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--profile", action="store_true", help="print where the last size's activations spend time")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.contracts.split(","))

    sys.path.insert(0, str(REPO / "tests"))
    import odoo_runner as runner  # noqa: PLC0415 - the test runner's way of finding Odoo

    extra, root = runner.find_odoo()
    if root is None:
        print("Odoo 17 is not installed: see README, Getting Odoo 17")
        return 1
    python_dirs, env = runner.addon_dirs(extra)
    work = Path(tempfile.mkdtemp(prefix="silver_bench_"))
    (work / "addons").mkdir()
    (work / "addons" / runner.MODULE).symlink_to(REPO, target_is_directory=True)
    addons = runner.build_addons_path(root, python_dirs, work / "addons")
    database = f"silver_bench_{uuid.uuid4().hex[:8]}"
    odoo = [sys.executable, str(runner.LAUNCHER), f"--addons-path={addons}", *runner.db_args()]
    odoo += [f"--database={database}", f"--http-port={runner.free_port()}", "--log-level=warn"]
    script = textwrap.dedent(
        f"""
        PASSWORD = {PASSWORD!r}
        source = open({str(Path(__file__).resolve())!r}).read()
        exec(source.split("# -- inside Odoo")[1].split("# -- outside")[0].split("\\n", 1)[1])
        run_in_odoo(env, {sizes!r}, {args.platform!r}, {args.repeat!r}, {args.latency_ms / 1000.0!r}, {args.profile!r})
        """
    )
    try:
        subprocess.run(
            [*odoo, f"--init={runner.MODULE}", "--without-demo=all", "--stop-after-init"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        shell = subprocess.run(
            [*odoo[:2], "shell", *odoo[2:], "--no-http"],
            env={**env, "PYTHONUNBUFFERED": "1"},
            input=script,
            text=True,
            capture_output=True,
            check=False,
        )
        output = shell.stdout
        if "BENCH-RESULT" not in output:
            print(output[-4000:], shell.stderr[-4000:], sep="\n")
            return 1
        if args.profile:
            print(output.split("BENCH-RESULT", 1)[0][-20000:])
        print(output.split("BENCH-RESULT", 1)[1].strip())
        return 0
    finally:
        runner.drop_database(env, database)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    sys.exit(main())
