import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .inventory_common import PONS, InventoryCommon, serial


@tagged("post_install", "-at_install")
class TestDriftLedger(InventoryCommon):
    """Which disagreements the ledger lists, since when, and how they end."""

    def kinds(self, contract):
        return sorted(self.drifts(contract_id=contract.id, state="open").mapped("kind"))

    def test_active_contracts_cut_on_a_device(self):
        disabled = self.contract(1, pon=PONS[0], onu_id=0, router=True)
        missing = self.contract(2, pon=PONS[0], onu_id=1, router=True)
        fine = self.contract(3, pon=PONS[0], onu_id=2, router=True)
        self.store([self.status(PONS[0], 0, 1, admin="disabled", run="offline"), self.status(PONS[0], 2, 3)])
        self.store_router([self.secret("user1"), self.secret("user2", enabled=False), self.secret("user3")])
        self.assertEqual(self.kinds(disabled), ["active_onu_disabled"])
        self.assertEqual(self.kinds(missing), ["active_onu_missing", "active_secret_disabled"])
        self.assertEqual(self.kinds(fine), [])
        self.store_router([self.secret("user2", suspended=True)])
        self.assertEqual(self.kinds(disabled), ["active_onu_disabled", "active_secret_missing"])
        self.assertEqual(self.kinds(missing), ["active_onu_missing", "active_secret_disabled"])

    def test_suspended_but_still_connected(self):
        no_router = self.contract(1, pon=PONS[0], onu_id=0, service="suspended")
        cut_on_router = self.contract(2, pon=PONS[0], onu_id=1, service="suspended", router=True)
        not_cut = self.contract(3, pon=PONS[0], onu_id=2, service="suspended", router=True)
        cut_on_olt = self.contract(4, pon=PONS[0], onu_id=3, service="suspended", router=True)
        self.store(
            [
                self.status(PONS[0], 0, 1),
                self.status(PONS[0], 1, 2),
                self.status(PONS[0], 2, 3),
                self.status(PONS[0], 3, 4, admin="disabled", run="offline"),
            ]
        )
        self.assertEqual(self.kinds(no_router), ["suspended_not_cut"])
        self.assertEqual(self.kinds(not_cut), [], "the router was never read: nothing is judged on it")
        self.store_router([self.secret("user2", suspended=True), self.secret("user3"), self.secret("user4")])
        self.assertEqual(self.kinds(cut_on_router), [])
        self.assertEqual(self.kinds(not_cut), ["suspended_not_cut"])
        self.assertEqual(self.kinds(cut_on_olt), [])

    def test_terminated_but_still_on_the_devices_and_onus_with_no_contract(self):
        terminated = self.contract(1, pon=PONS[0], onu_id=0, service="terminated", router=True)
        self.store([self.status(PONS[0], 0, 1), self.status(PONS[1], 5, 77)])
        self.store_router([self.secret("user1")])
        self.assertEqual(self.kinds(terminated), ["terminated_onu_registered", "terminated_secret_enabled"])
        orphan = self.drifts(kind="onu_without_contract")
        self.assertEqual(len(orphan), 1)
        self.assertEqual((orphan.serial_number, orphan.pon, orphan.olt_id), (serial(77), PONS[1], self.olt))
        self.assertFalse(orphan.contract_id)

    def test_since_stays_and_what_ends_is_resolved(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        self.store([self.status(PONS[0], 0, 1, admin="disabled", run="offline")])
        drift = self.drifts(contract_id=contract.id)
        later = self.later(self.t0)
        self.store([self.status(PONS[0], 0, 1, admin="disabled", run="offline")], now=later)
        self.assertEqual(self.drifts(contract_id=contract.id), drift, "one entry while it lasts")
        self.assertEqual((drift.since, drift.last_seen), (self.t0, later))
        self.store([self.status(PONS[0], 0, 1)], now=self.later(later))
        self.assertEqual((drift.state, drift.resolution), ("resolved", "gone"))
        # It comes back: a new entry, since then.
        again = self.later(later, 30)
        self.store([self.status(PONS[0], 0, 1, admin="disabled", run="offline")], now=again)
        new = self.drifts(contract_id=contract.id, state="open")
        self.assertNotEqual(new, drift)
        self.assertEqual(new.since, again)

    def test_a_contract_that_leaves_the_olt_leaves_its_drift(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        self.store([])
        self.assertEqual(self.kinds(contract), ["active_onu_missing"])
        contract.write({"olt_id": self.olts["zte"].id, "olt_port_id": False})
        self.store([], now=self.later(self.t0))
        self.assertEqual(self.kinds(contract), [])

    def test_accept_with_a_reason(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0, service="suspended")
        self.store([self.status(PONS[0], 0, 1)])
        drift = self.drifts(contract_id=contract.id)
        with self.assertRaises(AccessError):
            drift.with_user(self.technician)._accept("courtesy week")
        wizard = Form(
            self.env["silver.provisioning.drift.accept.wizard"]
            .with_user(self.admin)
            .with_context(default_drift_ids=[(6, 0, drift.ids)])
        )
        wizard.reason = "Courtesy week agreed with the customer"
        wizard.save().action_accept()
        self.assertEqual((drift.state, drift.accepted_by_id), ("accepted", self.admin))
        self.assertIn("Courtesy week", contract.message_ids[0].body)
        # Still there at the next poll: still accepted, not reopened.
        self.store([self.status(PONS[0], 0, 1)], now=self.later(self.t0))
        self.assertEqual(drift.state, "accepted")
        self.assertFalse(self.drifts(contract_id=contract.id, state="open"))

    def test_an_onu_with_no_contract_is_not_converged(self):
        self.store([self.status(PONS[1], 5, 77)])
        with self.assertRaisesRegex(UserError, "onboarded"):
            self.drifts(kind="onu_without_contract").with_user(self.admin).action_converge()

    def test_daily_summary_for_network_administrators(self):
        self.contract(1, pon=PONS[0], onu_id=0)
        self.store([self.status(PONS[1], 5, 77)])
        Drift = self.env["silver.provisioning.drift"]
        self.assertTrue(Drift._cron_daily_summary(now=self.t0 + datetime.timedelta(hours=2)))
        message = self.env["mail.message"].search([("subject", "like", "Provisioning drift")], limit=1)
        self.assertIn("2 open", message.subject)
        self.assertIn(self.admin.partner_id, message.partner_ids)
        self.assertNotIn(self.operator.partner_id, message.partner_ids)
        self.assertIn("ONU with no contract", message.body)
        self.assertIn("2 new", message.body)
        Drift.search([]).write({"state": "resolved"})
        self.assertFalse(Drift._cron_daily_summary(), "nothing open: no message")
