from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import OLT_PASSWORD, SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestManualSync(SilverProvisioningCommon):
    def _active_contracts(self, platform, count):
        contracts = self.env["silver.contract"]
        sim = self.sim(platform, onus=count)
        for onu in list(sim.state()["autofind"])[:count]:
            contract = self.make_contract(platform, onu=onu, with_router=False)
            contract.action_activate_service()
            contracts |= contract
        return contracts

    def test_sync_is_queued_on_the_olt_channel(self):
        olt = self.olts["vsol"]
        self.sim("vsol")
        # A VLAN change needs a VLAN the OLT has.
        self.env["silver.vlan"].create({"vlanid": 200, "name": "new", "olt_id": olt.id})
        wizard_form = Form(self.env["silver.olt.sync.wizard"].with_user(self.admin).with_context(default_olt_id=olt.id))
        wizard_form.kind = "vlan"
        wizard_form.vlan = 200
        wizard = wizard_form.save()
        with trap_jobs() as trap:
            wizard.action_confirm()
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                olt._job_sync_olt_manual,
                args=("vlan", {"vlan": 200}),
                properties={"channel": f"root.silver_provisioning.olt_{olt.id}"},
            )
        self.assertEqual(olt.sync_state, "queued")
        self.assertEqual(self.sim("vsol").logins["attempted"], 0, "queuing must not touch the OLT")

    def test_sync_job_reports_per_contract(self):
        platform = "zte"
        contracts = self._active_contracts(platform, 2)
        olt = self.olts[platform]
        # A contract the OLT does not know (its ONU was removed by hand): its line fails, the others pass.
        stray = contracts[1]
        self.sim(platform).device.remove_onu(self.olts[platform]._onu_ref(stray).pon, stray.onu_pon_id)
        with trap_jobs() as trap:
            olt.with_user(self.admin).action_sync_olt_manual("traffic_profile", {"profile": "10"})
            trap.perform_enqueued_jobs()
        self.assertEqual(olt.sync_state, "partial")
        self.assertEqual(olt.sync_progress, 100.0)
        self.assertIn(contracts[0].name, olt.sync_summary)
        self.assertIn(stray.name, olt.sync_summary)
        self.assertIn("FAILED", olt.sync_summary)
        self.assertIn("1 of 2", olt.sync_summary)
        self.assertTrue(any("Manual sync" in body for body in self.logged(olt)))

    def test_sync_all_ok(self):
        contracts = self._active_contracts("vsol", 2)
        olt = self.olts["vsol"]
        vlan_200 = self.env["silver.vlan"].create({"vlanid": 200, "name": "new", "olt_id": olt.id})
        result = olt._job_sync_olt_manual("vlan", {"vlan": 200})
        self.assertEqual(result, {contract.name: {"ok": True, "error": ""} for contract in contracts})
        self.assertEqual(olt.sync_state, "done")
        self.assertEqual(contracts.vlan_id, vlan_200, "the contracts follow their ONUs to the new VLAN")

    def test_unsupported_change_is_refused_before_queuing(self):
        self.sim("vsol")
        with trap_jobs() as trap, self.assertRaisesRegex(UserError, "DNS"):
            self.olts["vsol"].action_sync_olt_manual("dns", {"primary": "9.9.9.9"})
        trap.assert_jobs_count(0)

    def test_unreachable_olt_retries_the_job_later(self):
        """Nothing could be changed: the whole job runs again later, and the attempt is logged."""
        contracts = self._active_contracts("vsol", 2)
        olt = self.olts["vsol"]
        self.sim("vsol").stop()
        before = olt.sync_state
        with self.assertRaises(RetryableJobError):
            olt._job_sync_olt_manual("vlan", {"vlan": 200})
        self.assertEqual(olt.sync_state, before, "no result is reported for a job that will run again")
        self.assertEqual(set(contracts.mapped("vlan_id.vlanid")), {100})
        log = self.logged(olt)
        self.assertTrue(log and "connection refused" in log[-1], log[-1:] if log else "no log message")

    def test_busy_olt_retries_the_job_later(self):
        """Another session holds the OLT (another worker, another server): the job waits its turn.

        Nothing in this test's transaction may take the OLT's lock first: the other
        connection would wait for this transaction forever.
        """
        olt = self.olts["vsol"]
        self.sim("vsol")
        with self.registry.cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
            self.assertTrue(other.fetchone()[0])
            try:
                with self.assertRaises(RetryableJobError):
                    olt._job_sync_olt_manual("vlan", {"vlan": 200})
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
        self.assertEqual(self.sim("vsol").logins["attempted"], 0, "the job opened a session on a busy OLT")

    def test_bad_sync_input_names_the_field(self):
        self.sim("vsol")
        with self.assertRaisesRegex(UserError, "VLAN"):
            self.olts["vsol"].action_sync_olt_manual("vlan", {"vlan": 5000})
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)


@tagged("post_install", "-at_install")
class TestAccessRights(SilverProvisioningCommon):
    def test_operator_cannot_read_credentials(self):
        olt = self.olts["huawei"].with_user(self.operator)
        for field in ("password", "secret_olt", "username"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                olt.read([field])
        with self.assertRaises(AccessError):
            self.router.with_user(self.operator).read(["password"])
        self.assertEqual(self.olts["huawei"].with_user(self.admin).password, OLT_PASSWORD)

    def test_technician_cannot_read_credentials(self):
        with self.assertRaises(AccessError):
            self.olts["vsol"].with_user(self.technician).read(["password"])

    def test_operator_cannot_run_manual_sync(self):
        self.sim("vsol")
        with self.assertRaises(AccessError):
            self.olts["vsol"].with_user(self.operator).action_sync_olt_manual("dns", {"primary": "9.9.9.9"})
        with self.assertRaises(AccessError):
            self.env["silver.olt.sync.wizard"].with_user(self.operator).create({"olt_id": self.olts["vsol"].id})
        with self.assertRaises(AccessError):
            self.olts["vsol"].with_user(self.technician).action_sync_olt_manual("dns", {"primary": "9.9.9.9"})

    def test_operator_cannot_pin_host_keys(self):
        with self.assertRaises(AccessError):
            self.olts["vsol"].with_user(self.operator).action_fetch_host_key()

    def test_operator_activates_without_seeing_credentials(self):
        contract = self.make_contract("vsol").with_user(self.operator)
        contract.action_activate_service()
        self.assertEqual(contract.state_service, "active")

    def test_discovered_onus_read_only_for_operators(self):
        self.sim("vsol")
        self.olts["vsol"].action_discover_onus()
        record = self.env["silver.olt.discovered.onu"].search([], limit=1).with_user(self.operator)
        self.assertTrue(record.serial_number)
        with self.assertRaises(AccessError):
            record.write({"is_assigned": True})

    def test_plain_user_cannot_see_discovered_onus(self):
        with self.assertRaises(AccessError):
            self.env["silver.olt.discovered.onu"].with_user(self.plain_user).search([])

    def test_forms_open_for_every_group(self):
        """Each group gets the forms; the credentials are not even in an operator's form."""
        for user in (self.operator, self.technician, self.admin):
            for model, views in (
                ("silver.olt", ["form", "list"]),
                ("silver.core", ["form"]),
                ("silver.contract", ["form", "list", "search"]),
                ("silver.olt.discovered.onu", ["form", "list", "search"]),
            ):
                with self.subTest(user=user.login, model=model):
                    result = self.env[model].with_user(user).get_views([(False, view) for view in views])
                    arch = result["views"]["form"]["arch"] if "form" in views else ""
                    if model == "silver.olt":
                        self.assertEqual('name="password"' in arch, user == self.admin)
                        self.assertEqual('name="action_open_sync_wizard"' in arch, user == self.admin)
                        self.assertEqual('name="action_discover_onus"' in arch, user != self.operator)
                    if model == "silver.contract":
                        self.assertIn('name="action_activate_service"', arch)
                        self.assertEqual('name="action_terminate_service"' in arch, user == self.admin)

    def test_groups_imply_each_other(self):
        self.assertTrue(self.admin.has_group("silver_provisioning.group_provisioning_technician"))
        self.assertTrue(self.admin.has_group("silver_provisioning.group_provisioning_operator"))
        self.assertTrue(self.technician.has_group("silver_provisioning.group_provisioning_operator"))
        self.assertFalse(self.operator.has_group("silver_provisioning.group_provisioning_technician"))


@tagged("post_install", "-at_install")
class TestHostKey(SilverProvisioningCommon):
    def test_fetch_and_pin(self):
        sim = self.sim("huawei")
        olt = self.olts["huawei"].with_user(self.admin)
        action = olt.action_fetch_host_key()
        self.assertEqual(olt.host_key_fingerprint, sim.host_key_fingerprint)
        self.assertIn(sim.host_key_fingerprint, action["params"]["message"])
        self.assertEqual(sim.logins["attempted"], 0, "reading the host key must not log in")

    def test_wrong_pinned_key_refuses_the_session(self):
        contract = self.make_contract("huawei", with_router=False)
        self.olts["huawei"].host_key_fingerprint = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        with self.assertRaisesRegex(UserError, "host key"):
            contract.action_activate_service()
        self.assertEqual(self.sim("huawei").logins["attempted"], 0, "a password was sent to an unknown host")
        self.assertEqual(contract.state_service, "inactive")


@tagged("post_install", "-at_install")
class TestSecrets(SilverProvisioningCommon):
    """Device passwords, PPPoE and WiFi keys never reach a message, an error or the server log."""

    def test_no_secret_anywhere(self):
        errors = []
        with self.assertLogs("odoo.addons.silver_provisioning", level="DEBUG") as logs:
            for platform in ("huawei", "vsol", "zte", "zte_c600"):
                contract = self.make_contract(platform)
                contract.action_activate_service()
                contract.action_suspend_service()
                contract.action_reconnect_service()
                failing = self.make_contract(platform, onu=self.autofind(platform)[0])
                self.sim(platform).faults.reject_pattern = r"(wan|ipconfig|ssid|service-port)"
                try:
                    failing.action_activate_service()
                except UserError as error:
                    errors.append(str(error))
                self.sim(platform).faults.reject_pattern = None
            self.olts["vsol"].action_discover_onus()
        self.assertEqual(len(errors), 4, "every platform refused the faulty activation")
        for error in errors:
            self.assertNoSecret(error, "an error shown to the operator")
        for line in logs.output:
            self.assertNoSecret(line, "the server log")
        with self.registry.cursor() as cr:
            cr.execute("SELECT body FROM mail_message WHERE id > %s", (self._first_message_id,))
            bodies = [body for (body,) in cr.fetchall()]
            cr.execute("SELECT COALESCE(old_value_char, '') || COALESCE(new_value_char, '') FROM mail_tracking_value")
            bodies += [value for (value,) in cr.fetchall()]
        bodies += [
            body for body in self.env["mail.message"].search([("id", ">", self._first_message_id)]).mapped("body")
        ]
        self.assertGreater(len(bodies), 20)
        for body in bodies:
            self.assertNoSecret(str(body), "a chatter message")
        for platform in ("huawei", "vsol"):
            for text in self.logged_attachments(self.olts[platform]):
                self.assertNoSecret(text, "a transcript attachment")
