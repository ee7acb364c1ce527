from datetime import datetime
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OLT_PLATFORMS, SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestDiscovery(SilverProvisioningCommon):
    def _discovered(self, olt):
        return self.env["silver.olt.discovered.onu"].search([("olt_id", "=", olt.id)])

    def test_discovery_every_platform(self):
        for platform in OLT_PLATFORMS:
            with self.subTest(platform=platform):
                olt = self.olts[platform].with_user(self.technician)
                waiting = self.autofind(platform)
                olt.action_discover_onus()
                records = self._discovered(olt)
                self.assertEqual(sorted(records.mapped("serial_number")), sorted(o["serial"] for o in waiting))
                for record in records:
                    onu = next(o for o in waiting if o["serial"] == record.serial_number)
                    self.assertEqual(record.pon, onu["pon"])
                    self.assertEqual(record.olt_port_id, self.port_for(platform, onu["pon"]))
                    self.assertTrue(record.olt_index)
                    self.assertTrue(record.is_present)
                self.assertEqual(olt.discovered_onu_count, len(waiting))

    def test_discovery_updates_hides_and_marks_vanished(self):
        platform = "huawei"
        olt = self.olts[platform]
        sim = self.sim(platform)
        olt.action_discover_onus()
        first = self._discovered(olt)
        self.assertEqual(len(first), 3)

        # One is provisioned on a contract: it leaves auto-find and is hidden.
        contract = self.make_contract(platform, with_router=False)
        contract.action_activate_service()
        # Another ONU appears.
        new = sim.add_autofind(pon="0/1/2")
        olt.action_discover_onus()
        records = self._discovered(olt)
        self.assertEqual(len(records), 4, "a new ONU is created, none is duplicated")
        self.assertEqual(records.filtered(lambda r: r.serial_number == new["serial"]).pon, "0/1/2")
        assigned = records.filtered(lambda r: r.serial_number == contract.serial_number)
        self.assertTrue(assigned.is_assigned)
        self.assertEqual(assigned.contract_id, contract)
        waiting = records.filtered_domain([("is_assigned", "=", False), ("is_present", "=", True)])
        self.assertEqual(len(waiting), 3)
        self.assertEqual(olt.discovered_onu_count, 3)

        # An ONU unplugged without being provisioned: marked, not deleted.
        gone = sim.state()["autofind"][0]["serial"]
        sim.device.take_autofind(gone)
        olt.action_discover_onus()
        vanished = self._discovered(olt).filtered(lambda r: r.serial_number == gone)
        self.assertFalse(vanished.is_present)

    def test_discovery_writes_in_batches(self):
        """The number of queries does not grow with the number of ONUs found."""
        olt = self.olts["vsol"]
        self.sim("vsol", onus=8)
        driver = olt._provisioning_driver()
        found = driver.discover().data
        self.assertEqual(len(found), 8)

        clock = iter(datetime(2026, 1, 1, 0, minute) for minute in range(60))

        def queries(onus):
            self.env.flush_all()
            self.env.invalidate_all()
            with patch.object(
                type(self.env.cr), "execute", autospec=True, side_effect=type(self.env.cr).execute
            ) as execute:
                # A new time on every run: unchanged values would let the ORM skip a write.
                olt._store_discovered_onus(onus, type(driver), now=next(clock))
                self.env.flush_all()
            return [str(call.args[1])[:90] for call in execute.call_args_list]

        queries(found[:1])  # warms the caches the first call fills
        self._discovered(olt).unlink()
        create_two = queries(found[:2])
        self._discovered(olt).unlink()
        create_eight = queries(found)
        self.assertEqual(
            len(create_two),
            len(create_eight),
            f"creating discovered ONUs costs queries per ONU: {create_two} {create_eight}",
        )
        queries(found)  # warms the caches of the update path
        update_eight = queries(found)
        kept = [onu.serial for onu in found[:2]]
        self._discovered(olt).filtered(lambda r: r.serial_number not in kept).unlink()
        update_two = queries(found[:2])
        self.assertEqual(
            len(update_two),
            len(update_eight),
            f"re-reading known ONUs costs queries per ONU: {update_two} {update_eight}",
        )
        self.assertEqual(len(self._discovered(olt)), 2)

    def test_operator_cannot_discover(self):
        self.sim("vsol")
        with self.assertRaises(AccessError):
            self.olts["vsol"].with_user(self.operator).action_discover_onus()
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)


@tagged("post_install", "-at_install")
class TestAssignWizard(SilverProvisioningCommon):
    def _contract_without_onu(self, platform):
        contract = self.make_contract(platform, with_router=False)
        contract.write({"serial_number": False, "olt_port_id": False, "olt_card_id": False})
        return contract

    def test_assign_discovered_onu_and_activate(self):
        platform = "zte"
        olt = self.olts[platform]
        self.sim(platform)
        olt.action_discover_onus()
        contract = self._contract_without_onu(platform)
        discovered = self.env["silver.olt.discovered.onu"].search([("olt_id", "=", olt.id)], limit=1)
        action = discovered.action_open_assign_wizard()
        wizard_form = Form(
            self.env["silver.onu.assign.wizard"].with_user(self.technician).with_context(**action["context"])
        )
        wizard_form.contract_id = contract
        wizard_form.activate = True
        wizard = wizard_form.save()
        self.assertEqual(wizard.serial_number, discovered.serial_number)
        wizard.action_assign()
        self.assertEqual(contract.serial_number, discovered.serial_number)
        self.assertEqual(contract.olt_port_id, discovered.olt_port_id)
        self.assertEqual(contract.olt_card_id, discovered.olt_card_id)
        self.assertEqual(contract.state_service, "active")
        self.assertTrue(discovered.is_assigned)
        self.assertIn(discovered.serial_number, self.device_onus(platform))

    def test_assign_from_the_contract(self):
        platform = "vsol"
        self.sim(platform)
        olt = self.olts[platform]
        olt.action_discover_onus()
        contract = self._contract_without_onu(platform)
        action = contract.action_open_assign_wizard()
        wizard_form = Form(
            self.env["silver.onu.assign.wizard"].with_user(self.technician).with_context(**action["context"])
        )
        self.assertEqual(wizard_form.contract_id, contract)
        wizard_form.discovered_onu_id = self.env["silver.olt.discovered.onu"].search([("olt_id", "=", olt.id)], limit=1)
        wizard_form.save().action_assign()
        self.assertTrue(contract.serial_number)
        self.assertEqual(contract.olt_port_id.olt_id, olt)
        self.assertEqual(contract.state_service, "inactive", "not activated unless asked")

    def test_serial_typed_in_hex_or_vendor_form(self):
        platform = "huawei"
        onu = self.autofind(platform)[0]
        olt = self.olts[platform]
        for typed in (onu["serial_hex"], onu["serial"].lower(), f"{onu['serial'][:4]}-{onu['serial'][4:]}"):
            with self.subTest(typed=typed):
                contract = self._contract_without_onu(platform)
                wizard = self.env["silver.onu.assign.wizard"].create(
                    {
                        "olt_id": olt.id,
                        "olt_port_id": self.port_for(platform, onu["pon"]).id,
                        "serial_number": typed,
                        "contract_id": contract.id,
                    }
                )
                wizard.action_assign()
                self.assertEqual(contract.serial_number, onu["serial"])

    def test_bad_serial_is_refused_naming_the_field(self):
        contract = self._contract_without_onu("vsol")
        wizard = self.env["silver.onu.assign.wizard"].create(
            {
                "olt_id": self.olts["vsol"].id,
                "olt_port_id": self.olts["vsol"].port_ids[:1].id,
                "serial_number": "12345",
                "contract_id": contract.id,
            }
        )
        with self.assertRaisesRegex(UserError, "Serial Number"):
            wizard.action_assign()
        self.assertFalse(contract.serial_number)

    def test_operator_cannot_use_the_wizard(self):
        with self.assertRaises(AccessError):
            self.env["silver.onu.assign.wizard"].with_user(self.operator).create(
                {
                    "olt_id": self.olts["vsol"].id,
                    "contract_id": self._contract_without_onu("vsol").id,
                }
            )
