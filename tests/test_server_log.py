"""No secret in a server log line, database refusals included.

PostgreSQL's DETAIL of a CHECK or NOT NULL refusal is the whole row (the PPPoE
password with it), and Odoo's SQL logger prints the refused statement with its
parameters at ERROR: the provisioning actions keep their secrets out of both.
"""

import logging
import unittest

import psycopg2
from odoo.exceptions import UserError
from odoo.modules.registry import Registry
from odoo.tests import get_db_name, tagged

from .common import SECRETS, SilverProvisioningCommon

#: contracts whose PPPoE user is one of these are refused by the database in that service state
REFUSALS = {"refuse-activate": "active", "refuse-suspend": "suspended", "refuse-edit": "inactive"}


def _alter(sql):
    # Committed on a connection of its own, while no test transaction holds the table.
    with Registry(get_db_name()).cursor() as cr:
        cr.execute("SET LOCAL lock_timeout = '10s'")
        cr.execute(sql)


@tagged("post_install", "-at_install")
class TestSecretsOutOfServerLog(SilverProvisioningCommon):
    @classmethod
    def setUpClass(cls):
        # Before the class's transaction exists (it would hold the table), removed after it is gone.
        checks = " AND ".join(
            f"(pppoe_user IS DISTINCT FROM '{user}' OR state_service IS DISTINCT FROM '{state}')"
            for user, state in REFUSALS.items()
        )
        _alter(f"ALTER TABLE silver_contract ADD CONSTRAINT silver_test_refusal CHECK ({checks}) NOT VALID")
        cls.addClassCleanup(_alter, "ALTER TABLE silver_contract DROP CONSTRAINT IF EXISTS silver_test_refusal")
        super().setUpClass()

    def _captured(self, action):
        """Run ``action``; every line the server logs meanwhile, and the operator's error."""
        with (
            self.assertLogs("odoo", level=logging.INFO) as logs,
            unittest.TestCase.assertRaises(self, UserError) as caught,
        ):
            action()
        return logs.output, str(caught.exception)

    def test_check_refusal_of_the_final_write_logs_no_secret(self):
        contract = self.make_contract("vsol", pppoe_user="refuse-activate")
        lines, error = self._captured(contract.action_activate_service)
        refused = [line for line in lines if "silver_test_refusal" in line]
        self.assertTrue(refused, "the refused statement was not logged at all: nothing was tested")
        for line in lines:
            for secret in SECRETS:
                self.assertNotIn(secret, line, "a secret reached the server log")
        self.assertIn("put back", error)
        self.assertNoSecret(error, "the operator's error")
        self.assertNotIn(contract.serial_number, self.device_onus("vsol"))

    def test_refusal_of_a_suspension_logs_no_secret(self):
        contract = self.make_contract("vsol", pppoe_user="refuse-suspend")
        contract.action_activate_service()
        lines, error = self._captured(contract.action_suspend_service)
        self.assertTrue([line for line in lines if "silver_test_refusal" in line])
        for line in lines:
            for secret in SECRETS:
                self.assertNotIn(secret, line, "a secret reached the server log")
        self.assertNoSecret(error, "the operator's error")

    def test_refusal_of_an_ordinary_edit_logs_no_secret(self):
        """Outside any provisioning action too: a form saving a new password that PostgreSQL refuses."""
        contract = self.make_contract("vsol", with_router=False)
        self.env.flush_all()
        new_password = "N3w-Pppoe-Pass"
        with (
            self.assertLogs("odoo", level=logging.INFO) as logs,
            self.assertRaises(psycopg2.Error),
            self.env.cr.savepoint(),
        ):
            contract.write({"pppoe_user": "refuse-edit", "pppoe_password": new_password})
            self.env.flush_all()
        self.assertTrue([line for line in logs.output if "silver_test_refusal" in line])
        for line in logs.output:
            self.assertNotIn(new_password, line, "a secret reached the server log")
            self.assertNotIn("Failing row", line)
