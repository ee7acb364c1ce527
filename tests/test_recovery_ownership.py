"""An unsettled operation still holds its ONU: no other contract takes it, and its settling
never removes what another contract now has in service."""

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SilverProvisioningCommittedCommon


@tagged("post_install", "-at_install")
class TestRecoveryOwnership(SilverProvisioningCommittedCommon):
    def _activate_in_request(self, contract_id, after=None):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["silver.contract"].browse(contract_id).action_activate_service()
            if after:
                after(cr)

    def _read(self, cid, f):
        return self._committed(lambda env: env["silver.contract"].browse(cid).read(f)[0])

    def _operation_of(self, contract_id):
        return self._committed(
            lambda env: (
                env["silver.provisioning.operation"]
                .search([("res_model", "=", "silver.contract"), ("res_id", "=", contract_id)], limit=1)
                .read(["state", "left_description", "name"])[0]
            )
        )

    def test_recovery_removes_the_onu_another_contract_now_uses(self):
        sim = self.sim("vsol", onus=0)
        serial = sim.add_autofind(pon="0/1")["serial"]
        _o, _p, (a_id, b_id) = self._setup_committed(sim, "0/1", [serial, serial], prefix="CT-HREC")
        a_name, b_name = "CT-HREC-0", "CT-HREC-1"

        def die(cr):
            cr.postcommit.clear()
            cr.postrollback.clear()
            cr.rollback()

        self._activate_in_request(a_id, after=die)  # worker dies after the OLT accepted the ONU
        self.assertIn(serial, self.device_onus("vsol"))
        self.assertEqual(self._operation_of(a_id)["state"], "open")

        # (a) B is refused, naming A's open operation, before anything is sent.
        device_before = {key: sim.state()[key] for key in ("onus", "autofind")}
        with self.assertRaises(UserError) as refused:
            self._activate_in_request(b_id)
        self.assertIn(a_name, str(refused.exception))
        self.assertIn(serial, str(refused.exception))
        self.assertEqual({key: sim.state()[key] for key in ("onus", "autofind")}, device_before)
        self.assertEqual(self._read(b_id, ["state_service"])["state_service"], "inactive")

        # (b) B made active by any other path: the recovery leaves the ONU, in words naming B.
        self._committed(lambda env: env["silver.contract"].browse(b_id).write({"state_service": "active"}))
        states = self._committed(lambda env: env["silver.provisioning.operation"]._cron_recover_operations(min_age=0))
        self.assertIn(serial, self.device_onus("vsol"), f"recovery {states} deleted B's ONU while B is active")
        operation = self._operation_of(a_id)
        self.assertEqual(operation["state"], "left")
        self.assertIn(b_name, operation["left_description"])

        # The "Take Back Again" button leaves it too while B holds it.
        def retry(env):
            op = env["silver.provisioning.operation"].search(
                [("res_model", "=", "silver.contract"), ("res_id", "=", a_id)], limit=1
            )
            op.action_retry_take_back()

        self._committed(retry)
        self.assertIn(serial, self.device_onus("vsol"))
        operation = self._operation_of(a_id)
        self.assertEqual(operation["state"], "left")
        self.assertIn(b_name, operation["left_description"])


@tagged("post_install", "-at_install")
class TestSerialLock(SilverProvisioningCommittedCommon):
    def test_one_activation_per_serial_whichever_olt(self):
        """Two contracts on two OLTs share no OLT lock: the serial's own lock
        makes the second wait for the first, then see what it committed."""
        from unittest import mock

        from odoo.addons.silver_provisioning.models import silver_contract as contract_module

        serial = "HWTC0B086EA9"
        contract = self.env["silver.contract"].search([], limit=1) or self.env["silver.contract"]
        with self.registry.cursor() as other:
            # The first activation, in its own transaction, holds the serial.
            other.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (contract_module.SERIAL_LOCK_NAMESPACE, serial)
            )
            with mock.patch.object(contract_module, "LOCK_WAIT_SECONDS", 0):
                with self.assertRaisesRegex(UserError, "being activated on another contract"):
                    contract._lock_serial(serial)
            other.rollback()
        # Released with the other transaction: this one takes it at once.
        contract._lock_serial(serial)
