"""The operator's screens in a real browser: Odoo tours in headless Chromium.

Where they cannot run, they say so as every tour of the module does (tests/tours_common.py).
"""

import os
import unittest
from unittest import mock

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from . import tours_common
from .common import SilverProvisioningCommon
from .tours_common import TourCase


@tagged("post_install", "-at_install")
class TestToursNotRun(TransactionCase):
    """Tours that cannot run are skipped and said once, as an ERROR (it fails the run)."""

    def test_said_once_as_an_error_then_skipped(self):
        with mock.patch.object(tours_common, "_reported", []):
            with self.assertLogs(tours_common.__name__, "ERROR") as said, self.assertRaises(unittest.SkipTest):
                tours_common.tours_not_run("no Chromium found")
            self.assertEqual(said.output, [f"ERROR:{tours_common.__name__}:TOURS NOT RUN: no Chromium found"])
            with self.assertNoLogs(tours_common.__name__), self.assertRaises(unittest.SkipTest) as skipped:
                tours_common.tours_not_run("no Chromium found")
            self.assertIn("TOURS NOT RUN", str(skipped.exception))

    def test_odoo_skipping_a_tour_is_not_a_pass(self):
        """Odoo raises SkipTest itself when Chromium does not start in time (a loaded machine)."""

        class Probe(TourCase):
            def runTest(self):
                pass

        probe = Probe()
        with (
            mock.patch.object(tours_common, "_reported", ["said already"]),
            mock.patch.object(
                tours_common.HttpCase,
                "start_tour",
                side_effect=unittest.SkipTest("Failed to detect chrome devtools port"),
            ),
        ):
            with self.assertRaises(unittest.SkipTest) as skipped:
                probe.start_tour("/web", "some_tour", login="admin")
        self.assertIn("TOURS NOT RUN: Failed to detect chrome devtools port", str(skipped.exception))


class TourCommon(SilverProvisioningCommon, TourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms(["silver_provisioning"], ["es_ES"], overwrite=True)
        cls.operator_es = new_test_user(
            cls.env,
            login="sp_oper_es",
            name="Olga Operadora",
            groups="silver_provisioning.group_provisioning_operator",
            lang="es_ES",
        )
        for user in (cls.operator, cls.admin, cls.operator_es):
            user.password = user.login

    def tour(self, url, name, login):
        self.start_tour(url, name, login=login)


@tagged("post_install", "-at_install")
class TestDeviceFailureTour(TourCommon):
    """An unreachable OLT: the warning dialog with the device's words, no traceback, the chatter refreshed."""

    def _failing_contract(self):
        contract = self.make_contract("vsol", with_router=False)
        self.sim("vsol").stop()
        return contract

    def _run(self, name, login):
        contract = self._failing_contract()
        url = f"/web#id={contract.id}&model=silver.contract&view_type=form"
        with mute_logger("odoo.http"):
            self.tour(url, name, login)
        self.assertEqual(contract.state_service, "inactive")

    def test_device_failure_dialog_en(self):
        self._run("silver_provisioning_device_failure_en", self.operator.login)

    def test_device_failure_dialog_es(self):
        self._run("silver_provisioning_device_failure_es", self.operator_es.login)


@tagged("post_install", "-at_install")
class TestManualSyncTour(TourCommon):
    """A manual sync queued from the wizard, its progress and result on the OLT form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin_es = new_test_user(
            cls.env,
            login="sp_admin_es",
            name="Nadia Administradora",
            groups="silver_provisioning.group_network_admin",
            lang="es_ES",
        )
        cls.admin_es.password = cls.admin_es.login

    def _run(self, name, login):
        platform = "vsol"
        sim = self.sim(platform, onus=1)
        contract = self.make_contract(platform, onu=sim.state()["autofind"][0], with_router=False)
        contract.action_activate_service()
        olt = self.olts[platform]
        url = f"/web#id={olt.id}&model=silver.olt&view_type=form"
        # The job runs inside the request that queues it: the browser sees its end state.
        with mock.patch.dict(os.environ, {"QUEUE_JOB__NO_DELAY": "1"}), mute_logger("odoo.addons.queue_job.utils"):
            self.tour(url, name, login)
        self.assertEqual(olt.sync_state, "done")

    def test_manual_sync_en(self):
        self._run("silver_provisioning_manual_sync_en", self.admin.login)

    def test_manual_sync_es(self):
        self._run("silver_provisioning_manual_sync_es", self.admin_es.login)
