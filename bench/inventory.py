"""Reading the network back: one OLT's inventory, storing a poll in Odoo, a year of readings.

    python bench/inventory.py                     # all three parts, Huawei
    python bench/inventory.py --part devices --platform zte --onus 2048
    python bench/inventory.py --part odoo         # needs Odoo 17 and PostgreSQL (as tests/odoo_runner.py)

devices: one OLT with ``--onus`` ONUs over ``--ports`` PON ports, ``--latency-ms``
per command line; ``inventory()`` (port-wide commands) against reading the same
ONUs one ``status()`` each in one session (on ``--baseline-onus`` of them, the
figure per ONU is what compares).  The simulator answers each line after the
latency, so the lower bound of a run is commands x latency: the ratio says how
close to it the driver gets.

odoo: storing one poll of 256 and of 2,048 ONUs (first poll: every ONU new;
then a steady poll), wall time and queries, in a database created for the run
and dropped after it; then the size of the reading tables per row, as
PostgreSQL reports it for a sample, and what a year of 100,000 ONUs polled
every 15 minutes takes with the default retention.

Figures are ratios and counts measured in this one run; nothing here asserts a time.
"""

import argparse
import datetime
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PASSWORD = "bench-Pw-1"


def pons(platform, count):
    """``count`` PON addresses over cards of 8 ports, as each platform writes them."""
    if platform == "huawei":
        return [f"0/{1 + n // 8}/{n % 8}" for n in range(count)]
    if platform == "vsol":
        return [f"0/{1 + n}" for n in range(count)]
    return [f"1/{1 + n // 8}/{1 + n % 8}" for n in range(count)]


# -- devices --------------------------------------------------------------------------
def bench_devices(args):
    import simulator
    from drivers import get_driver
    from drivers.models import OnuRef, Target

    latency = args.latency_ms / 1000.0
    with simulator.start(
        platform=args.platform,
        protocol="ssh",
        password=PASSWORD,
        secret=PASSWORD,
        registered=args.onus,
        latency=latency,
        options={"pons": pons(args.platform, args.ports)},
    ) as sim:
        driver_class = get_driver(args.platform)
        target = Target(
            args.platform, sim.host, sim.port, "ssh", "admin", PASSWORD, secret=PASSWORD, command_timeout=120
        )
        refs = [OnuRef(onu["pon"], onu["id"]) for onus in sim.state()["onus"].values() for onu in onus]

        def measure(run):
            before = len(sim.commands)
            started = time.perf_counter()
            items = run()
            return {"wall": time.perf_counter() - started, "commands": len(sim.commands) - before, "items": items}

        ports = pons(args.platform, args.ports)

        def inventory():
            return len(driver_class(target).inventory(ports).data)

        def open_session(read):
            """``read`` on a session logged in beforehand: the login is left out of the figure."""
            driver = driver_class(target)
            with driver:
                driver.open()
                return measure(lambda: read(driver))

        def login():
            driver = driver_class(target)
            with driver:
                row = measure(lambda: driver.open() or 1)
            return row

        sample = refs[: args.baseline_onus]
        rows = [
            ("login alone", login()),
            ("inventory, with login", measure(inventory)),
            ("inventory, open session", open_session(lambda d: len(d.inventory(ports).data))),
            ("status() per ONU, open", open_session(lambda d: sum(1 for ref in sample if d.status(ref).data))),
        ]
    print(
        f"inventory, {args.platform}, {args.onus} ONUs on {args.ports} PON ports, "
        f"{args.latency_ms:.0f} ms per command line"
    )
    print(f"{'read':<24}{'ONUs':>6}{'commands':>10}{'wall s':>9}{'bound s':>9}{'ratio':>7}{'per ONU ms':>12}")
    for label, row in rows:
        if label == "login alone":
            # SSH key exchange and authentication are no command lines: the
            # login's time over its preparation lines is no per-command ratio.
            print(f"{label:<24}{'':>6}{row['commands']:>10}{row['wall']:>9.2f}{row['commands'] * latency:>9.2f}")
            continue
        bound = row["commands"] * latency
        print(
            f"{label:<24}{row['items']:>6}{row['commands']:>10}{row['wall']:>9.2f}{bound:>9.2f}"
            f"{row['wall'] / bound:>7.2f}{row['wall'] / row['items'] * 1000:>12.1f}"
        )
    fast, slow = rows[2][1], rows[3][1]
    print(
        f"per ONU: {slow['wall'] / slow['items'] / (fast['wall'] / fast['items']):.0f}x faster port-wide; "
        f"commands per ONU {fast['commands'] / fast['items']:.3f} vs {slow['commands'] / slow['items']:.2f}"
    )


# -- odoo -----------------------------------------------------------------------------------
def odoo_setup():
    """(odoo module, database name, cleanup): silver_provisioning installed in a new database."""
    sys.path.insert(0, str(REPO / "tests"))
    import odoo_runner

    extra, odoo_root = odoo_runner.find_odoo()
    if odoo_root is None:
        raise SystemExit(odoo_runner.SKIP_LINE)
    python_dirs, env = odoo_runner.addon_dirs(extra)
    work = Path(tempfile.mkdtemp(prefix="silver_bench_"))
    (work / "addons").mkdir()
    (work / "addons" / odoo_runner.MODULE).symlink_to(REPO, target_is_directory=True)
    addons_path = odoo_runner.build_addons_path(odoo_root, python_dirs, work / "addons")
    database = f"silver_bench_{uuid.uuid4().hex[:8]}"
    common = [f"--addons-path={addons_path}", *odoo_runner.db_args(), f"--database={database}"]
    print(f"installing silver_provisioning in {database} ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, odoo; sys.argv[0] = 'odoo'; odoo.cli.main()",
            *common,
            f"--init={odoo_runner.MODULE}",
            "--without-demo=all",
            "--stop-after-init",
            "--log-level=warn",
            f"--http-port={odoo_runner.free_port()}",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    sys.path[:0] = [path for path in (extra,) if path]
    import odoo

    odoo.tools.config.parse_config(common + ["--log-level=warn"])

    def cleanup():
        odoo.sql_db.close_all()
        odoo_runner.drop_database(env, database)
        subprocess.run(["rm", "-rf", str(work)], check=False)

    return odoo, database, cleanup


def bench_odoo(args):
    odoo, database, cleanup = odoo_setup()
    try:
        registry = odoo.modules.registry.Registry(database)
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            rows = [store_poll(env, size) for size in (256, 2048)]
            cr.rollback()
        print("storing one poll in Odoo (ONU table, readings, contracts, alarms, drift ledger)")
        print(
            f"{'ONUs':>6}{'first poll s':>14}{'queries':>9}{'steady poll s':>15}{'queries':>9}"
            f"{'PON outage s':>14}{'queries':>9}{'ms per ONU':>12}"
        )
        for size, first, steady, outage in rows:
            print(
                f"{size:>6}{first[0]:>14.2f}{first[1]:>9}{steady[0]:>15.2f}{steady[1]:>9}{outage[0]:>14.2f}"
                f"{outage[1]:>9}{steady[0] / size * 1000:>12.2f}"
            )
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
            sizes = row_sizes(env)
            cr.rollback()
        year(sizes)
    finally:
        cleanup()


def bench_olt(env, size, name):
    """An OLT with 16 PON ports and one contract per ONU, and the poll it answers."""
    from odoo.addons.silver_provisioning.drivers.models import OnuStatus

    olt = env["silver.olt"].create(
        {
            "name": name,
            "platform": "huawei",
            "ip": "192.0.2.1",
            "port_ssh": "22",
            "username": "admin",
            "password": PASSWORD,
        }
    )
    for card in (1, 2):
        card_record = env["silver.olt.card"].create({"olt_id": olt.id, "num_card": card})
        env["silver.olt.card.port"].create([{"olt_card_id": card_record.id, "num_port": n} for n in range(1, 9)])
    partner = env["res.partner"].create({"name": f"Customers of {name}"})
    addresses = pons("huawei", 16)
    statuses = [
        OnuStatus(
            pon=addresses[n % 16],
            onu_id=n // 16,
            serial=f"HWTC{size:04X}{n:04X}",
            admin_state="enabled",
            run_state="online",
            rx_power_dbm=-18.0 - (n % 60) / 10,
            tx_power_dbm=2.2,
            olt_rx_power_dbm=-21.0,
            description=f"CT-{name}-{n}",
            model="EG8145V5",
            distance_m=1500,
        )
        for n in range(size)
    ]
    env["silver.contract"].create(
        [
            {
                "name": f"CT-{name}-{n}",
                "partner_id": partner.id,
                "state_service": "active",
                "olt_id": olt.id,
                "serial_number": status.serial,
            }
            for n, status in enumerate(statuses)
        ]
    )
    return olt, statuses


def store_poll(env, size):
    from odoo.addons.silver_provisioning.drivers import get_driver

    olt, statuses = bench_olt(env, size, f"bench{size}")
    driver_class = get_driver("huawei")
    now = datetime.datetime(2026, 3, 2, 8, 0)
    measured = []
    for poll in range(3):
        if poll == 2:
            # The fibre of the first PON port is cut: one PON outage alert.
            for status in statuses[::16]:
                status.run_state, status.last_down_cause, status.rx_power_dbm = "offline", "LOS", None
        env.flush_all()
        queries, started = env.cr.sql_log_count, time.perf_counter()
        olt._inventory_store(statuses, driver_class, now + datetime.timedelta(minutes=15 * poll))
        env.flush_all()
        measured.append((time.perf_counter() - started, env.cr.sql_log_count - queries))
        for status in statuses:
            if status.rx_power_dbm is not None:
                status.rx_power_dbm += 0.05 if poll % 2 else -0.05  # levels move, no threshold crossed
    return size, *measured


SAMPLE = 200_000


def row_sizes(env):
    """Bytes per row of each table, indexes included, as PostgreSQL stores a sample of them."""
    from odoo.addons.silver_provisioning.drivers import get_driver

    olt, statuses = bench_olt(env, 1, "size")
    olt._inventory_store(statuses, get_driver("huawei"), datetime.datetime(2026, 1, 1))
    env.flush_all()
    cr = env.cr
    onu = env["silver.olt.onu"].search([("olt_id", "=", olt.id)])
    port, contract = onu.port_id.id, onu.contract_id.id
    sizes = {}
    cr.execute("SELECT pg_total_relation_size('silver_onu_reading')")
    before = cr.fetchone()[0]
    cr.execute(
        """INSERT INTO silver_onu_reading (read_at, olt_id, port_id, onu_id, contract_id, run_state, rx_power,
                                           tx_power, olt_rx_power)
           SELECT timestamp '2026-01-02' + n * interval '15 minutes', %s, %s, %s, %s,
                  CASE WHEN n %% 50 = 0 THEN 'los' ELSE 'online' END, -20.0 - (n %% 70) / 10.0, 2.2, -21.5
             FROM generate_series(1, %s) AS n""",
        (olt.id, port, onu.id, contract, SAMPLE),
    )
    cr.execute(
        "SELECT pg_total_relation_size('silver_onu_reading'), avg(pg_column_size(r.*)) FROM silver_onu_reading r"
    )
    after, tuple_size = cr.fetchone()
    sizes["raw"] = ((after - before) / SAMPLE, float(tuple_size))
    cr.execute("SELECT pg_total_relation_size('silver_onu_reading_aggregate')")
    before = cr.fetchone()[0]
    cr.execute(
        """INSERT INTO silver_onu_reading_aggregate (period, period_start, olt_id, port_id, onu_id, contract_id,
                  samples, online_samples, availability, rx_min, rx_avg, rx_max, tx_avg)
           SELECT CASE WHEN n %% 2 = 0 THEN 'hour' ELSE 'day' END, timestamp '2026-01-02' + n * interval '1 hour',
                  %s, %s, %s, %s, 4, 4, 100.0, -21.3, -20.7, -20.1, 2.2
             FROM generate_series(1, %s) AS n""",
        (olt.id, port, onu.id, contract, SAMPLE),
    )
    cr.execute(
        "SELECT pg_total_relation_size('silver_onu_reading_aggregate'), avg(pg_column_size(a.*)) "
        "FROM silver_onu_reading_aggregate a"
    )
    after, tuple_size = cr.fetchone()
    sizes["aggregate"] = ((after - before) / SAMPLE, float(tuple_size))
    return sizes


def year(sizes, onus=100_000, polls_per_day=96, raw_days=2, hourly_days=14, days=365):
    raw_rows = onus * polls_per_day * raw_days
    hourly_rows = onus * 24 * hourly_days
    daily_rows = onus * days
    print(f"row sizes (sample of {SAMPLE:,} rows; bytes with indexes / bytes of the tuple's data):")
    print(f"  raw reading  {sizes['raw'][0]:.0f} / {sizes['raw'][1]:.0f}")
    print(f"  aggregate    {sizes['aggregate'][0]:.0f} / {sizes['aggregate'][1]:.0f}")
    gib = 1024**3
    raw, hourly, daily = (
        raw_rows * sizes["raw"][0],
        hourly_rows * sizes["aggregate"][0],
        daily_rows * sizes["aggregate"][0],
    )
    print(
        f"a year of {onus:,} ONUs polled {polls_per_day} times a day (defaults: raw {raw_days} days, hourly "
        f"{hourly_days} days, daily kept):"
    )
    print(f"  raw readings     {raw_rows:>12,} rows {raw / gib:7.2f} GiB (steady: the last {raw_days} days)")
    print(f"  hourly           {hourly_rows:>12,} rows {hourly / gib:7.2f} GiB (steady)")
    print(f"  daily            {daily_rows:>12,} rows {daily / gib:7.2f} GiB (after {days} days)")
    print(
        f"  total            {raw_rows + hourly_rows + daily_rows:>12,} rows {(raw + hourly + daily) / gib:7.2f} GiB"
        f" (without aggregation: {onus * polls_per_day * days * sizes['raw'][0] / gib:.0f} GiB)"
    )


def main(argv=None):
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("all", "devices", "odoo"), default="all")
    parser.add_argument("--platform", default="huawei", choices=("huawei", "zte", "zte_c600", "vsol"))
    parser.add_argument("--onus", type=int, default=2048)
    parser.add_argument("--ports", type=int, default=16)
    parser.add_argument("--baseline-onus", type=int, default=128, help="ONUs read one by one (default 128)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args(argv)
    if args.part in ("all", "devices"):
        bench_devices(args)
    if args.part in ("all", "odoo"):
        bench_odoo(args)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
