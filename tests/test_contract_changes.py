import re
import time
from unittest import mock

from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestContractChanges(SilverProvisioningCommon):
    """Changes to a live contract: pending on edit, previewed, applied as one plan over
    OLT and router; replace, move and reboot of the ONU; previews of the lifecycle."""

    platform = "huawei"

    def _active_contract(self, **values):
        contract = self.make_contract(self.platform, **values).with_user(self.operator)
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")
        return contract

    def _vlan(self, number):
        olt = self.olts[self.platform]
        vlan = olt.vlan_ids.filtered(lambda record: record.vlanid == number)
        return vlan or self.env["silver.vlan"].create({"olt_id": olt.id, "vlanid": number, "name": f"v{number}"})

    def _wizard(self, contract, operation, user=None, **values):
        Wizard = self.env["silver.contract.apply.wizard"].with_user(user or self.operator)
        return Wizard.create({"contract_id": contract.id, "operation": operation, **values})

    def _service_ports(self, contract):
        sim = self.sim(self.platform)
        return [port for port in sim.state()["service_ports"] if port["onu_id"] == contract.onu_pon_id]

    def _device_onu(self, serial):
        return self.device_onus(self.platform).get(serial)

    # -- changes pending ------------------------------------------------------------------------
    def test_edit_marks_changes_pending_and_sends_nothing(self):
        contract = self._active_contract()
        sim = self.sim(self.platform)
        lines, logins = len(sim.commands), sim.logins["succeeded"]
        contract.write({"vlan_id": self._vlan(200).id})
        self.assertTrue(contract.provisioning_changes_pending)
        self.assertEqual(contract.provisioning_pending_what, "vlan")
        contract.wifi_line_ids.write({"name": "Casa-Nueva"})
        self.assertEqual(contract.provisioning_pending_what, "vlan,wifi")
        self.assertEqual(contract.provisioning_pending_label, "VLAN, WiFi")
        self.assertEqual((len(sim.commands), sim.logins["succeeded"]), (lines, logins), "write() sent something")
        # Writing the same value again changes nothing.
        other = self._active_contract()
        other.write({"pppoe_user": other.pppoe_user})
        self.assertFalse(other.provisioning_changes_pending)

    def test_inactive_contract_edit_is_not_pending(self):
        contract = self.make_contract(self.platform)
        contract.write({"vlan_id": self._vlan(200).id})
        self.assertFalse(contract.provisioning_changes_pending)

    def test_apply_previews_then_applies_on_olt_and_router(self):
        contract = self._active_contract()
        contract.write({"vlan_id": self._vlan(200).id, "pppoe_password": "Ppp0e-N3w-Secret"})
        self.assertEqual(contract.provisioning_pending_what, "vlan,pppoe")
        before = self.sim(self.platform).state()
        wizard = self._wizard(contract, "apply")
        self.assertIn("service-port vlan 200", wizard.preview)
        self.assertIn(self.router.display_name, wizard.preview)
        self.assertNotIn("Ppp0e-N3w-Secret", wizard.preview)
        self.assertEqual(self.sim(self.platform).state()["service_ports"], before["service_ports"], "preview changed")
        wizard.action_confirm()
        self.assertFalse(contract.provisioning_changes_pending)
        self.assertEqual([port["vlan"] for port in self._service_ports(contract)], [200])
        router = self.sim("mikrotik")
        self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["password"], "Ppp0e-N3w-Secret")
        messages = self.logged(contract)
        self.assertTrue(any("Change ONU service" in body for body in messages), messages)
        for body in messages:
            self.assertNoSecret(body, "a log message")
            self.assertNotIn("Ppp0e-N3w-Secret", body)
        # Applied: a second preview sends nothing.
        contract.write({"vlan_id": self._vlan(200).id})
        self.assertFalse(contract.provisioning_changes_pending)

    def test_a_router_refusal_leaves_the_olt_untouched(self):
        contract = self._active_contract()
        contract.write({"vlan_id": self._vlan(200).id, "pppoe_password": "Ppp0e-N3w-Secret"})
        ports = self._service_ports(contract)
        self.sim("mikrotik").faults.reject_pattern = r"/ppp/secret/set"
        with self.assertRaisesRegex(UserError, "put back"):
            self._wizard(contract, "apply").action_confirm()
        self.assertEqual(self._service_ports(contract), ports, "the OLT keeps the old VLAN")
        self.assertTrue(contract.provisioning_changes_pending, "still pending")

    def test_an_olt_refusal_takes_the_router_back(self):
        contract = self._active_contract()
        contract.write({"vlan_id": self._vlan(200).id, "pppoe_password": "Ppp0e-N3w-Secret"})
        ports = self._service_ports(contract)
        self.sim(self.platform).faults.inject("reject", r"^service-port vlan 200 .*$")
        with self.assertRaisesRegex(UserError, "put back"):
            self._wizard(contract, "apply").action_confirm()
        self.assertEqual(self._service_ports(contract), ports, "the OLT keeps the old VLAN")
        secret = self.sim("mikrotik").rows("/ppp/secret", name=contract.pppoe_user)[0]
        self.assertEqual(secret["password"], "Ppp0e-Secret", "the router has the old password again")
        take_back = [body for body in self.logged(contract) if "Take back the changes" in body]
        self.assertEqual(len(take_back), 1, "the router's take-back is in the chatter")
        self.assertIn("OK", take_back[0])
        self.assertNotIn("Ppp0e-N3w-Secret", take_back[0])
        self.assertTrue(contract.provisioning_changes_pending, "still pending")

    # -- a new PPPoE user -----------------------------------------------------------------------------
    def _secrets(self):
        return {row["name"]: row for row in self.sim("mikrotik").rows("/ppp/secret")}

    def test_a_new_pppoe_user_replaces_the_old_secret(self):
        """Applied, the old user's secret is gone (it would go on working, uncut by suspensions)."""
        contract = self._active_contract()
        old = contract.pppoe_user
        contract.write({"pppoe_user": "renamed0001"})
        self.assertEqual(contract.provisioning_router_user, old)
        # Suspended before Apply: the secret the router authenticates (the old one) is cut.
        contract.action_suspend_service()
        self.assertEqual(self._secrets()[old]["disabled"], "true")
        self.assertNotIn("renamed0001", self._secrets())
        self._wizard(contract, "apply").action_confirm()
        secrets = self._secrets()
        self.assertNotIn(old, secrets, "the former secret is removed")
        self.assertEqual(secrets["renamed0001"]["disabled"], "true", "the new secret carries the suspension")
        self.assertFalse(contract.provisioning_router_user)
        contract.action_reconnect_service()
        self.assertEqual(self._secrets()["renamed0001"]["disabled"], "false")

    def test_a_refused_rename_keeps_the_old_secret(self):
        contract = self._active_contract()
        old = contract.pppoe_user
        contract.write({"pppoe_user": "renamed0002"})
        # Only the former secret's removal is refused (the take-back removes the new one).
        former = re.escape(self._secrets()[old][".id"])
        self.sim("mikrotik").faults.reject_pattern = rf"^/ppp/secret/remove =\.id={former}$"
        with self.assertRaisesRegex(UserError, "put back"):
            self._wizard(contract, "apply").action_confirm()
        self.sim("mikrotik").faults.reject_pattern = None
        secrets = self._secrets()
        self.assertIn(old, secrets)
        self.assertNotIn("renamed0002", secrets, "the new secret is taken back")
        self.assertEqual(contract.provisioning_router_user, old)

    def test_a_new_pppoe_user_in_service_elsewhere_is_refused(self):
        contract = self._active_contract()
        other = self._active_contract()
        contract.write({"pppoe_user": other.pppoe_user})
        with self.assertRaisesRegex(UserError, "already in service"):
            self._wizard(contract, "apply").action_confirm()
        self.assertEqual(self._secrets()[other.pppoe_user]["comment"], other._device_description())

    def test_the_pending_bookkeeping_is_not_writable_by_users(self):
        contract = self._active_contract()
        for values in (
            {"provisioning_changes_pending": True},
            {"provisioning_router_user": "someone-else"},
            {"provisioning_pending_what": False},
        ):
            with self.assertRaises(AccessError):
                contract.write(values)
        # The provisioning's own context key, sent by a client, hides nothing.
        contract.with_context(silver_provisioning_applying=True).write({"vlan_id": self._vlan(200).id})
        self.assertEqual(contract.provisioning_pending_what, "vlan")

    def test_a_preview_waits_for_the_session_another_operation_holds(self):
        """A sync or batch holds the OLT: the preview does not log in beside it."""
        # Not activated here: this test's transaction would hold the OLT's lock until it ends.
        contract = self.make_contract(self.platform)
        logins = self.sim(self.platform).logins["succeeded"]
        with self.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)", (OLT_LOCK_NAMESPACE, contract.olt_id.id))
            with mock.patch("odoo.addons.silver_provisioning.models.silver_olt.LOCK_WAIT_SECONDS", 0):
                with self.assertRaisesRegex(UserError, "busy"):
                    self._wizard(contract, "activate")
        self.assertEqual(self.sim(self.platform).logins["succeeded"], logins)

    def test_apply_without_changes_is_refused(self):
        contract = self._active_contract()
        with self.assertRaisesRegex(UserError, "no changes pending"):
            contract._apply_changes()

    # -- replace, move, reboot ------------------------------------------------------------------------
    def test_replace_onu(self):
        contract = self._active_contract()
        old, onu_id = contract.serial_number, contract.onu_pon_id
        pon = self.olts[self.platform]._pon_address(contract.olt_port_id)
        new = self.sim(self.platform).add_autofind(pon=pon)["serial"]
        with self.assertRaisesRegex(UserError, "New Serial"):
            self._wizard(contract, "replace", user=self.technician, new_serial="not-a-serial").action_confirm()
        with self.assertRaises(AccessError):
            contract.action_replace_onu_wizard()
        wizard = self._wizard(contract, "replace", user=self.technician, new_serial=new)
        wizard.action_preview()
        self.assertIn("ont delete", wizard.preview)
        self.assertTrue(self._device_onu(old), "the preview removed nothing")
        wizard.action_confirm()
        self.assertEqual(contract.serial_number, new)
        self.assertEqual(contract.onu_pon_id, onu_id)
        self.assertFalse(self._device_onu(old))
        self.assertEqual(self._device_onu(new)["id"], onu_id)

    def test_replace_with_a_serial_in_service_elsewhere_is_refused(self):
        contract = self._active_contract()
        other = self._active_contract()
        with self.assertRaisesRegex(UserError, "already in service"):
            contract.with_user(self.technician)._replace_onu(other.serial_number)
        self.assertEqual(self._device_onu(contract.serial_number)["id"], contract.onu_pon_id)

    def test_move_onu_to_another_port(self):
        contract = self._active_contract()
        olt = self.olts[self.platform]
        target = olt.port_ids.filtered(lambda port: port != contract.olt_port_id)[:1]
        self.sim(self.platform).replug(contract.serial_number, olt._pon_address(target))
        wizard = self._wizard(contract, "move", user=self.technician, target_olt_id=olt.id, target_port_id=target.id)
        wizard.action_confirm()
        self.assertEqual(contract.olt_port_id, target)
        onu = self._device_onu(contract.serial_number)
        self.assertEqual((onu["pon"], onu["id"]), (olt._pon_address(target), contract.onu_pon_id))

    def test_move_onu_to_an_olt_of_another_platform(self):
        """Huawei to ZTE with the ZTE's own profiles; the ZTE refusing, the ONU is back on the Huawei
        with the Huawei's profiles (not the ZTE's service, which the Huawei refuses)."""
        contract = self._active_contract()
        zte = self.olts["zte"]
        target = zte.port_ids[:1]
        pon = zte._pon_address(target)
        zte_sim = self.sim("zte", onus=0)
        onu = self._device_onu(contract.serial_number)
        zte_sim.faults.inject("reject", r"^wan-ip .*$")
        wizard = self._wizard(contract, "move", user=self.technician, target_olt_id=zte.id, target_port_id=target.id)
        with self.assertRaises(UserError) as caught:
            wizard.action_confirm()
        zte_sim.faults.reset()
        self.assertIn("The devices were put back as they were", str(caught.exception))
        self.assertEqual(self._device_onu(contract.serial_number), onu, "registered on the Huawei again as it was")
        self.assertEqual(contract.olt_id, self.olts[self.platform])
        wizard = self._wizard(contract, "move", user=self.technician, target_olt_id=zte.id, target_port_id=target.id)
        wizard.action_confirm()
        self.assertEqual((contract.olt_id, contract.olt_port_id), (zte, target))
        self.assertFalse(self._device_onu(contract.serial_number))
        moved = {o["serial"]: o for os in zte_sim.state()["onus"].values() for o in os}[contract.serial_number]
        self.assertEqual((moved["pon"], moved["id"]), (pon, contract.onu_pon_id))

    def test_reboot_onu(self):
        contract = self._active_contract()
        wizard = self._wizard(contract, "reboot")
        self.assertIn("ont reset", wizard.preview)
        # Under the context it is typed in, as the run sends it.
        self.assertRegex(wizard.preview, r"interface gpon 0/1:\n +ont reset")
        self.assertFalse(self._device_onu(contract.serial_number).get("reboots"))
        wizard.action_confirm()
        self.assertEqual(self._device_onu(contract.serial_number)["reboots"], 1)
        self.assertTrue(any("Reboot ONU" in body for body in self.logged(contract)))
        with self.assertRaises(AccessError):
            contract.with_user(self.plain_user).action_reboot_onu_wizard()
        time.sleep(0)  # nothing timed here: the simulated ONU's return is the driver tests' matter

    # -- previews of the lifecycle ---------------------------------------------------------------
    def test_preview_of_activation_and_suspension(self):
        contract = self.make_contract(self.platform).with_user(self.operator)
        before = self.sim(self.platform).state()
        wizard = self._wizard(contract, "activate")
        self.assertIn("ont add", wizard.preview)
        self.assertEqual(self.sim(self.platform).state()["onus"], before["onus"])
        with self.assertRaises(UserError):
            wizard.action_confirm()
        contract.action_activate_service()
        suspend = self._wizard(contract, "suspend")
        self.assertIn(self.router.display_name, suspend.preview)
        self.assertEqual(contract.state_service, "active")
