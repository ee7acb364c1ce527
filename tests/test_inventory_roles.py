from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .inventory_common import PONS, InventoryCommon

READ_BACK = ("silver.olt.onu", "silver.onu.reading", "silver.onu.reading.aggregate", "silver.provisioning.drift")


@tagged("post_install", "-at_install")
class TestInventoryRoles(InventoryCommon):
    """Who sees the network read back, who polls, who accepts; the contract form of
    a plain user still opens (the readings are behind the operator group)."""

    def setUp(self):
        super().setUp()
        self.contract_1 = self.contract(1, pon=PONS[0], onu_id=0)
        self.store([self.status(PONS[0], 0, 1), self.status(PONS[0], 1, 2)])

    def test_plain_users_read_nothing_of_it_operators_do(self):
        for model in READ_BACK:
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.plain_user).search([])
            self.assertTrue(self.env[model].with_user(self.operator).search_count([]) or model.endswith("aggregate"))
        form = Form(self.contract_1.with_user(self.plain_user))
        self.assertEqual(form.name, self.contract_1.name)

    def test_polls_and_accepting_are_for_network_administrators(self):
        drift = self.drifts(kind="onu_without_contract")
        self.assertTrue(drift)
        for user in (self.operator, self.technician):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.olt.with_user(user).action_poll_now()
                with self.assertRaises(AccessError):
                    drift.with_user(user)._accept("looks fine")
                with self.assertRaises(AccessError):
                    drift.with_user(user).write({"state": "accepted"})
        with self.assertRaises(AccessError):
            self.olt.with_user(self.operator).action_open_onboarding_wizard()
        self.assertTrue(self.olt.with_user(self.admin).action_poll_now())
