from unittest import mock

from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .inventory_common import PONS, InventoryCommon, serial


@tagged("post_install", "-at_install")
class TestOnboarding(InventoryCommon):
    """An OLT with ONUs in service before the addon: its ONUs are linked to their contracts."""

    def setUp(self):
        super().setUp()
        blank = {
            "olt_id": False,
            "olt_port_id": False,
            "olt_card_id": False,
            "state": "active",
            "state_service": "inactive",
        }
        self.by_serial = self.contract(1, **blank)
        self.by_description = self.contract(2, serial_number=False, **blank)
        self.twins = self.contract(3, serial_number=False, **blank) | self.contract(4, serial_number=False, **blank)
        self.serial_says_one = self.contract(5, **blank)
        self.description_says_other = self.contract(6, serial_number=False, **blank)
        self.without_onu = self.contract(7, pon=PONS[2], onu_id=9, serial_number=serial(700))
        self.linked = self.contract(8, pon=PONS[3], onu_id=0)
        self.terminated = self.contract(9, **dict(blank, state_service="terminated"))
        self.first_poll = [
            self.status(PONS[0], 0, 1, description="Maria Lopez"),
            self.status(PONS[0], 1, 222, description="CT-00002 Juan Perez"),
            self.status(PONS[0], 2, 333, description="CT-00003 CT-00004"),
            self.status(PONS[1], 0, 5, description="CT-00006_shop"),
            self.status(PONS[1], 1, 555, description="no reference here"),
            self.status(PONS[3], 0, 8, description="CT-00008"),
            self.status(PONS[1], 2, 9),
        ]
        self.store(self.first_poll)
        self.sim(PLATFORM := "huawei")
        self.platform = PLATFORM

    def wizard(self, user=None):
        action = self.olt.with_user(user or self.technician).action_open_onboarding_wizard()
        return self.env[action["res_model"]].with_user(user or self.technician).browse(action["res_id"])

    def line(self, wizard, number):
        return wizard.line_ids.filtered(lambda line: line.serial_number == serial(number))

    def test_preview(self):
        wizard = self.wizard()
        self.assertEqual(self.line(wizard, 1).match, "serial")
        self.assertEqual(self.line(wizard, 1).contract_id, self.by_serial)
        self.assertEqual(self.line(wizard, 222).match, "description")
        self.assertEqual(self.line(wizard, 222).contract_id, self.by_description)
        self.assertEqual(self.line(wizard, 333).match, "ambiguous")
        self.assertEqual(self.line(wizard, 333).candidate_ids, self.twins)
        self.assertEqual(self.line(wizard, 5).match, "ambiguous")
        self.assertEqual(self.line(wizard, 5).candidate_ids, self.serial_says_one | self.description_says_other)
        self.assertEqual(self.line(wizard, 555).match, "no_contract")
        self.assertEqual(self.line(wizard, 8).match, "linked")
        self.assertEqual(self.line(wizard, 9).match, "no_contract", "a terminated contract takes no ONU")
        no_onu = wizard.line_ids.filtered(lambda line: line.match == "no_onu")
        self.assertEqual(no_onu.contract_id, self.without_onu)
        self.assertEqual(
            (wizard.matched_count, wizard.ambiguous_count, wizard.no_contract_count, wizard.no_onu_count), (2, 2, 2, 1)
        )

    def test_confirm_fills_the_contracts_and_sends_nothing(self):
        wizard = self.wizard()
        twin = self.line(wizard, 333)
        twin.write({"contract_id": self.twins[1].id, "apply": True})
        wizard.action_confirm()
        onu = self.onus().filtered(lambda o: o.serial_number == serial(1))
        contract = self.by_serial
        self.assertEqual(
            (contract.olt_id, contract.olt_port_id, contract.olt_card_id, contract.onu_pon_id),
            (self.olt, self.ports[PONS[0]], self.ports[PONS[0]].olt_card_id, 0),
        )
        self.assertEqual(contract.inventory_onu_id, onu)
        self.assertEqual(contract.state_service, "active")
        self.assertEqual(onu.contract_id, contract)
        self.assertEqual(self.by_description.serial_number, serial(222))
        self.assertEqual(self.twins[1].serial_number, serial(333))
        self.assertFalse(self.twins[0].olt_id)
        self.assertEqual(self.sim(self.platform).logins["attempted"], 0, "nothing is sent to the OLT")
        self.assertIn("onboarding", contract.message_ids[0].body)
        self.assertIn(serial(1), contract.message_ids[0].body, "the note says which ONU, as tracking would")
        described = self.onus().filtered(lambda o: o.serial_number == serial(222))
        self.assertEqual(
            self.drifts(onu_id=described.id).resolution, "onboarded", "its 'ONU with no contract' entry is closed"
        )
        # The next poll finds them linked.
        self.assertEqual(self.line(self.wizard(), 1).match, "linked")

    def test_keep_inactive_and_refusals(self):
        wizard = self.wizard()
        wizard.activate_contracts = False
        for line in (self.line(wizard, 333), self.line(wizard, 5)):
            line.write({"contract_id": self.twins[0].id, "apply": True})
        with self.assertRaisesRegex(UserError, "chosen for two ONUs|choose one of"):
            wizard.action_confirm()
        self.line(wizard, 5).write({"contract_id": False, "apply": False})
        wizard.action_confirm()
        self.assertEqual(self.by_serial.state_service, "inactive")
        with self.assertRaises(AccessError):
            self.wizard(user=self.operator)

    def test_a_description_naming_a_contract_of_another_serial_is_ambiguous(self):
        """The contract holds another ONU's serial: linking this one would replace it unseen."""
        other = self.contract(10, olt_id=False, olt_port_id=False, olt_card_id=False, serial_number=serial(1000))
        self.store([*self.first_poll, self.status(PONS[2], 0, 1010, description="CT-00010")], now=self.later(self.t0))
        line = self.line(self.wizard(), 1010)
        self.assertEqual((line.match, line.apply), ("ambiguous", False))
        self.assertEqual(line.candidate_ids, other)

    def test_reading_a_busy_olt_says_so(self):
        """Another session holds the OLT (an activation): the technician is told, no job error."""
        wizard = self.wizard()
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (OLT_LOCK_NAMESPACE, self.olt.id))
            with self.assertRaisesRegex(UserError, "busy"):
                wizard.action_read_olt()

    def test_confirm_waits_for_a_poll_storing_the_same_olt(self):
        """A poll holds the OLT's lock while it stores: a link written beside it would be
        overwritten by the poll's older claims."""
        wizard = self.wizard()
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (OLT_LOCK_NAMESPACE, self.olt.id))
            with mock.patch("odoo.addons.silver_provisioning.models.silver_olt.LOCK_WAIT_SECONDS", 0):
                with self.assertRaisesRegex(UserError, "busy"):
                    wizard.action_confirm()
        self.assertFalse(self.by_serial.olt_id)

    def test_only_a_candidate_can_be_linked(self):
        """The preview offers the contracts an ONU matched; another one written in is refused."""
        wizard = self.wizard()
        lonely = self.line(wizard, 555)
        self.assertEqual(lonely.match, "no_contract")
        lonely.write({"contract_id": self.without_onu.id, "apply": True})
        with self.assertRaisesRegex(UserError, "choose one of"):
            wizard.action_confirm()
        self.assertEqual(self.without_onu.onu_pon_id, 9)
