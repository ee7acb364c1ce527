"""Devices and database agree after any failure, the COMMIT's included.

These tests commit for real (a request's transaction is a cursor of its own
here), so that the COMMIT can fail as it does in production: a deferred
constraint trigger refuses it after every device step and the final write
went through.
"""

import threading
import time
import unittest
from unittest import mock

import psycopg2
from odoo import SUPERUSER_ID, api
from odoo.addons.silver_provisioning.models import silver_contract as contract_module
from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import SilverProvisioningCommittedCommon


@tagged("post_install", "-at_install")
class TestOperationsAcrossCommit(SilverProvisioningCommittedCommon):
    def _refuse_commit_of(self, contract_id):
        """A deferred constraint trigger: the COMMIT of an activation of this contract fails."""
        name = f"silver_test_refuse_commit_{contract_id}"

        def create(env):
            env.cr.execute("SET LOCAL lock_timeout = '10s'")
            env.cr.execute(f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.id = {int(contract_id)} AND NEW.state_service = 'active' THEN
                        RAISE EXCEPTION 'refused at commit (test trigger)';
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE CONSTRAINT TRIGGER {name} AFTER UPDATE ON silver_contract
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {name}();
            """)

        def drop(env):
            env.cr.execute("SET LOCAL lock_timeout = '10s'")
            env.cr.execute(f"DROP TRIGGER IF EXISTS {name} ON silver_contract; DROP FUNCTION IF EXISTS {name}();")

        self._committed(create)
        self.addCleanup(self._committed, drop)

    def _committed_contract(self, prefix):
        sim = self.sim("vsol", onus=0)
        router = self.sim("mikrotik")
        pon = "0/1"
        serial = sim.add_autofind(pon=pon)["serial"]
        _olt_id, _partner_id, (contract_id,) = self._setup_committed(sim, pon, [serial], prefix=prefix, router=router)
        return contract_id, serial

    def _read(self, contract_id, fields):
        return self._committed(lambda env: env["silver.contract"].browse(contract_id).read(fields)[0])

    def _activate_in_request(self, contract_id, after=None):
        """Activate as a request does: its own transaction, committed at the end."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["silver.contract"].browse(contract_id).action_activate_service()
            if after:
                after(cr)

    def test_activation_settles_done_after_its_commit(self):
        contract_id, serial = self._committed_contract("CT-OPDONE")
        self._activate_in_request(contract_id)
        contract = self.env["silver.contract"].browse(contract_id)
        self.assertEqual(self.operations(contract), [("activate", "done", None)])
        self.assertIn(serial, self.device_onus("vsol"))

    def test_failure_at_commit_puts_the_devices_back(self):
        """The devices and the final write succeeded, the COMMIT did not: ONU and secret are taken back."""
        contract_id, serial = self._committed_contract("CT-OPCOMMIT")
        self._refuse_commit_of(contract_id)
        with self.assertRaisesRegex(psycopg2.Error, "refused at commit"):
            self._activate_in_request(contract_id)
        self.assertEqual(self._read(contract_id, ["state_service"])["state_service"], "inactive")
        self.assertNotIn(serial, self.device_onus("vsol"), "the ONU stayed on the OLT of an inactive contract")
        self.assertEqual(self.sim("mikrotik").rows("/ppp/secret"), [], "the secret stayed on the router")
        contract = self.env["silver.contract"].browse(contract_id)
        self.assertEqual(self.operations(contract)[-1][:2], ("activate", "undone"))
        messages = self.logged(contract)
        self.assertTrue(any("could not be recorded" in body and "put back" in body for body in messages), messages)
        for body in messages:
            self.assertNoSecret(body, "a chatter message")

    def test_failure_at_commit_says_what_is_left(self):
        """Taking back fails too (the router refuses): the contract says, in words, what is on the devices."""
        contract_id, serial = self._committed_contract("CT-OPLEFT")
        self._refuse_commit_of(contract_id)
        router = self.sim("mikrotik")

        def router_refuses_removal(_cr):
            router.faults.reject_pattern = r"^/ppp/secret/remove"

        with self.assertRaises(psycopg2.Error):
            self._activate_in_request(contract_id, after=router_refuses_removal)
        self.assertNotIn(serial, self.device_onus("vsol"), "the ONU was taken back")
        self.assertEqual(len(router.rows("/ppp/secret")), 1)
        contract = self.env["silver.contract"].browse(contract_id)
        kind, state, left = self.operations(contract)[-1]
        self.assertEqual((kind, state), ("activate", "left"))
        self.assertIn("ct-opleft0", left)
        warning = self._committed(lambda env: env["silver.contract"].browse(contract_id).provisioning_warning)
        self.assertIn("ct-opleft0", warning or "", "the contract does not say what is left on the router")
        self.assertTrue(any("Left:" in body for body in self.logged(contract)))

    def test_recovery_settles_an_activation_whose_hooks_never_ran(self):
        """The worker died after the devices answered: the recovery job reads them back and takes them back."""
        contract_id, serial = self._committed_contract("CT-OPCRASH")

        def die(cr):
            # No hook runs, nothing is committed: as when the process is killed.
            cr.postcommit.clear()
            cr.postrollback.clear()
            cr.rollback()

        self._activate_in_request(contract_id, after=die)
        self.assertIn(serial, self.device_onus("vsol"))
        contract = self.env["silver.contract"].browse(contract_id)
        self.assertEqual(self.operations(contract)[-1][:2], ("activate", "open"))
        with mock.patch.object(contract_module, "RECOVERY_MIN_AGE_SECONDS", 0):
            warning = self._committed(lambda env: env["silver.contract"].browse(contract_id).provisioning_warning)
        self.assertIn("did not finish", warning or "")
        self.assertIn(serial, warning)
        states = self._committed(lambda env: env["silver.provisioning.operation"]._cron_recover_operations(min_age=0))
        self.assertIn("undone", states.values())
        self.assertNotIn(serial, self.device_onus("vsol"))
        self.assertEqual(self.sim("mikrotik").rows("/ppp/secret"), [])
        self.assertEqual(self.operations(contract)[-1][:2], ("activate", "undone"))

    def test_recovery_leaves_a_running_operation_alone(self):
        contract_id, _serial = self._committed_contract("CT-OPLIVE")
        started, release = threading.Event(), threading.Event()
        errors = []

        def activate_and_wait():
            try:
                self._activate_in_request(contract_id, after=lambda _cr: (started.set(), release.wait(60)))
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)

        thread = threading.Thread(target=activate_and_wait)
        thread.start()
        try:
            self.assertTrue(started.wait(120))
            states = self._committed(
                lambda env: env["silver.provisioning.operation"]._cron_recover_operations(min_age=0)
            )
            self.assertEqual(set(states.values()), {"open"}, "the recovery took over a running operation")
        finally:
            release.set()
            thread.join(120)
        self.assertEqual(errors, [])
        contract = self.env["silver.contract"].browse(contract_id)
        self.assertEqual(self.operations(contract)[-1][:2], ("activate", "done"))


@tagged("post_install", "-at_install")
class TestOneSessionPerOlt(SilverProvisioningCommittedCommon):
    def test_suspend_during_a_manual_sync_waits_and_the_sync_runs_once(self):
        """The sync holds the OLT: the suspend waits its turn; the job never fails to serialize or repeats."""
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serials = [sim.add_autofind(pon=pon)["serial"] for _n in range(2)]
        olt_id, _partner_id, contract_ids = self._setup_committed(sim, pon, serials, prefix="CT-SYNCLOCK")

        def prepare(env):
            olt = env["silver.olt"].browse(olt_id)
            olt.write({"is_disable_onu": True})
            env["silver.vlan"].create({"vlanid": 200, "name": "new", "olt_id": olt_id})
            env["silver.contract"].browse(contract_ids).action_activate_service()

        self._committed(prepare)
        sim.faults.max_sessions = 1
        sim.faults.latency = 0.15
        commands_before = len(sim.commands)
        sync_result, sync_errors = {}, []

        def run_sync():
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {"job_uuid": "test-sync-lock"})
                    sync_result.update(env["silver.olt"].browse(olt_id)._job_sync_olt_manual("vlan", {"vlan": 200}))
            except Exception as error:  # noqa: BLE001 - reported below
                sync_errors.append(error)

        thread = threading.Thread(target=run_sync)
        thread.start()
        deadline = time.monotonic() + 60
        while not any("service-port" in command for command in sim.commands[commands_before:]):
            self.assertLess(time.monotonic(), deadline, "the sync never started")
            time.sleep(0.05)

        def suspend():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                retrying(lambda: env["silver.contract"].browse(contract_ids[0]).action_suspend_service(), env)

        # The suspend's first attempt finds its contract changed by the sync once it gets the
        # OLT: PostgreSQL refuses it before any device is touched, and Odoo tries it again.
        with (
            mock.patch("odoo.addons.silver_provisioning.models.silver_olt.LOCK_WAIT_SECONDS", 120),
            mute_logger("odoo.sql_db", "odoo.service.model"),
        ):
            suspend()
        thread.join(120)
        self.assertEqual(sync_errors, [])
        self.assertEqual(list(sync_result.values()), [{"ok": True, "error": ""}] * 2)
        self.assertEqual(sim.max_concurrent_sessions, 1, "two sessions were open on the OLT at once")
        pushed = [c for c in sim.commands[commands_before:] if c.startswith("no onu") and "service-port" in c]
        self.assertEqual(len(pushed), 2, f"the change was pushed more than once: {pushed}")
        rows = self._committed(
            lambda env: env["silver.contract"].browse(contract_ids).read(["state_service", "vlan_id"])
        )
        self.assertEqual([row["state_service"] for row in rows], ["suspended", "active"])
        self.assertEqual({row["vlan_id"][1] for row in rows} if rows[0]["vlan_id"] else set(), {"new"})

    def test_a_rerun_of_the_sync_job_pushes_nothing_twice(self):
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serials = [sim.add_autofind(pon=pon)["serial"] for _n in range(2)]
        olt_id, _partner_id, contract_ids = self._setup_committed(sim, pon, serials, prefix="CT-SYNCRERUN")
        self._committed(lambda env: env["silver.contract"].browse(contract_ids).action_activate_service())

        def run(env):
            job_env = env(context={"job_uuid": "test-sync-rerun"})
            return job_env["silver.olt"].browse(olt_id)._job_sync_olt_manual("traffic_profile", {"profile": "2"})

        self._committed(run)
        pushed_once = [command for command in sim.commands if "traffic-limit" in command]
        # queue_job runs the same job again (its transaction failed after the OLT took the change).
        again = self._committed(run)
        self.assertEqual([command for command in sim.commands if "traffic-limit" in command], pushed_once)
        self.assertTrue(all(item["ok"] for item in again.values()))


@tagged("post_install", "-at_install")
class TestEveryOperationTakesTheOltLock(SilverProvisioningCommittedCommon):
    def test_busy_olt_refuses_every_operation_before_any_session(self):
        sim = self.sim("vsol")
        olt = self.olts["vsol"]
        contract = self.make_contract("vsol")
        checks = {
            "activate": ("inactive", lambda c: c.action_activate_service()),
            "suspend": ("active", lambda c: c.action_suspend_service()),
            "reconnect": ("suspended", lambda c: c.action_reconnect_service()),
            "terminate": ("active", lambda c: c.action_terminate_service()),
            "status": ("active", lambda c: c.action_read_onu_status()),
            "discovery": ("inactive", lambda c: c.olt_id.action_discover_onus()),
        }
        olt.is_disable_onu = True
        with self.registry.cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
            self.assertTrue(other.fetchone()[0])
            try:
                with mock.patch("odoo.addons.silver_provisioning.models.silver_olt.LOCK_WAIT_SECONDS", 0):
                    for name, (state, action) in checks.items():
                        contract.write({"state_service": state, "onu_pon_id": 1})
                        with self.subTest(operation=name), unittest.TestCase.assertRaises(self, Exception) as caught:
                            action(contract.with_user(self.admin))
                        self.assertIn("busy", str(caught.exception))
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, olt.id))
        self.assertEqual(sim.logins["attempted"], 0, "a session was opened on a busy OLT")
