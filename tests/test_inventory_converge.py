from odoo.exceptions import AccessError
from odoo.tests import tagged

from .inventory_common import InventoryCommon

PLATFORM = "vsol"


@tagged("post_install", "-at_install")
class TestDriftConverge(InventoryCommon):
    """'Converge' replays the contract's operation on the simulated devices, logged in its chatter."""

    def setUp(self):
        super().setUp()
        self.vsol = self.olts[PLATFORM]

    def poll(self):
        """The OLT's poll job, as the cron queues it: the real driver reads the simulator."""
        summary = self.vsol._job_poll_inventory()
        self.assertNotIn("failed", summary)
        return summary

    def active_contract(self):
        contract = self.make_contract(PLATFORM, with_router=False)
        contract.with_user(self.operator).action_activate_service()
        return contract

    def open_drift(self, contract):
        drift = self.drifts(contract_id=contract.id, state="open")
        self.assertEqual(len(drift), 1, drift.mapped("kind"))
        return drift

    def test_active_with_its_onu_disabled_is_enabled_again(self):
        contract = self.active_contract()
        self.vsol.disable_onu(contract)
        self.poll()
        drift = self.open_drift(contract)
        self.assertEqual(drift.kind, "active_onu_disabled")
        drift.with_user(self.operator).action_converge()
        self.assertEqual(self.device_onus(PLATFORM)[contract.serial_number]["admin_state"], "active")
        self.assertTrue(any("Enable ONU" in body for body in self.logged(contract)))
        self.assertEqual(drift.state, "open", "open until a poll confirms it")
        self.poll()
        self.assertEqual((drift.state, drift.resolution), ("resolved", "converged"))

    def test_active_with_its_onu_gone_is_provisioned_again_on_its_id(self):
        contract = self.active_contract()
        onu_id = contract.onu_pon_id
        pon = self.vsol._onu_ref(contract).pon
        driver = self.vsol._provisioning_driver()
        with driver:  # someone deleted it on the OLT by hand
            self.vsol._remove_onu(contract, driver)
        self.poll()
        drift = self.open_drift(contract)
        self.assertEqual(drift.kind, "active_onu_missing")
        drift.with_user(self.operator).action_converge()
        onu = self.device_onus(PLATFORM)[contract.serial_number]
        self.assertEqual((onu["pon"], onu["id"]), (pon, onu_id))
        self.assertTrue(any("Provision ONU" in body for body in self.logged(contract)))

    def test_suspended_but_enabled_is_cut_again(self):
        contract = self.active_contract()
        contract.with_user(self.operator).action_suspend_service()
        self.vsol.enable_onu(contract)  # someone re-enabled it on the OLT by hand
        self.poll()
        drift = self.open_drift(contract)
        self.assertEqual(drift.kind, "suspended_not_cut")
        drift.with_user(self.operator).action_converge()
        self.assertNotEqual(self.device_onus(PLATFORM)[contract.serial_number]["admin_state"], "active")
        self.assertEqual(contract.state_service, "suspended")

    def test_terminated_but_registered_is_removed_by_an_administrator(self):
        contract = self.active_contract()
        contract.write({"state_service": "terminated"})  # billing ended it; nobody told the OLT
        self.poll()
        drift = self.open_drift(contract)
        self.assertEqual(drift.kind, "terminated_onu_registered")
        with self.assertRaises(AccessError):
            drift.with_user(self.operator).action_converge()
        drift.with_user(self.admin).action_converge()
        self.assertNotIn(contract.serial_number, self.device_onus(PLATFORM))
        self.assertTrue(any("Remove ONU" in body for body in self.logged(contract)))
        self.poll()
        self.assertEqual(drift.resolution, "converged")

    def test_a_failed_replay_leaves_the_drift_open_and_says_why(self):
        contract = self.active_contract()
        self.vsol.disable_onu(contract)
        self.poll()
        drift = self.open_drift(contract)
        self.sim(PLATFORM).faults.reject_pattern = r"^onu \d+ activate"
        with self.assertRaises(Exception) as caught:
            drift.with_user(self.operator).action_converge()
        self.assertIn("failed", str(caught.exception))
        self.assertFalse(drift.converged_at)
        self.assertTrue(any("FAILED" in body for body in self.logged(contract)))

    def test_active_with_its_secret_suspended_is_resumed(self):
        contract = self.make_contract(PLATFORM, with_router=True)
        contract.with_user(self.operator).action_activate_service()
        driver = self.router._provisioning_driver()
        with driver:
            driver.suspend_subscriber(contract.pppoe_user)
        self.router._job_poll_inventory()
        drift = self.open_drift(contract)
        self.assertEqual(drift.kind, "active_secret_disabled")
        drift.with_user(self.operator).action_converge()
        secret = next(row for row in self.sim("mikrotik").state()["/ppp/secret"] if row["name"] == contract.pppoe_user)
        self.assertEqual(secret["disabled"], "false")
        self.assertTrue(any("Resume PPPoE subscriber" in body for body in self.logged(contract)))
        self.router._job_poll_inventory()
        self.assertEqual((drift.state, drift.resolution), ("resolved", "converged"))

    def test_active_with_its_secret_disabled_by_hand_is_enabled(self):
        contract = self.make_contract(PLATFORM, with_router=True)
        contract.with_user(self.operator).action_activate_service()
        sim = self.sim("mikrotik")
        with sim.lock:  # someone disabled it in Winbox: no suspension marker
            sim.router.set("/ppp/secret", [contract.pppoe_user], {"disabled": "true"})
        self.router._job_poll_inventory()
        drift = self.open_drift(contract)
        self.assertEqual((drift.kind, contract.pppoe_secret_state), ("active_secret_disabled", "disabled"))
        drift.with_user(self.operator).action_converge()
        secret = next(row for row in sim.state()["/ppp/secret"] if row["name"] == contract.pppoe_user)
        self.assertEqual(secret["disabled"], "false")
        self.router._job_poll_inventory()
        self.assertEqual((drift.state, drift.resolution), ("resolved", "converged"))
