"""Polls against the simulated devices: the real drivers, sessions and stores."""

from odoo.addons.silver_provisioning.drivers.models import Subscriber
from odoo.tests import tagged

from .common import OLT_PLATFORMS, PPPOE_PASSWORD
from .inventory_common import InventoryCommon

OUTAGE = "silver_provisioning.mail_activity_pon_outage"
DOWN = "silver_provisioning.mail_activity_onu_down"


@tagged("post_install", "-at_install")
class TestPollDevices(InventoryCommon):
    def registered(self, platform):
        return [onu for onus in self.sim(platform).state()["onus"].values() for onu in onus]

    def contract_for(self, platform, onu, number, **values):
        olt = self.olts[platform]
        port = self.port_for(platform, onu["pon"])
        return self.contract(
            number,
            olt_id=olt.id,
            olt_card_id=port.olt_card_id.id,
            olt_port_id=port.id,
            onu_pon_id=onu["id"],
            serial_number=onu["serial"],
            **values,
        )

    def test_every_platform_is_read_back(self):
        for number, platform in enumerate(OLT_PLATFORMS, 1):
            with self.subTest(platform=platform):
                self.sim(platform, registered=4)
                olt = self.olts[platform]
                onus = self.registered(platform)
                contract = self.contract_for(platform, onus[0], number)
                summary = olt._job_poll_inventory()
                self.assertEqual(summary["items"], 4, summary)
                self.assertEqual(olt.inventory_poll_state, "ok")
                table = self.onus(olt)
                self.assertEqual(sorted(table.mapped("serial_number")), sorted(onu["serial"] for onu in onus))
                self.assertEqual(contract.inventory_onu_id.serial_number, onus[0]["serial"])
                self.assertEqual((contract.onu_admin_state, contract.onu_run_state), ("enabled", "online"))
                self.assertAlmostEqual(contract.onu_rx_power, onus[0]["rx_power"], places=1)
                self.assertEqual(contract.inventory_onu_id.port_id, self.port_for(platform, onus[0]["pon"]))
                self.assertEqual(len(self.drifts(olt_id=olt.id, kind="onu_without_contract")), 3)
                self.assertIn("commands", olt.inventory_poll_message)
                self.assertFalse(self.logged(olt), "a successful poll is not written to the chatter")

    def test_a_port_going_dark_is_one_outage(self):
        platform = "huawei"
        sim = self.sim(platform, registered=16)
        dark = "0/1/0"
        contracts = [
            self.contract_for(platform, onu, 100 + n)
            for n, onu in enumerate(self.registered(platform))
            if onu["pon"] in (dark, "0/1/1")
        ]
        olt = self.olts[platform]
        olt._job_poll_inventory()
        sim.take_pon_down(dark)
        sim.set_onu_down(
            next(onu["serial"] for onu in self.registered(platform) if onu["pon"] == "0/1/1"), "dying_gasp"
        )
        olt._job_poll_inventory()
        outage = self.activities(olt, OUTAGE)
        self.assertEqual(len(outage), 1)
        self.assertIn(self.port_for(platform, dark).display_name, outage.summary)
        in_the_dark = [c for c in contracts if c.olt_port_id == self.port_for(platform, dark)]
        self.assertEqual(len(in_the_dark), 4)
        for contract in in_the_dark:
            self.assertIn(contract.name, outage.note)
            self.assertEqual(contract.onu_run_state, "los")
        gasping = self.activities(self.env["silver.contract"].browse([c.id for c in contracts]), DOWN)
        self.assertEqual(len(gasping), 1)
        self.assertIn("Dying Gasp", gasping.summary)
        # The fibre is mended: the ONU-down activity closes; the outage stays for the technician.
        sim.bring_pon_up(dark)
        olt._job_poll_inventory()
        self.assertEqual(len(self.activities(olt, OUTAGE)), 1)

    def test_levels_move_between_polls_and_the_history_keeps_them(self):
        platform = "zte"
        sim = self.sim(platform, registered=2)
        olt = self.olts[platform]
        contract = self.contract_for(platform, self.registered(platform)[0], 200)
        levels = []
        for _ in range(3):
            olt._job_poll_inventory()
            levels.append(contract.onu_rx_power)
            sim.drift_optics(1.5)
        readings = self.env["silver.onu.reading"].search([("contract_id", "=", contract.id)])
        self.assertEqual(len(readings), 3)
        self.assertGreater(len(set(levels)), 1)
        self.assertEqual(sorted(readings.mapped("rx_power")), sorted(levels))

    def test_router_poll_fills_the_secrets_and_the_ledger(self):
        self.sim("mikrotik")
        active = self.contract(300, router=True)
        cut = self.contract(301, router=True)
        gone = self.contract(302, router=True)
        driver = self.router._provisioning_driver()
        with driver:
            for contract in (active, cut):
                driver.ensure_subscriber(Subscriber(name=contract.pppoe_user, password=PPPOE_PASSWORD))
            driver.suspend_subscriber(cut.pppoe_user)
        summary = self.router._job_poll_inventory()
        self.assertEqual(summary["items"], 2)
        self.assertEqual(self.router.inventory_poll_state, "ok")
        self.assertEqual(
            (active.pppoe_secret_state, cut.pppoe_secret_state, gone.pppoe_secret_state),
            ("enabled", "suspended", "missing"),
        )
        self.assertEqual(self.drifts(contract_id=cut.id, state="open").kind, "active_secret_disabled")
        self.assertEqual(self.drifts(contract_id=gone.id, state="open").kind, "active_secret_missing")
        self.assertFalse(self.drifts(contract_id=active.id))
        for body in self.logged(self.router):
            self.assertNoSecret(body)

    def test_unreachable_olt_says_why(self):
        self.sim("vsol").stop()
        olt = self.olts["vsol"]
        olt._job_poll_inventory()
        self.assertEqual(olt.inventory_poll_state, "failed")
        self.assertIn("refused", olt.inventory_poll_message)
