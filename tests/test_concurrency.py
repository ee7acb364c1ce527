import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import SilverProvisioningCommittedCommon


@tagged("post_install", "-at_install")
class TestConcurrentActivation(SilverProvisioningCommittedCommon):
    """Two operators activate two contracts on one PON port at the same moment.

    This needs what other tests avoid: data committed for real, and one
    database connection per thread, as two Odoo workers would have.  The test
    creates its records on a cursor of its own, commits them, and deletes
    them afterwards.
    """

    def test_two_activations_on_one_pon_get_different_onu_ids(self):
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serials = [sim.add_autofind(pon=pon)["serial"] for _n in range(2)]
        # Widen the window between reading the free ONU ids and taking one (the device
        # answers "onu add" late), so that without the OLT lock both sessions read the same table.
        sim.faults.slow_pattern = r"^onu add"
        sim.faults.slow_extra = 1.0
        olt_id, _partner_id, contract_ids = self._setup_committed(sim, pon, serials, prefix="CT-CONC")

        start = threading.Barrier(len(contract_ids))
        errors = {}

        def activate(contract_id):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    contract = env["silver.contract"].browse(contract_id)
                    contract.olt_id.name  # noqa: B018 - read before the race, not during it
                    start.wait(timeout=60)
                    contract.action_activate_service()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors[contract_id] = repr(error)

        threads = [threading.Thread(target=activate, args=(cid,)) for cid in contract_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        self.assertFalse(any(thread.is_alive() for thread in threads), "an activation never finished")
        self.assertEqual(errors, {})

        def read(env):
            return env["silver.contract"].browse(contract_ids).read(["state_service", "onu_pon_id"])

        rows = self._committed(read)
        self.assertEqual([row["state_service"] for row in rows], ["active", "active"])
        onu_ids = [row["onu_pon_id"] for row in rows]
        self.assertEqual(len(set(onu_ids)), 2, f"both contracts got ONU id {onu_ids[0]}")
        on_device = sorted(onu["id"] for onu in sim.state()["onus"][pon])
        self.assertEqual(on_device, sorted(onu_ids))
