"""Router TLS certificates are pinned like SSH host keys; a policy refuses unpinned devices."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import SilverProvisioningCommon

BAD_PIN = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"


@tagged("post_install", "-at_install")
class TestRouterCertificate(SilverProvisioningCommon):
    def test_fetch_and_pin_the_router_certificate(self):
        router_sim = self.sim("mikrotik", protocol="api-ssl")
        router = self.router.with_user(self.admin)
        action = router.action_fetch_tls_fingerprint()
        self.assertEqual(router.tls_fingerprint, router_sim.host_key_fingerprint)
        self.assertIn(router_sim.host_key_fingerprint, action["params"]["message"])
        self.assertEqual(router_sim.logins["attempted"], 0, "reading the certificate must not log in")
        self.assertEqual(router.key_pin_state, "pinned")
        # Pinned: the activation goes through, over TLS.
        contract = self.make_contract("vsol")
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")
        self.assertEqual(len(router_sim.rows("/ppp/secret", name=contract.pppoe_user)), 1)

    def test_wrong_pinned_certificate_refuses_before_the_password(self):
        router_sim = self.sim("mikrotik", protocol="api-ssl")
        self.router.tls_fingerprint = BAD_PIN
        contract = self.make_contract("vsol")
        with self.assertRaisesRegex(UserError, "TLS certificate"):
            contract.action_activate_service()
        self.assertEqual(router_sim.logins["attempted"], 0, "the router password went to an unknown certificate")
        self.assertEqual(contract.state_service, "inactive")
        self.assertNotIn(contract.serial_number, self.device_onus("vsol"), "the ONU was not taken back")

    def test_only_administrators_pin(self):
        self.sim("mikrotik", protocol="api-ssl")
        for user in (self.operator, self.technician):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.router.with_user(user).action_fetch_tls_fingerprint()
        self.assertFalse(self.router.tls_fingerprint)


@tagged("post_install", "-at_install")
class TestPinPolicy(SilverProvisioningCommon):
    def _set_default(self, refuse):
        self.env["ir.config_parameter"].sudo().set_param(
            "silver_provisioning.require_pinned_keys", "True" if refuse else "False"
        )

    def test_default_policy_refuses_an_unpinned_olt_before_any_session(self):
        contract = self.make_contract("vsol", with_router=False)
        self._set_default(True)
        with self.assertRaisesRegex(UserError, "not pinned"):
            contract.action_activate_service()
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)
        # The OLT's own choice wins over the default.
        self.olts["vsol"].key_policy = "allow"
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")

    def test_device_policy_refuses_an_unpinned_router(self):
        router_sim = self.sim("mikrotik", protocol="api-ssl")
        self.router.key_policy = "require"
        contract = self.make_contract("vsol")
        with self.assertRaisesRegex(UserError, "not pinned"):
            contract.action_activate_service()
        self.assertEqual(router_sim.connections, 0, "a connection was opened to an unpinned router")
        self.router.with_user(self.admin).action_fetch_tls_fingerprint()
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")

    def test_policy_refuses_telnet_and_the_plain_api(self):
        self.sim("huawei", protocol="telnet")
        self.olts["huawei"].key_policy = "require"
        contract = self.make_contract("huawei", with_router=False)
        with self.assertRaisesRegex(UserError, "Telnet"):
            contract.action_activate_service()
        self.router.key_policy = "require"
        vsol_contract = self.make_contract("vsol")
        with self.assertRaisesRegex(UserError, "plain API"):
            vsol_contract.action_activate_service()

    def test_unpinned_and_ignored_pins_show_on_the_form(self):
        olt = self.olts["huawei"]
        self.assertEqual(olt.key_pin_state, "unpinned")
        olt.host_key_fingerprint = BAD_PIN
        self.assertEqual(olt.key_pin_state, "pinned")
        olt.type_connection = "telnet"
        self.assertEqual(olt.key_pin_state, "ignored", "a pin over Telnet is not checked: the form says so")
        self.router.tls_fingerprint = BAD_PIN
        self.assertEqual(self.router.key_pin_state, "ignored")
        for model, record in (("silver.olt", olt), ("silver.core", self.router)):
            for user in (self.operator, self.admin):
                with self.subTest(model=model, user=user.login):
                    arch = self.env[model].with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                    self.assertIn("key_pin_state != 'ignored'", arch)
                    self.assertIn("key_pin_state != 'unpinned'", arch)
                    self.assertIn(record.with_user(user).key_pin_state, ("ignored",))

    def test_settings_carry_the_default(self):
        settings = self.env["res.config.settings"].create({"silver_require_pinned_keys": True})
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].sudo().get_param("silver_provisioning.require_pinned_keys"), "True"
        )
        self.assertTrue(self.olts["vsol"]._requires_pinned_key())
        self.assertTrue(self.router._requires_pinned_key())
