import threading
import unittest
from unittest import mock

from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.silver_provisioning.drivers import validation
from odoo.addons.silver_provisioning.models import silver_olt as silver_olt_module
from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import (
    SilverProvisioningCommittedCommon,
    SilverProvisioningCommon,
)


@tagged("post_install", "-at_install")
class TestCommittedOperations(SilverProvisioningCommittedCommon):
    """What only shows with data committed for real and one connection per worker."""

    def test_double_activation_keeps_the_onu(self):
        """Two requests activate one contract at once: the second never undoes the first's ONU."""
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serial = sim.add_autofind(pon=pon)["serial"]
        sim.faults.slow_pattern = r"^onu add"
        sim.faults.slow_extra = 1.0
        _olt_id, _partner_id, (contract_id,) = self._setup_committed(sim, pon, [serial])
        start = threading.Barrier(2)
        errors = []

        def activate():
            try:
                with self.registry.cursor() as cr:
                    contract = api.Environment(cr, SUPERUSER_ID, {})["silver.contract"].browse(contract_id)
                    contract.state_service  # noqa: B018 - the request has read the contract already
                    start.wait(timeout=60)
                    contract.action_activate_service()
            except Exception as error:  # noqa: BLE001 - checked below
                errors.append(error)

        threads = [threading.Thread(target=activate) for _n in range(2)]
        # The second request's lock fails to serialize (Odoo retries such a request): logged as an error.
        with mute_logger("odoo.sql_db"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
        self.assertFalse(any(thread.is_alive() for thread in threads), "an activation never finished")
        self.assertEqual(len(errors), 1, errors)
        state = self._committed(lambda env: env["silver.contract"].browse(contract_id).read(["state_service"]))
        self.assertEqual(state[0]["state_service"], "active")
        self.assertEqual(
            list(self.device_onus("vsol")), [serial], "the second activation removed the ONU the first one installed"
        )

    def test_sync_result_is_written_after_committed_progress(self):
        """The job's final report does not collide with the progress committed on the OLT row."""
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serial = sim.add_autofind(pon=pon)["serial"]
        olt_id, _partner_id, contract_ids = self._setup_committed(sim, pon, [serial])
        self._committed(lambda env: env["silver.contract"].browse(contract_ids).action_activate_service())
        self._committed(lambda env: env["silver.olt"].browse(olt_id).write({"sync_state": "queued"}))

        # As queue_job runs it: a transaction of its own, committed at the end.
        with self.registry.cursor() as cr:
            olt = api.Environment(cr, SUPERUSER_ID, {})["silver.olt"].browse(olt_id)
            result = olt._job_sync_olt_manual("vlan", {"vlan": 200})
        self.assertEqual(list(result.values()), [{"ok": True, "error": ""}])
        row = self._committed(lambda env: env["silver.olt"].browse(olt_id).read(["sync_state", "sync_progress"]))
        self.assertEqual((row[0]["sync_state"], row[0]["sync_progress"]), ("done", 100.0))

    def test_busy_olt_refuses_activation_instead_of_hanging(self):
        """A manual sync holds the OLT: the operator is told, nothing is sent."""
        contract = self.make_contract("vsol", with_router=False).with_user(self.operator)
        olt = self.olts["vsol"]
        with self.registry.cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
            self.assertTrue(other.fetchone()[0])
            try:
                with (
                    mock.patch.object(silver_olt_module, "LOCK_WAIT_SECONDS", 0),
                    unittest.TestCase.assertRaises(self, UserError) as caught,
                ):
                    contract.action_activate_service()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
        self.assertIn("busy", str(caught.exception))
        self.assertEqual(contract.state_service, "inactive")
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)


@tagged("post_install", "-at_install")
class TestReviewFixes(SilverProvisioningCommon):
    def test_operator_cannot_redirect_olt_connection(self):
        olt = self.olts["vsol"]
        for user in (self.operator, self.technician):
            for values in (
                {"ip": "10.66.66.66"},
                {"port_ssh": "2222"},
                {"port_telnet": "2323"},
                {"type_connection": "telnet"},
                {"platform": "huawei"},
                {"host_key_fingerprint": "SHA256:x"},
                {"driver_options": "{}"},
            ):
                with self.subTest(user=user.login, values=values), self.assertRaises(AccessError):
                    olt.with_user(user).write(values)
        self.assertEqual(olt.ip, "127.0.0.1")
        with self.assertRaises(AccessError):
            olt.with_user(self.operator).read(["host_key_fingerprint"])
        olt.with_user(self.admin).write({"ip": "10.0.0.2", "driver_options": "{}"})
        self.assertEqual(olt.ip, "10.0.0.2")

    def test_operator_cannot_redirect_router_connection(self):
        for values in ({"ip": "10.66.66.66"}, {"port": 8729}, {"api_tls": True}, {"username": "other"}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                self.router.with_user(self.operator).write(values)
        self.router.with_user(self.admin).write({"ip": "10.0.0.3"})
        self.assertEqual(self.router.ip, "10.0.0.3")

    def test_plain_user_cannot_run_service_actions(self):
        contract = self.make_contract("vsol", with_router=False)
        for action in (
            "action_activate_service",
            "action_suspend_service",
            "action_reconnect_service",
            "action_read_onu_status",
        ):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(contract.with_user(self.plain_user), action)()
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)

    def test_admin_and_superuser_run_the_actions(self):
        """The billing's cron runs as admin or superuser, without a browser session."""
        contract = self.make_contract("vsol", with_router=False)
        contract.with_user(self.env.ref("base.user_admin")).action_activate_service()
        self.assertEqual(contract.state_service, "active")
        with trap_jobs() as trap:
            self.assertEqual(self.env["silver.contract"].sudo()._cron_suspend_services(contract.ids), {})
            trap.perform_enqueued_jobs()
        self.assertEqual(contract.state_service, "suspended")

    def test_waiting_onu_count_for_users_outside_the_groups(self):
        self.sim("vsol")
        self.olts["vsol"].action_discover_onus()
        olt = self.olts["vsol"].with_user(self.plain_user)
        self.assertEqual(olt.discovered_onu_count, len(self.autofind("vsol")))
        olt.get_views([(False, "form")])

    def test_failed_save_on_suspend_puts_the_devices_back(self):
        contract = self.make_contract("vsol")
        contract.action_activate_service()
        self.olts["vsol"].write({"is_write_olt": True, "is_disable_onu": True})
        sim, router = self.sim("vsol"), self.sim("mikrotik")
        before = (sim.state()["onus"], router.state()["/ppp/secret"])
        sim.faults.reject_pattern = r"^write"
        with unittest.TestCase.assertRaises(self, UserError):
            contract.action_suspend_service()
        self.assertEqual((sim.state()["onus"], router.state()["/ppp/secret"]), before)
        self.assertEqual(contract.state_service, "active")

    def _refuse_write_of(self, contract, state):
        original_write = type(contract).write

        def refusing_write(records, vals):
            if vals.get("state_service") == state:
                raise UserError("refused")  # pylint: disable=translation-required
            return original_write(records, vals)

        return mock.patch.object(type(contract), "write", refusing_write)

    def test_refused_write_on_suspend_puts_the_devices_back(self):
        contract = self.make_contract("vsol")
        contract.action_activate_service()
        self.olts["vsol"].is_disable_onu = True
        sim, router = self.sim("vsol"), self.sim("mikrotik")
        before = (sim.state()["onus"], router.state()["/ppp/secret"])
        with self._refuse_write_of(contract, "suspended"), unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_suspend_service()
        self.assertIn("put back", str(caught.exception))
        self.assertEqual((sim.state()["onus"], router.state()["/ppp/secret"]), before)
        self.assertEqual(contract.state_service, "active")

    def test_refused_write_on_terminate_puts_the_onu_back(self):
        contract = self.make_contract("vsol", with_router=False)
        contract.action_activate_service()
        with self._refuse_write_of(contract, "terminated"), unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_terminate_service()
        self.assertIn("put back", str(caught.exception))
        onu = self.device_onus("vsol").get(contract.serial_number)
        self.assertTrue(onu, "the ONU stayed removed")
        self.assertEqual(onu["id"], contract.onu_pon_id)
        self.assertEqual(contract.state_service, "active")

    def test_unique_index_on_legacy_duplicates_only_warns(self):
        first = self.make_contract("vsol", with_router=False)
        second = self.make_contract("vsol", with_router=False, serial_number="GPON00000002")
        self.env.cr.execute("DROP INDEX silver_contract_onu_on_port_uniq")
        (first | second).write({"state_service": "active", "onu_pon_id": 7})
        self.env.flush_all()
        with self.assertLogs("odoo.addons.silver_provisioning.models.silver_contract", "WARNING"):
            self.env["silver.contract"].init()
        self.env.cr.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'silver_contract_onu_on_port_uniq'")
        self.assertFalse(self.env.cr.fetchone())

    def test_assign_wizard_refuses_a_live_contract(self):
        contract = self.make_contract("vsol", with_router=False)
        contract.action_activate_service()
        wizard = (
            self.env["silver.onu.assign.wizard"]
            .with_user(self.technician)
            .create(
                {
                    "olt_id": self.olts["vsol"].id,
                    "contract_id": contract.id,
                    "olt_port_id": contract.olt_port_id.id,
                    "serial_number": "GPON00000099",
                }
            )
        )
        with self.assertRaisesRegex(UserError, contract.display_name):
            wizard.action_assign()
        self.assertNotEqual(contract.serial_number, "GPON00000099")

    def test_assign_wizard_refuses_a_serial_in_service(self):
        holder = self.make_contract("vsol", with_router=False)
        holder.action_activate_service()
        other = self.make_contract("vsol", with_router=False, serial_number=False)
        serial = validation.normalize_serial(holder.serial_number)
        for typed in (serial, validation.serial_to_hex(serial)):
            wizard = (
                self.env["silver.onu.assign.wizard"]
                .with_user(self.technician)
                .create(
                    {
                        "olt_id": self.olts["vsol"].id,
                        "contract_id": other.id,
                        "olt_port_id": holder.olt_port_id.id,
                        "serial_number": typed,
                    }
                )
            )
            with self.subTest(typed=typed), self.assertRaisesRegex(UserError, holder.display_name):
                wizard.action_assign()
        self.assertFalse(other.serial_number)

    def test_wifi_error_names_the_wifi_field(self):
        contract = self.make_contract("vsol", with_router=False)
        contract.wifi_line_ids.password = "short"
        with self.assertRaisesRegex(UserError, "WiFi"):
            contract.action_activate_service()
