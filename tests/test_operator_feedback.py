import html
import json
import re
import unittest

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.silver_olt_sync_ui import SYNC_PROGRESS
from ..models.silver_provisioning_log_mixin import DeviceOperationError
from .common import SilverProvisioningCommon

#: the class name the web client's error dialog registry maps (static/src/js/device_error_dialog.js)
DEVICE_ERROR = "odoo.addons.silver_provisioning.models.silver_provisioning_log_mixin.DeviceOperationError"


@tagged("post_install", "-at_install")
class TestDeviceErrorDialog(SilverProvisioningCommon):
    """A device failure reaches the web client as the class its warning dialog is mapped to,
    with the device's words, what was done, and the chatter to reload."""

    def _activate_failing(self, contract):
        with unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_activate_service()
        return caught.exception

    def test_refused_connection_says_nothing_changed(self):
        contract = self.make_contract("vsol", with_router=False).with_user(self.operator)
        self.sim("vsol").stop()
        error = self._activate_failing(contract)
        self.assertIsInstance(error, DeviceOperationError)
        self.assertEqual(f"{type(error).__module__}.{type(error).__name__}", DEVICE_ERROR)
        self.assertEqual(error.outcome, "unchanged")
        self.assertIn("Nothing was changed on the device.", str(error))
        self.assertNotIn("undone", str(error))
        self.assertEqual(error.context["silver_thread"], {"model": "silver.contract", "id": contract.id})
        # The chatter says the same as the dialog, not that something was undone.
        message = self.logged(contract)[0]
        self.assertIn("Nothing was changed on the device.", message)
        self.assertNotIn("undone", message)

    def test_unexpected_fault_before_sending_says_nothing_changed(self):
        """A fault of ours (not the device's) with nothing sent: 'nothing changed', not 'left: unknown'."""
        contract = self.make_contract("vsol", with_router=False)
        olt = contract.olt_id
        driver = olt._provisioning_driver()

        def broken(_driver):
            raise ValueError("a bug of ours")

        # The traceback goes to the server log (masked), as an ERROR: a fault of ours.
        with (
            self.assertLogs(DeviceOperationError.__module__, "ERROR"),
            self.assertRaises(DeviceOperationError) as caught,
        ):
            contract._execute_with_logging("Read ONU status", driver, olt, broken)
        self.assertEqual(caught.exception.outcome, "unchanged")
        self.assertIn("Nothing was changed on the device.", str(caught.exception))
        self.assertNotIn("Left on the device", str(caught.exception))
        self.assertNotIn("Left on the device", self.logged(contract)[0])

    def test_router_refusal_is_one_message_with_its_undo(self):
        contract = self.make_contract("vsol")
        self.sim("mikrotik").faults.reject_pattern = r"^/ppp/secret/add"
        error = self._activate_failing(contract)
        self.assertIsInstance(error, DeviceOperationError)
        self.assertEqual(error.outcome, "undone")
        self.assertIn("put back", str(error))
        self.assertEqual(error.context["silver_thread"]["id"], contract.id)
        messages = self.logged(contract)
        self.assertEqual(len(messages), 1, messages)
        body = messages[0]
        # The failure opens the message; the undo of the ONU is inside it, marked as undo.
        self.assertTrue(body.startswith("<p><b>FAILED</b>"), body[:200])
        self.assertIn("o_silver_undo", body)
        self.assertIn("Undo: Remove ONU", body)
        self.assertLess(body.index("Provision ONU"), body.index("Undo: Remove ONU"))


@tagged("post_install", "-at_install")
class TestTranscriptRendering(SilverProvisioningCommon):
    """Transcripts in the chatter that Odoo's mail quoting neither folds nor hides."""

    def test_activation_transcript_is_not_folded(self):
        contract = self.make_contract("zte")
        contract.action_activate_service()
        messages = self.logged(contract)
        self.assertEqual(len(messages), 1, "one message per operation")
        body = messages[0]
        self.assertNotIn("data-o-mail-quote", body, "Odoo folded part of the transcript as a quoted e-mail")
        text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
        self.assertFalse([line for line in text.splitlines() if line.lstrip().startswith(">")])
        self.assertIn('class="o_silver_tx_send"', body)
        self.assertIn('class="o_silver_tx_recv"', body)
        self.assertIn('class="o_silver_transcript"', body)
        # Router results in words, never Python's dict text.
        self.assertNotIn("{'", html.unescape(body))
        self.assertIn(contract.pppoe_user, body)
        self.assertNoSecret(body, "the activation message")

    def test_result_words_keep_their_labels_where_the_login_is_a_word_of_them(self):
        """The OLT's login is 'admin': the result's 'admin state' stays, the login stays hidden;
        a secret ending like a value ('...enable', 'enabled') does not eat the value."""
        contract = self.make_contract("vsol", with_router=False, pppoe_password="zz-enable")
        contract.action_activate_service()
        self.assertEqual(contract.olt_id.username, "admin")
        contract.action_read_onu_status()
        body = html.unescape(self.logged(contract)[-1])
        self.assertIn("admin state: enabled", body)
        self.assertNotIn("[login] state", body, "the label told which word is the login")
        self.assertIn("as [login]", body, "the login itself is still masked in the transcript")

    def test_answers_are_not_bare_timings(self):
        olt = self.olts["vsol"]
        self.sim("vsol", onus=3)
        olt.action_discover_onus()
        body = self.logged(olt)[0]
        self.assertNotIn("data-o-mail-quote", body)
        text = html.unescape(re.sub(r"<[^>]+>", "\n", body))
        self.assertFalse([line for line in text.splitlines() if re.fullmatch(r"\s*\[\d+ ms\]\s*", line)])

    def test_attachment_named_by_record_operation_and_time(self):
        olt = self.olts["vsol"]
        self.sim("vsol", onus=60)
        olt.action_discover_onus()
        with self.registry.cursor() as cr:
            cr.execute("SELECT name FROM ir_attachment WHERE res_model = 'silver.olt' AND res_id = %s", (olt.id,))
            names = [name for (name,) in cr.fetchall()]
        self.assertTrue(names)
        self.assertRegex(
            names[-1], rf"^{re.escape(olt.display_name)} - Discover ONUs - \d{{4}}-\d\d-\d\d \d{{6}}\.txt$"
        )
        text = self.logged_attachments(olt)[0]
        self.assertNotRegex(text, r"(?m)^>")


@tagged("post_install", "-at_install")
class TestOnuStatusQuality(SilverProvisioningCommon):
    """An ONU status says 'unknown' or 'stale' when it is: never an unmeasured 0.00 dBm."""

    def test_failed_read_marks_the_status_stale(self):
        contract = self.make_contract("vsol", with_router=False)
        contract.action_activate_service()
        action = contract.action_read_onu_status()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(contract.onu_status_quality, "read")
        self.sim("vsol").stop()
        action = contract.action_read_onu_status()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("stale", action["params"]["message"])
        self.assertEqual(contract.onu_status_quality, "stale")
        self.assertFalse(contract.onu_online)
        self.assertIn("stale", contract.onu_status_summary)

    def test_rx_power_not_measured_is_not_zero(self):
        contract = self.make_contract("vsol", with_router=False)
        values = contract._status_values(None)
        self.assertEqual(values["onu_status_quality"], "unknown")
        self.assertFalse(values["onu_rx_power_read"])
        contract.write(values)
        self.assertNotIn("0.00", contract.onu_status_summary)
        self.assertIn("unknown", contract.onu_status_summary)


@tagged("post_install", "-at_install")
class TestOperatorFeedback(SilverProvisioningCommon):
    """Every action says what it did."""

    def test_discovery_counts_found_and_new(self):
        olt = self.olts["vsol"].with_user(self.technician)
        self.sim("vsol", onus=3)
        action = olt.action_discover_onus()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("3 ONU(s) waiting found, 3 of them new", action["params"]["message"])
        self.assertEqual(action["params"]["next"]["res_model"], "silver.olt.discovered.onu")
        again = olt.action_discover_onus()
        self.assertIn("3 ONU(s) waiting found, 0 of them new", again["params"]["message"])

    def test_service_actions_confirm_what_they_did(self):
        contract = self.make_contract("vsol", with_router=False).with_user(self.operator)
        action = contract.action_activate_service()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Activate service done; service", action["params"]["message"])
        self.assertIn(contract.display_name, action["params"]["message"])
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        suspended = contract.action_suspend_service()
        self.assertIn("Suspend service done", suspended["params"]["message"])

    def test_host_key_confirmation_shows_the_fingerprint(self):
        sim = self.sim("huawei")
        olt = self.olts["huawei"].with_user(self.admin)
        action = olt.action_preview_host_key()
        wizard = self.env[action["res_model"]].with_user(self.admin).browse(action["res_id"])
        self.assertEqual(wizard.fingerprint, sim.host_key_fingerprint)
        self.assertFalse(olt.host_key_fingerprint, "previewing the key must not pin it")
        wizard.action_pin()
        self.assertEqual(olt.host_key_fingerprint, sim.host_key_fingerprint)
        self.assertEqual(sim.logins["attempted"], 0, "reading the host key must not log in")


@tagged("post_install", "-at_install")
class TestSyncScreens(SilverProvisioningCommon):
    """The manual sync as an administrator sees it: words, refusals before the device, live progress."""

    def _active_contracts(self, platform, count):
        contracts = self.env["silver.contract"]
        sim = self.sim(platform, onus=count)
        for onu in list(sim.state()["autofind"])[:count]:
            contract = self.make_contract(platform, onu=onu, with_router=False)
            contract.action_activate_service()
            contracts |= contract
        return contracts

    def _bus_messages(self, since):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT message FROM bus_bus WHERE id > %s AND message::jsonb->>'type' = %s ORDER BY id",
                (since, SYNC_PROGRESS),
            )
            rows = [json.loads(message)["payload"] for (message,) in cr.fetchall()]
            cr.execute("DELETE FROM bus_bus WHERE id > %s", (since,))
        return rows

    def _last_bus_id(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT COALESCE(MAX(id), 0) FROM bus_bus")
            return cr.fetchone()[0]

    def test_wizard_offers_only_what_the_platform_can_do(self):
        olt = self.olts["vsol"]
        action = olt.with_user(self.admin).action_open_sync_wizard()
        self.assertEqual(action["name"], f"Manual Sync of {olt.display_name}")
        Wizard = self.env["silver.olt.sync.wizard"].with_user(self.admin).with_context(**action["context"])
        kinds = dict(Wizard.fields_get(["kind"])["kind"]["selection"])
        self.assertEqual(set(kinds), {"traffic_profile", "vlan"}, "DNS is refused by every platform")

    def test_vlan_the_olt_lacks_is_refused_before_the_device(self):
        olt = self.olts["vsol"]
        self.sim("vsol")
        with self.assertRaisesRegex(UserError, r"^VLAN: .* has no VLAN 3999"):
            olt.with_user(self.admin).action_sync_olt_manual("vlan", {"vlan": 3999})
        self.assertEqual(self.sim("vsol").logins["attempted"], 0)

    def test_description_in_words(self):
        olt = self.olts["vsol"]
        self.sim("vsol")
        with trap_jobs():
            olt.with_user(self.admin).action_sync_olt_manual("traffic_profile", {"profile": "P100"})
        self.assertEqual(olt.sync_description, "speed profile P100")

    def test_progress_goes_out_on_the_bus_and_vlan_change_is_logged_on_contracts(self):
        contracts = self._active_contracts("vsol", 2)
        olt = self.olts["vsol"]
        self.env["silver.vlan"].create({"vlanid": 201, "name": "moved", "olt_id": olt.id})
        since = self._last_bus_id()
        olt._job_sync_olt_manual("vlan", {"vlan": 201})
        payloads = [payload for payload in self._bus_messages(since) if payload["olt_id"] == olt.id]
        self.assertTrue(payloads, "no progress reached the bus")
        self.assertEqual(payloads[-1]["state"], "done")
        self.assertIn("running", [payload["state"] for payload in payloads])
        for contract in contracts:
            self.assertEqual(contract.vlan_id.vlanid, 201)
            self.assertTrue(any("moved to VLAN 201" in body for body in self.logged(contract)), contract.name)

    def test_retry_is_shown(self):
        olt = self.olts["vsol"]
        self._active_contracts("vsol", 1)
        self.sim("vsol").stop()
        since = self._last_bus_id()
        with self.assertRaises(RetryableJobError):
            olt._job_sync_olt_manual("traffic_profile", {"profile": "P100"})
        payloads = [payload for payload in self._bus_messages(since) if payload["olt_id"] == olt.id]
        self.assertEqual(payloads[-1]["state"], "retrying")
        self.assertTrue(payloads[-1]["message"])
