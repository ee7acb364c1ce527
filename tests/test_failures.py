import html
import unittest

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SilverProvisioningCommon

#: a command in the middle of each platform's activation plan
MID_PLAN = {
    "huawei": r"^service-port",
    "vsol": r"tcont",
    "zte": r"^wan-ip",
    "zte_c600": r"^wan-ip",
}


@tagged("post_install", "-at_install")
class TestFailures(SilverProvisioningCommon):
    """A failed operation: the log is kept, the contract and the devices are as they were."""

    def _fail_mid_activation(self, platform):
        contract = self.make_contract(platform).with_user(self.operator)
        sim = self.sim(platform)
        router = self.sim("mikrotik")
        before = {
            "device": sim.state()["onus"],
            "autofind": sorted(onu["serial"] for onu in sim.state()["autofind"]),
            "router": router.state()["/ppp/secret"],
        }
        fields = ["state_service", "onu_pon_id", "olt_state", "date_active", "serial_number", "olt_port_id"]
        values = contract.read(fields)[0]
        sim.faults.reject_pattern = MID_PLAN[platform]
        # Not Odoo's assertRaises: it would roll back to a savepoint, hiding what the
        # contract looks like right after the failed call.
        with unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_activate_service()
        message = str(caught.exception)
        self.assertIn("Provision ONU failed", message)
        self.assertNotIn("Traceback", message)
        self.assertNoSecret(message, "the error shown to the operator")

        contract.invalidate_recordset()
        self.assertEqual(contract.read(fields)[0], values, "the failed activation changed the contract")
        self.assertEqual(sim.state()["onus"], before["device"], "the failed activation left the OLT changed")
        # The OLT re-discovers the ONU it let go of (at the end of its auto-find list).
        self.assertEqual(sorted(onu["serial"] for onu in sim.state()["autofind"]), before["autofind"])
        self.assertEqual(router.state()["/ppp/secret"], before["router"], "the router was touched")

        # The message was committed on its own cursor: it is there for everyone to see.
        messages = self.logged(contract)
        self.assertEqual(len(messages), 1, messages)
        self.assertIn("FAILED", messages[0])
        # The device's own words open the message, as they open the operator's error.
        device_words = message.split(f"failed on {self.olts[platform].name}: ", 1)[1].split("\n", 1)[0]
        first_line = messages[0].split("</p>", 1)[0]
        self.assertIn(device_words, html.unescape(first_line))
        # The plan engine's words ("rolling back") or the convergence engine's (its last line: "undone").
        self.assertRegex(messages[0], "rolling back|taking back|undone: read back", "the transcript shows the undo")
        self.assertNoSecret(messages[0], "the failure message")

    def test_failure_mid_activation_huawei(self):
        self._fail_mid_activation("huawei")

    def test_failure_mid_activation_vsol(self):
        self._fail_mid_activation("vsol")

    def test_failure_mid_activation_zte(self):
        self._fail_mid_activation("zte")

    def test_failure_mid_activation_zte_c600(self):
        self._fail_mid_activation("zte_c600")

    def test_router_failure_undoes_the_olt(self):
        """The ONU is provisioned, then the router refuses: the ONU is removed again."""
        contract = self.make_contract("vsol")
        sim = self.sim("vsol")
        router = self.sim("mikrotik")
        before = sim.state()["onus"]
        router.faults.reject_pattern = r"^/ppp/secret/add"
        with unittest.TestCase.assertRaises(self, UserError):
            contract.action_activate_service()
        self.assertEqual(sim.state()["onus"], before, "the ONU stayed on the OLT after the router failed")
        self.assertEqual(contract.state_service, "inactive")
        messages = self.logged(contract)
        self.assertTrue(any("Remove ONU" in body for body in messages), messages)
        self.assertTrue(any("FAILED" in body and "PPPoE" in body for body in messages), messages)

    def test_database_refusal_undoes_the_devices(self):
        """The database refuses the result (an ONU id another contract holds): the ONU is removed again."""
        sim = self.sim("vsol")
        onu = self.autofind("vsol")[0]
        squatter = self.make_contract("vsol", onu=onu, with_router=False)
        # Recorded by hand as active on ONU id 1, which the device does not know about.
        squatter.write({"state_service": "active", "onu_pon_id": 1, "serial_number": "GPON00000001"})
        contract = self.make_contract("vsol", onu=onu, with_router=False)
        before = sim.state()["onus"]
        # PostgreSQL's refusal is logged by Odoo at ERROR level: expected here.
        with mute_logger("odoo.sql_db"), unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_activate_service()
        self.assertIn("put back", str(caught.exception))
        self.assertEqual(sim.state()["onus"], before)
        self.assertEqual(contract.state_service, "inactive")
        self.assertTrue(any("Remove ONU" in body for body in self.logged(contract)))

    def test_failed_message_survives_the_rollback(self):
        """Odoo rolls the request back after a UserError; the log was committed apart from it."""
        contract = self.make_contract("zte", with_router=False)
        self.sim("zte").faults.reject_pattern = r"^onu \d+ type"
        with self.assertRaises(UserError):  # rolls back to a savepoint, as a request would
            contract.action_activate_service()
        self.assertEqual(len(self.logged(contract)), 1)

    def test_unreachable_device(self):
        contract = self.make_contract("vsol", with_router=False)
        self.sim("vsol").stop()
        with unittest.TestCase.assertRaises(self, UserError) as caught:
            contract.action_activate_service()
        self.assertIn("OLT vsol", str(caught.exception))
        self.assertEqual(contract.state_service, "inactive")
        self.assertIn("FAILED", self.logged(contract)[0])

    def test_long_transcript_is_attached(self):
        """Bulk operations print a lot: the message keeps the head, the file has all of it."""
        olt = self.olts["vsol"]
        self.sim("vsol", onus=60)
        olt.action_discover_onus()
        messages = self.logged(olt)
        self.assertEqual(len(messages), 1)
        self.assertIn("shortened", messages[0])
        attachments = self.logged_attachments(olt)
        self.assertEqual(len(attachments), 1)
        self.assertGreater(len(attachments[0].splitlines()), 40)
        self.assertIn(self.autofind("vsol")[-1]["serial"], attachments[0])
        self.assertNoSecret(attachments[0], "a transcript attachment")
