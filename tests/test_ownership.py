"""An operation never touches another customer's service: refused, naming the other contract, before
anything is sent; and an undo takes back only what the operation itself created."""

import unittest
from unittest import mock

import psycopg2
from odoo.addons.silver_provisioning.drivers import validation
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestOwnership(SilverProvisioningCommon):
    def _active(self, platform, **values):
        contract = self.make_contract(platform, **values)
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")
        return contract

    def _second_contract_on(self, holder, serial):
        return self.make_contract(
            holder.olt_id.platform,
            onu={"serial": serial, "pon": holder.olt_id._onu_ref(holder).pon},
            pppoe_user=f"{holder.pppoe_user}x",
        )

    def test_activation_refuses_a_serial_in_service_on_another_contract(self):
        """The first customer's ONU is never reused: refused before any session, naming the holder."""
        for platform in ("huawei", "vsol"):
            with self.subTest(platform=platform):
                holder = self._active(platform)
                serial = validation.normalize_serial(holder.serial_number)
                sim, router = self.sim(platform), self.sim("mikrotik")
                before = (sim.state()["onus"], router.state()["/ppp/secret"], sim.logins["attempted"])
                # Typed in the other spelling: the same ONU all the same.
                second = self._second_contract_on(holder, validation.serial_to_hex(serial))
                with self.assertRaisesRegex(UserError, holder.display_name):
                    second.action_activate_service()
                self.assertEqual(
                    (sim.state()["onus"], router.state()["/ppp/secret"], sim.logins["attempted"]),
                    before,
                    "the other contract's devices were touched",
                )
                self.assertEqual(second.state_service, "inactive")

    def test_activation_refuses_an_onu_the_olt_holds_for_another_contract(self):
        """The database does not know the serial, the OLT does: read before any write, refused, nothing sent."""
        for platform in ("huawei", "vsol"):
            with self.subTest(platform=platform):
                holder = self._active(platform)
                serial = validation.normalize_serial(holder.serial_number)
                # The holder's record names another ONU (typed wrong, or swapped without telling Odoo).
                holder.serial_number = "GPON0000FFF1" if platform == "huawei" else "GPON0000FFF2"
                sim, router = self.sim(platform), self.sim("mikrotik")
                before = (sim.state()["onus"], router.state()["/ppp/secret"])
                second = self._second_contract_on(holder, serial)
                with unittest.TestCase.assertRaises(self, UserError) as caught:
                    second.action_activate_service()
                self.assertIn(holder.display_name, str(caught.exception))
                self.assertIn("nothing was changed", str(caught.exception))
                self.assertEqual(
                    (sim.state()["onus"], router.state()["/ppp/secret"]),
                    before,
                    "the holder's ONU got the second customer's settings",
                )
                self.assertEqual(second.state_service, "inactive")
                self.assertEqual(self.operations(second)[-1][1], "undone")

    def test_onu_waiting_on_another_port_is_refused(self):
        platform = "huawei"
        onu = next(o for o in self.autofind(platform) if o["pon"] != "0/1/3")
        contract = self.make_contract(platform, onu=onu, with_router=False)
        contract.olt_port_id = self.port_for(platform, "0/1/3")
        before = self.sim(platform).state()["onus"]
        with self.assertRaisesRegex(UserError, "waiting in auto-find on"):
            contract.action_activate_service()
        self.assertEqual(self.sim(platform).state()["onus"], before)

    def test_pppoe_user_in_service_on_another_contract_is_refused(self):
        holder = self._active("vsol")
        onu = self.autofind("vsol")[0]
        second = self.make_contract("vsol", onu=onu, pppoe_user=holder.pppoe_user)
        router = self.sim("mikrotik")
        before = router.state()["/ppp/secret"]
        with self.assertRaisesRegex(UserError, holder.display_name):
            second.action_activate_service()
        self.assertEqual(router.state()["/ppp/secret"], before, "the holder's PPPoE secret was rewritten")

    def test_onu_id_zero_is_stored_and_unique(self):
        """Huawei's first ONU id is 0: stored as 0, and a second contract in service on it is refused."""
        first = self._active("huawei", with_router=False)
        self.assertEqual(first.onu_pon_id, 0)
        self.env.flush_all()
        self.env.cr.execute("SELECT onu_pon_id FROM silver_contract WHERE id = %s", (first.id,))
        self.assertEqual(self.env.cr.fetchone()[0], 0, "ONU id 0 was not stored")
        self.assertTrue(first.onu_pon_id_set)
        second = self.make_contract("huawei", with_router=False, serial_number="HWTC0000ABCD")
        second.olt_port_id = first.olt_port_id
        # The database refuses it, should anything bypass the ORM...
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE silver_contract SET state_service = 'active', onu_pon_id = 0, onu_pon_id_set = TRUE, "
                "olt_port_id = %s WHERE id = %s",
                (first.olt_port_id.id, second.id),
            )
        # ... and the ORM refuses it first, naming the holder, without a statement for PostgreSQL to log.
        with self.assertRaisesRegex(ValidationError, first.display_name):
            second.write({"state_service": "active", "onu_pon_id": 0})

    def test_write_of_onu_id_zero_over_empty_is_stored(self):
        contract = self.make_contract("vsol", with_router=False)
        self.env.flush_all()
        contract.write({"onu_pon_id": 0})
        self.env.flush_all()
        self.env.cr.execute("SELECT onu_pon_id, onu_pon_id_set FROM silver_contract WHERE id = %s", (contract.id,))
        self.assertEqual(self.env.cr.fetchone(), (0, True))
        contract.write({"onu_pon_id": False})
        self.assertFalse(contract.onu_pon_id_set)

    def test_replacing_the_onu_by_hand_with_one_in_service_is_refused(self):
        holder = self._active("vsol", with_router=False)
        other = self._active("vsol", with_router=False, onu=self.autofind("vsol")[0])
        with self.assertRaisesRegex(ValidationError, holder.display_name):
            other.serial_number = holder.serial_number

    def test_undo_keeps_an_onu_registered_before_the_activation(self):
        """An ONU the activation found registered (not waiting in auto-find) is never removed by its undo."""
        leftover = self._active("vsol", with_router=False)
        serial = leftover.serial_number
        # Ended in the database only: the ONU stays registered on the OLT, nobody's.
        leftover.write({"state_service": "terminated"})
        contract = self.make_contract("vsol", onu={"serial": serial, "pon": leftover.olt_id._onu_ref(leftover).pon})
        driver_class = type(self.olts["vsol"]._provisioning_driver())
        original = driver_class.provision

        def provision_without_telling(driver, *args, **kwargs):
            # As a driver that does not (yet) say what it found on the device.
            result = original(driver, *args, **kwargs)
            result.data.onu_existed, result.data.created, result.data.preexisting = False, [], []
            return result

        self.sim("mikrotik").faults.reject_pattern = r"^/ppp/secret/add"
        with (
            mock.patch.object(driver_class, "provision", provision_without_telling),
            unittest.TestCase.assertRaises(self, UserError) as caught,
        ):
            contract.action_activate_service()
        self.assertIn(serial, self.device_onus("vsol"), "the undo removed an ONU it had not created")
        self.assertIn("Not everything could be put back", str(caught.exception))
        self.assertIn(serial, str(caught.exception))
        kind, state, left = self.operations(contract)[-1]
        self.assertEqual((kind, state), ("activate", "left"))
        self.assertIn(serial, left)
        contract.invalidate_recordset()
        self.assertIn(serial, contract.provisioning_warning or "", "the contract does not say what is left")

    def test_undo_keeps_the_onu_the_driver_found_registered(self):
        """The driver reads the device before it writes and says the ONU was there: it stays, all put back."""
        leftover = self._active("vsol", with_router=False)
        serial = leftover.serial_number
        leftover.write({"state_service": "terminated"})
        contract = self.make_contract("vsol", onu={"serial": serial, "pon": leftover.olt_id._onu_ref(leftover).pon})
        self.sim("mikrotik").faults.reject_pattern = r"^/ppp/secret/add"
        with unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_activate_service()
        self.assertIn("put back as they were", str(caught.exception))
        self.assertIn(serial, self.device_onus("vsol"))
        self.assertEqual(self.operations(contract)[-1][1], "undone")


@tagged("post_install", "-at_install")
class TestAssignWizardOwnership(SilverProvisioningCommon):
    def test_wizard_from_the_menu_fills_in_from_the_contract(self):
        platform = "vsol"
        olt = self.olts[platform]
        self.sim(platform)
        olt.action_discover_onus()
        onu = self.autofind(platform)[1]
        contract = self.make_contract(platform, onu=onu, with_router=False)
        wizard_form = Form(self.env["silver.onu.assign.wizard"].with_user(self.technician))
        wizard_form.contract_id = contract
        self.assertEqual(wizard_form.olt_id, olt)
        self.assertEqual(wizard_form.olt_port_id, self.port_for(platform, onu["pon"]))
        self.assertEqual(wizard_form.discovered_onu_id.serial_number, onu["serial"])

    def test_wizard_from_the_menu_fills_in_from_a_typed_serial(self):
        platform = "huawei"
        olt = self.olts[platform]
        self.sim(platform)
        olt.action_discover_onus()
        onu = self.autofind(platform)[2]
        wizard_form = Form(self.env["silver.onu.assign.wizard"].with_user(self.technician))
        wizard_form.serial_number = onu["serial_hex"]
        self.assertEqual(wizard_form.olt_id, olt)
        self.assertEqual(wizard_form.olt_port_id, self.port_for(platform, onu["pon"]))
        self.assertEqual(wizard_form.discovered_onu_id.serial_number, onu["serial"])

    def test_wizard_refuses_a_discovered_onu_of_a_contract_in_service(self):
        """Over RPC the form's domain is no guard: the wizard itself refuses, naming the holder."""
        platform = "vsol"
        olt = self.olts[platform]
        self.sim(platform)
        olt.action_discover_onus()
        discovered = self.env["silver.olt.discovered.onu"].search([("olt_id", "=", olt.id)], limit=1)
        holder = self.make_contract(platform, with_router=False, serial_number="GPON0000AAAA")
        holder.write({"state_service": "active"})
        discovered.write({"contract_id": holder.id, "is_assigned": True})
        other = self.make_contract(platform, with_router=False, serial_number=False)
        wizard = (
            self.env["silver.onu.assign.wizard"]
            .with_user(self.technician)
            .create(
                {
                    "olt_id": olt.id,
                    "discovered_onu_id": discovered.id,
                    "serial_number": discovered.serial_number,
                    "contract_id": other.id,
                }
            )
        )
        with self.assertRaisesRegex(UserError, holder.display_name):
            wizard.action_assign()
        self.assertFalse(other.serial_number)
