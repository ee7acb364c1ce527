"""Every error names a field as the form shows it, on the record it belongs to, in the user's language."""

from odoo.addons.silver_provisioning.models.silver_provisioning_labels import INPUT_SOURCES, InputLabels
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestFieldLabels(SilverProvisioningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(["silver_provisioning"], ["es_ES"], overwrite=True)

    def _error(self, contract, lang=None):
        contract = contract.with_context(lang=lang) if lang else contract
        with self.assertRaises(UserError) as caught:
            contract.action_activate_service()
        return str(caught.exception)

    def test_olt_dns_is_named_as_the_form_does(self):
        self.olts["vsol"].primary_dns = "8.8.8.8;"
        contract = self.make_contract("vsol", with_router=False)
        message = self._error(contract)
        self.assertNotIn("wan.dns1", message)
        self.assertIn("Primary DNS (OLT vsol)", message)
        self.assertIn("DNS primario (OLT vsol)", self._error(contract, "es_ES"))
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)

    def test_a_bad_plan_profile_is_the_plans_field(self):
        self.plan.traffic_profile_index = "bad profile"
        contract = self.make_contract("huawei", with_router=False)
        message = self._error(contract)
        self.assertIn(f"({self.plan.product_tmpl_id.display_name})", message)
        self.assertNotIn("OLT huawei", message, "the plan's profile was reported as the OLT's")
        self.assertIn("Perfil de tráfico", self._error(contract, "es_ES"))

    def test_the_olts_own_profile_is_the_olts_field(self):
        self.olts["huawei"].traffic_table_value = "bad profile"
        contract = self.make_contract("huawei", with_router=False)
        self.assertIn("Traffic Profile (OLT huawei)", self._error(contract))

    def test_a_bad_plan_burst_is_the_plans_field(self):
        self.plan.write({"burst_limit_upload": 10})  # below the 50 Mbit/s rate
        contract = self.make_contract("vsol", is_ip_public=True, ip_public="203.0.113.7")
        message = self._error(contract)
        self.assertNotIn("rate_limit", message)
        self.assertIn("Burst Limit Upload (Mbps)", message)

    def test_every_driver_input_has_a_label(self):
        contract = self.make_contract("vsol")
        labels = contract._input_labels()
        for name in INPUT_SOURCES:
            if name.startswith(("params.", "kind")):
                continue
            with self.subTest(name=name):
                self.assertNotEqual(labels.label(name), name)
        sync = InputLabels(self.env, {"sync": self.env["silver.olt.sync.wizard"]}, own="sync")
        for name in ("params.primary", "params.vlan", "params.profile", "kind"):
            self.assertNotEqual(sync.label(name), name)

    def test_connection_errors_name_the_olt_field(self):
        self.olts["vsol"].ip = "10.0.0.1 bad"
        contract = self.make_contract("vsol", with_router=False)
        self.assertIn("Management IP (OLT vsol)", self._error(contract))
