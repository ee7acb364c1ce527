from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import OLT_PLATFORMS, SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestContractService(SilverProvisioningCommon):
    """Activate, suspend, reconnect and terminate, on every platform, checked on the devices."""

    def _lifecycle(self, platform):
        contract = self.make_contract(platform).with_user(self.operator)
        serial = contract.serial_number
        sim = self.sim(platform)
        router = self.sim("mikrotik")

        # -- activate
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")
        onu = self.device_onus(platform).get(serial)
        self.assertTrue(onu, f"{serial} is not registered on the {platform} simulator")
        self.assertEqual(contract.onu_pon_id, onu["id"])
        self.assertNotIn(serial, [entry["serial"] for entry in sim.state()["autofind"]])
        self.assertEqual(contract.olt_state, "active")
        self.assertTrue(contract.onu_online)
        self.assertTrue(contract.date_active)
        secrets = router.rows("/ppp/secret", name=contract.pppoe_user)
        self.assertEqual(len(secrets), 1, "the PPPoE secret was not created on the router")
        messages = self.logged(contract)
        self.assertTrue(any("Provision ONU" in body for body in messages), messages)
        self.assertTrue(any("Create PPPoE subscriber" in body for body in messages), messages)
        provision = next(body for body in messages if "Provision ONU" in body)
        self.assertIn("Olga Operator", provision, "the message says who asked")
        self.assertIn(self.olts[platform].name, provision, "the message says which device")
        self.assertIn('class="o_silver_transcript"', provision, "the transcript is a block of its own")

        # -- suspend (twice: the second changes nothing)
        before = len(self.logged(contract))
        contract.action_suspend_service()
        self.assertEqual(contract.state_service, "suspended")
        self.assertTrue(contract.date_cut)
        self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "true")
        self.assertGreater(len(self.logged(contract)), before)
        after_first = len(self.logged(contract))
        contract.action_suspend_service()
        self.assertEqual(contract.state_service, "suspended")
        self.assertEqual(len(self.logged(contract)), after_first, "a repeated suspend touched the devices")

        # -- reconnect (twice)
        contract.action_reconnect_service()
        self.assertEqual(contract.state_service, "active")
        self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "false")
        contract.action_reconnect_service()
        self.assertEqual(contract.state_service, "active")

        # -- terminate: administrators only
        with self.assertRaises(AccessError):
            contract.action_terminate_service()
        contract.with_user(self.admin).action_terminate_service()
        self.assertEqual(contract.state_service, "terminated")
        self.assertNotIn(serial, self.device_onus(platform))
        self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user), [])
        for body in self.logged(contract):
            self.assertNoSecret(body, "a chatter message")

    def test_lifecycle_huawei(self):
        self._lifecycle("huawei")

    def test_lifecycle_vsol(self):
        self._lifecycle("vsol")

    def test_lifecycle_zte(self):
        self._lifecycle("zte")

    def test_lifecycle_zte_c600(self):
        self._lifecycle("zte_c600")

    def test_suspend_on_the_olt(self):
        """With is_disable_onu the ONU itself is disabled, and enabled again on reconnection."""
        for platform in OLT_PLATFORMS:
            with self.subTest(platform=platform):
                self.olts[platform].is_disable_onu = True
                contract = self.make_contract(platform, with_router=False)
                contract.action_activate_service()
                serial = contract.serial_number
                enabled = self.device_onus(platform)[serial]["admin_state"]
                contract.action_suspend_service()
                disabled = self.device_onus(platform)[serial]["admin_state"]
                self.assertNotEqual(disabled, enabled, "the ONU was not disabled on the OLT")
                contract.action_reconnect_service()
                self.assertEqual(self.device_onus(platform)[serial]["admin_state"], enabled)

    def test_activation_over_telnet(self):
        self.sim("huawei", protocol="telnet")
        contract = self.make_contract("huawei", with_router=False)
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")
        self.assertIn(contract.serial_number, self.device_onus("huawei"))

    def test_router_suspension_methods(self):
        """Each router method cuts its own way, and reconnection restores exactly that."""
        for method in ("profile", "address_list"):
            with self.subTest(method=method):
                self.router.suspend_method = method
                contract = self.make_contract("vsol", is_ip_public=True, ip_public=f"203.0.113.{10 + len(method)}")
                router = self.sim("mikrotik")
                if method == "profile" and not router.rows("/ppp/profile", name=self.router.suspend_profile):
                    # The suspension profile is the router's own configuration, as the operator set it up.
                    router.add("/ppp/profile", name=self.router.suspend_profile, rate_limit="64k/64k")
                contract.action_activate_service()
                before = router.rows("/ppp/secret", name=contract.pppoe_user)[0]
                contract.action_suspend_service()
                cut = router.state()
                if method == "profile":
                    self.assertEqual(
                        router.rows("/ppp/secret", name=contract.pppoe_user)[0]["profile"], self.router.suspend_profile
                    )
                else:
                    self.assertTrue(
                        [
                            row
                            for row in cut["/ip/firewall/address-list"]
                            if row.get("list") == self.router.suspend_address_list
                            and row.get("address") == contract.ip_public
                        ]
                    )
                contract.action_reconnect_service()
                after = router.rows("/ppp/secret", name=contract.pppoe_user)[0]
                self.assertEqual(after["profile"], before["profile"])
                self.assertEqual(after.get("disabled"), before.get("disabled"))
                self.assertFalse(
                    [
                        row
                        for row in router.state()["/ip/firewall/address-list"]
                        if row.get("address") == contract.ip_public
                    ]
                )

    def test_suspend_from_cron(self):
        """The billing's cron calls in without a browser: plain env, no context."""
        contract = self.make_contract("vsol")
        contract.action_activate_service()
        cron_env = self.env(context={})
        with trap_jobs() as trap:
            failed = cron_env["silver.contract"]._cron_suspend_services(contract.ids)
            trap.perform_enqueued_jobs()
        self.assertEqual(failed, {})
        self.assertEqual(contract.state_service, "suspended")

    def test_read_status_stores_rx_power(self):
        contract = self.make_contract("zte")
        contract.action_activate_service()
        device_rx = self.device_onus("zte")[contract.serial_number]["rx_power"]
        self.assertAlmostEqual(contract.onu_rx_power, device_rx, places=2)
        self.assertTrue(contract.onu_online)
        self.sim("zte").set_run_state(contract.serial_number, "offline")
        contract.action_read_onu_status()
        self.assertFalse(contract.onu_online)
        self.assertEqual(contract.olt_state, "down")

    def test_invalid_input_names_the_field_and_sends_nothing(self):
        contract = self.make_contract("huawei", serial_number="NOT-A-SERIAL")
        sim = self.sim("huawei")
        with self.assertRaisesRegex(UserError, "ONU Serial"):
            contract.action_activate_service()
        contract.serial_number = False
        with self.assertRaisesRegex(UserError, "ONU Serial"):
            contract.action_activate_service()
        contract.serial_number = self.autofind("huawei")[0]["serial"]
        contract.vlan_id = False
        with self.assertRaisesRegex(UserError, "VLAN"):
            contract.action_activate_service()
        contract.vlan_id = self.olts["huawei"].vlan_ids[:1]
        contract.wifi_line_ids.name = "has space"
        with self.assertRaisesRegex(UserError, "WiFi SSID"):
            contract.action_activate_service()
        self.assertEqual(sim.logins["attempted"], 0, "the OLT was contacted for a request refused beforehand")
        self.assertEqual(contract.state_service, "inactive")

    def test_state_guards(self):
        contract = self.make_contract("vsol", with_router=False)
        with self.assertRaisesRegex(UserError, "cannot be suspended"):
            contract.action_suspend_service()
        with self.assertRaisesRegex(UserError, "cannot be reconnected"):
            contract.action_reconnect_service()
