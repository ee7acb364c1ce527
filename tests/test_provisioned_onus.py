"""The provisioned-ONU list, the OLT dashboard and the list action "Read status"."""

import datetime

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .inventory_common import PONS, InventoryCommon


@tagged("post_install", "-at_install")
class TestProvisionedOnus(InventoryCommon):
    def set_reading(self, contract, rx, online=True):
        contract.write(
            {"onu_rx_power": rx, "onu_online": online, "onu_status_date": datetime.datetime(2026, 3, 2, 8, 0)}
        )
        return contract

    def listed(self, filter_name, olt=None):
        domain = self.env["silver.olt"]._onu_filter_domains()[filter_name]
        return self.env["silver.contract"].search([("olt_id", "=", (olt or self.olt).id), *domain])

    def test_rx_levels_follow_the_olt_thresholds_and_an_unread_onu_is_no_zero(self):
        never = self.contract(1, PONS[0], 1)
        good = self.set_reading(self.contract(2, PONS[0], 2), -20.0)
        low = self.set_reading(self.contract(3, PONS[1], 1), -25.5)
        critical = self.set_reading(self.contract(4, PONS[1], 2), -27.5)
        dark = self.set_reading(self.contract(5, PONS[2], 1), 0.0, online=False)
        suspended = self.set_reading(self.contract(6, PONS[2], 2, service="suspended"), -26.0, online=False)
        levels = {c.name: c.onu_rx_level for c in never | good | low | critical | dark | suspended}
        self.assertEqual(
            levels,
            {
                never.name: "never",
                good.name: "ok",
                low.name: "warning",
                critical.name: "critical",
                dark.name: "unmeasured",
                suspended.name: "warning",
            },
        )
        self.assertEqual(self.listed("never_read"), never)
        self.assertEqual(self.listed("online"), good | low | critical)
        self.assertEqual(self.listed("offline"), dark, "a suspended ONU is down on purpose")
        self.assertEqual(self.listed("low_signal"), low | critical | suspended)
        self.assertEqual(self.olt.onu_online_count, 3)
        self.assertEqual(self.olt.onu_offline_count, 1)
        self.assertEqual(self.olt.onu_low_signal_count, 3)
        self.assertEqual(self.olt.onu_never_read_count, 1)
        # The thresholds are the OLT's own: a stricter warning band makes more ONUs low.
        self.olt.rx_warning_dbm = -19.0
        self.env.invalidate_all()
        self.assertEqual(good.onu_rx_level, "warning")
        self.assertEqual(self.listed("low_signal"), good | low | critical | suspended)
        self.assertEqual(self.olt.onu_low_signal_count, 4)
        self.assertEqual(
            self.env["silver.contract"].search([("id", "in", (never | dark).ids), ("onu_rx_level", "!=", "ok")]),
            never | dark,
        )

    def test_dashboard_counts_open_the_filtered_list(self):
        self.env["silver.olt.discovered.onu"].create(
            [
                {"olt_id": self.olt.id, "serial_number": "HWTC0000AA01", "pon": PONS[0]},
                {"olt_id": self.olt.id, "serial_number": "HWTC0000AA02", "pon": PONS[0], "is_assigned": True},
            ]
        )
        self.assertEqual(self.olt.onu_waiting_count, 1)
        action = self.olt.with_context(onu_filter="offline").action_open_provisioned_onus()
        self.assertEqual(action["res_model"], "silver.contract")
        self.assertEqual(action["context"], {"search_default_offline": 1, "search_default_olt_id": self.olt.id})
        # Nothing but the list's own filters is taken from the context.
        action = self.olt.with_context(onu_filter="everything").action_open_provisioned_onus()
        self.assertEqual(action["context"]["search_default_in_service"], 1)
        waiting = self.olt.action_open_waiting_onus()
        self.assertEqual(
            self.env["silver.olt.discovered.onu"]
            .search(waiting["domain"] + [("is_assigned", "=", False)])
            .mapped("serial_number"),
            ["HWTC0000AA01"],
        )
        # The operator reaches the list and the dashboard through the menus.
        menus = self.env["ir.ui.menu"].with_user(self.operator)._visible_menu_ids()
        for xmlid in ("menu_silver_provisioned_onu", "menu_silver_olt_dashboard"):
            self.assertIn(self.env.ref(f"silver_provisioning.{xmlid}").id, menus)
        self.assertNotIn(
            self.env.ref("silver_provisioning.menu_silver_provisioned_onu").id,
            self.env["ir.ui.menu"].with_user(self.plain_user)._visible_menu_ids(),
        )

    def test_read_status_reads_each_olt_once_in_the_background(self):
        huawei, zte = self.sim("huawei", registered=3), self.sim("zte", registered=2)

        def contracts_on(platform, start):
            found = []
            for n, onu in enumerate(o for onus in self.sim(platform).state()["onus"].values() for o in onus):
                port = self.port_for(platform, onu["pon"])
                found.append(
                    self.contract(
                        start + n,
                        olt_id=self.olts[platform].id,
                        olt_card_id=port.olt_card_id.id,
                        olt_port_id=port.id,
                        onu_pon_id=onu["id"],
                        serial_number=onu["serial"],
                    )
                )
            return found

        on_huawei, on_zte = contracts_on("huawei", 10), contracts_on("zte", 20)
        missing = self.contract(30, PONS[0], 7)  # its serial is on no OLT
        inactive = self.contract(31, PONS[0], 8, service="inactive")
        chosen = self.env["silver.contract"].browse([c.id for c in (*on_huawei[:2], on_zte[0], missing, inactive)])
        with self.assertRaises(AccessError):
            chosen.with_user(self.plain_user).action_read_status_queued()
        with trap_jobs() as trap:
            notification = chosen.with_user(self.operator).action_read_status_queued()
            self.assertEqual(notification["tag"], "display_notification")
            self.assertIn("4 contracts on 2 OLTs", notification["params"]["message"])
            self.assertIn("1 contracts without an ONU in service", notification["params"]["message"])
            trap.assert_jobs_count(2)
            jobs = {job.recordset: job for job in trap.enqueued_jobs}
            self.assertEqual(set(jobs), {self.olts["huawei"], self.olts["zte"]})
            for olt, job in jobs.items():
                self.assertEqual(job.channel, f"root.silver_provisioning.olt_{olt.id}")
            self.assertEqual(jobs[self.olts["zte"]].args, ([on_zte[0].id],))
            self.assertEqual(huawei.logins["attempted"] + zte.logins["attempted"], 0, "queuing touches no device")
            trap.perform_enqueued_jobs()
        self.assertEqual((huawei.logins["attempted"], zte.logins["attempted"]), (1, 1), "one session per OLT")
        for contract in (*on_huawei[:2], on_zte[0]):
            self.assertEqual(contract.onu_run_state, "online")
            self.assertLess(contract.onu_rx_power, 0)
            self.assertIn("Status read", self.logged(contract)[-1])
            self.assertIn(f"{contract.onu_rx_power:.2f} dBm", self.logged(contract)[-1])
        self.assertEqual(missing.onu_run_state, "missing")
        self.assertIn("not in the OLT's table", self.logged(missing)[-1])
        self.assertFalse(self.logged(inactive))
        self.assertFalse(self.logged(on_huawei[2]), "only the chosen contracts get a message")

    def test_read_status_of_an_unreachable_olt_says_so_on_each_contract(self):
        self.sim("vsol").stop()
        olt = self.olts["vsol"]
        port = self.port_for("vsol", "0/1")
        contract = self.contract(40, olt_id=olt.id, olt_card_id=port.olt_card_id.id, olt_port_id=port.id)
        with trap_jobs() as trap:
            contract.with_user(self.operator).action_read_status_queued()
            trap.perform_enqueued_jobs()
        self.assertIn("Status not read", self.logged(contract)[-1])
        self.assertIn("refused", self.logged(contract)[-1])
        for body in self.logged(contract):
            self.assertNoSecret(body, "the read's log")
        # What an earlier read said is stale now: not "OK" at its old RX, not counted as offline.
        self.assertEqual(contract.onu_status_quality, "stale")
        self.assertEqual(contract.onu_rx_level, "stale")
        self.assertFalse(self.listed("offline", olt))
        self.assertFalse(self.listed("low_signal", olt))

    def test_a_failed_read_is_stale_in_the_list_not_ok_nor_offline(self):
        olt = self.olts["vsol"]
        port = self.port_for("vsol", "0/1")
        contract = self.contract(41, olt_id=olt.id, olt_card_id=port.olt_card_id.id, olt_port_id=port.id)
        self.set_reading(contract, -15.57)
        contract.onu_status_quality = "read"
        self.assertEqual(contract.onu_rx_level, "ok")
        contract._mark_status_stale()
        self.assertEqual(contract.onu_rx_level, "stale")
        self.assertEqual(
            self.env["silver.contract"].search([("id", "=", contract.id), ("onu_rx_level", "=", "stale")]), contract
        )
        self.assertFalse(self.env["silver.contract"].search([("id", "=", contract.id), ("onu_rx_level", "=", "ok")]))
        self.assertFalse(self.listed("offline", olt), "a read that failed says nothing of the ONU")
        self.assertEqual(olt.onu_offline_count, 0)
