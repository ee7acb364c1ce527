import contextlib
import threading
from unittest import mock

from odoo import SUPERUSER_ID, api
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from ..models import silver_olt as silver_olt_module
from ..models import silver_provisioning_batch as batch_module
from ..models.silver_olt import OLT_LOCK_NAMESPACE
from ..models.silver_provisioning_operation import OperationHandle
from .common import SilverProvisioningCommittedCommon, SilverProvisioningCommon


class Killed(Exception):
    """The worker running a job dies between two lines (its time limit, a restart)."""


@tagged("post_install", "-at_install")
class TestProvisioningBatch(SilverProvisioningCommon):
    """Billing batches through queue_job, against the simulators: one job and one login per device."""

    def _in_service(self, platform, count=3, cut_on_olt=True, with_router=True):
        olt = self.olts[platform]
        olt.write({"is_disable_onu": cut_on_olt, "is_write_olt": True})
        onus = self.autofind(platform)[:count]
        contracts = self.env["silver.contract"]
        for onu in onus:
            contracts |= self.make_contract(platform, onu=onu, with_router=with_router, wifi=False)
        contracts.action_activate_service()
        self.assertEqual(set(contracts.mapped("state_service")), {"active"})
        return contracts

    def _logins(self, platform):
        return self.sim(platform).logins["succeeded"]

    def _batch_of(self, contracts):
        lines = self.env["silver.provisioning.batch.line"].search([("contract_id", "in", contracts.ids)])
        return lines.batch_id.sorted("id")[-1:]

    def _first_index(self, bodies, words):
        return next(index for index, body in enumerate(bodies) if words in body)

    def _suspend_and_reconnect(self, platform):
        contracts = self._in_service(platform)
        sim, router = self.sim(platform), self.sim("mikrotik")
        enabled = {c.serial_number: self.device_onus(platform)[c.serial_number]["admin_state"] for c in contracts}
        olt_logins, router_logins = self._logins(platform), self._logins("mikrotik")

        with trap_jobs() as trap:
            refused = self.env(context={})["silver.contract"]._cron_suspend_services(contracts.ids)
            self.assertEqual(refused, {})
            trap.assert_jobs_count(2)
            # Queued only: nothing is cut before the jobs run.
            self.assertEqual(set(contracts.mapped("state_service")), {"active"})
            trap.perform_enqueued_jobs()

        batch = self._batch_of(contracts)
        self.assertEqual(batch.state, "done", batch.line_ids.mapped("message"))
        self.assertEqual(set(contracts.mapped("state_service")), {"suspended"})
        for contract in contracts:
            self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "true")
            self.assertNotEqual(
                self.device_onus(platform)[contract.serial_number]["admin_state"],
                enabled[contract.serial_number],
                f"{contract.serial_number} was not disabled on the {platform} OLT",
            )
            bodies = self.logged(contract)
            self.assertLess(
                self._first_index(bodies, "Suspend PPPoE subscriber"),
                self._first_index(bodies, "Disable ONU"),
                "the router cut comes first",
            )
            self.assertIn(("suspend", "done", None), [op for op in self.operations(contract) if op[0] == "suspend"])
        self.assertEqual(self._logins(platform) - olt_logins, 1, "one login per OLT")
        self.assertEqual(self._logins("mikrotik") - router_logins, 1, "one login per router")
        self.assertEqual(batch.login_count, 2)
        self.assertEqual(batch.save_count, 1)
        saves = [body for body in self.logged(self.olts[platform]) if "Save configuration" in body]
        self.assertEqual(len(saves), 1, "one save per batch")
        self.assertTrue(sim.commands)

        # -- reconnection from the contract list's action
        with trap_jobs() as trap:
            action = contracts.with_user(self.operator).action_mass_reconnect()
            self.assertEqual(action["tag"], "display_notification")
            self.assertIn("3 contract(s) queued in 2 job(s)", action["params"]["message"])
            trap.perform_enqueued_jobs()
        self.assertEqual(set(contracts.mapped("state_service")), {"active"})
        for contract in contracts:
            self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "false")
            self.assertEqual(
                self.device_onus(platform)[contract.serial_number]["admin_state"], enabled[contract.serial_number]
            )
            bodies = self.logged(contract)
            # A reconnection brings the ONU up before the secret comes back.
            self.assertLess(
                self._first_index(bodies, "Enable ONU"), self._first_index(bodies, "Resume PPPoE subscriber")
            )
        for body in self.logged(contracts[0]):
            self.assertNoSecret(body, "a chatter message")

    def test_batch_huawei(self):
        self._suspend_and_reconnect("huawei")

    def test_batch_vsol(self):
        self._suspend_and_reconnect("vsol")

    def test_batch_zte(self):
        self._suspend_and_reconnect("zte")

    def test_batch_zte_c600(self):
        self._suspend_and_reconnect("zte_c600")

    def test_one_failure_never_stops_the_others(self):
        """An ONU the OLT refuses and a secret the router lacks: the others are cut, those two stay active."""
        contracts = self._in_service("vsol", count=3)
        router = self.sim("mikrotik")
        olt_fails, router_fails, fine = contracts
        pppoe_user = router_fails.pppoe_user
        # The OLT no longer has the ONU this contract names; the router has no such secret.
        self.env.cr.execute("UPDATE silver_contract SET onu_pon_id = 120 WHERE id = %s", (olt_fails.id,))
        self.env.cr.execute("UPDATE silver_contract SET pppoe_user = 'nobody-here' WHERE id = %s", (router_fails.id,))
        contracts.invalidate_recordset()
        enabled = self.device_onus("vsol")[router_fails.serial_number]["admin_state"]

        with trap_jobs() as trap:
            contracts._enqueue_batch("suspend")
            trap.perform_enqueued_jobs()
        batch = self._batch_of(contracts)
        lines = {line.contract_id: line for line in batch.line_ids}
        self.assertEqual(batch.state, "partial")
        self.assertEqual(fine.state_service, "suspended")
        self.assertEqual(lines[fine].state, "done")

        # The router refused: the OLT step was not even tried.
        self.assertEqual(router_fails.state_service, "active")
        self.assertEqual((lines[router_fails].router_step, lines[router_fails].olt_step), ("failed", "skipped"))
        self.assertEqual(self.device_onus("vsol")[router_fails.serial_number]["admin_state"], enabled)

        # The OLT refused after the router cut: the contract keeps its state, and what is left is said.
        self.assertEqual(olt_fails.state_service, "active")
        self.assertEqual((lines[olt_fails].router_step, lines[olt_fails].olt_step), ("done", "failed"))
        self.assertEqual(router.rows("/ppp/secret", name=olt_fails.pppoe_user)[0]["disabled"], "true")
        self.assertIn("left", lines[olt_fails].message)
        self.assertIn("left", [op[1] for op in self.operations(olt_fails) if op[0] == "suspend"])
        self.assertTrue(olt_fails.provisioning_warning)

        # A new batch converges: the router's cut is sent again (no change), the OLT's is tried again.
        self.env.cr.execute("UPDATE silver_contract SET pppoe_user = %s WHERE id = %s", (pppoe_user, router_fails.id))
        contracts.invalidate_recordset()
        with trap_jobs() as trap:
            refused = contracts._cron_suspend_services(contracts.ids)
            trap.perform_enqueued_jobs()
        self.assertEqual(refused, {}, "an already suspended contract is not a refusal")
        again = self._batch_of(contracts)
        self.assertEqual({line.contract_id: line.message for line in again.line_ids}[fine], "already suspended")
        self.assertEqual(router_fails.state_service, "suspended")
        self.assertEqual(olt_fails.state_service, "active")

    def test_killed_job_is_resumed_without_redoing(self):
        contracts = self._in_service("vsol", count=3, cut_on_olt=False)
        router = self.sim("mikrotik")
        before = self._logins("mikrotik")
        Batch = type(self.env["silver.provisioning.batch"])
        with trap_jobs() as trap:
            contracts._enqueue_batch("suspend")
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            with mock.patch.object(Batch, "_line_committed", side_effect=[None, Killed()]):
                # What was committed stays (no assertRaises: it would roll it back).
                with contextlib.suppress(Killed):
                    job.perform()
        batch = self._batch_of(contracts)
        self.assertEqual(batch.line_ids.mapped("state"), ["done", "done", "pending"])
        self.assertEqual(contracts.mapped("state_service"), ["suspended", "suspended", "active"])
        commands = len(router.commands)

        job.perform()  # the job runs again, as queue_job does after a dead worker
        self.assertEqual(batch.line_ids.mapped("state"), ["done", "done", "done"])
        self.assertEqual(set(contracts.mapped("state_service")), {"suspended"})
        self.assertEqual(self._logins("mikrotik") - before, 2, "one login per run")
        for contract in contracts:
            cuts = [body for body in self.logged(contract) if "Suspend PPPoE subscriber" in body]
            self.assertEqual(len(cuts), 1, f"{contract.name} was cut twice")
            self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "true")
        self.assertLess(len(router.commands) - commands, 10, "the second run sent only the last contract's cut")

        # A third run finds nothing to do and does not even log in.
        job.perform()
        self.assertEqual(self._logins("mikrotik") - before, 2)

    def test_killed_between_device_and_commit_carries_on_its_operation(self):
        """Killed after the router accepted the cut but before the line was committed: the re-run
        sends the cut again (no change on the device) and settles the same operation, not a second one."""
        contract = self._in_service("vsol", count=1, cut_on_olt=False)
        router = self.sim("mikrotik")
        Line = type(self.env["silver.provisioning.batch.line"])
        real_write = Line.write

        def dying_write(line, values):
            if values.get("router_step") == "done":
                raise Killed()
            return real_write(line, values)

        with trap_jobs() as trap:
            contract._enqueue_batch("suspend")
            job = trap.enqueued_jobs[0]
            with mock.patch.object(Line, "write", dying_write):
                with contextlib.suppress(Killed):
                    job.perform()
        self.assertEqual(contract.state_service, "active", "the contract's write went with the killed line")
        self.assertEqual(router.rows("/ppp/secret", name=contract.pppoe_user)[0]["disabled"], "true")
        self.assertEqual([op[:2] for op in self.operations(contract) if op[0] == "suspend"], [("suspend", "open")])

        job.perform()
        self.assertEqual(contract.state_service, "suspended")
        self.assertEqual([op[:2] for op in self.operations(contract) if op[0] == "suspend"], [("suspend", "done")])

    def test_refused_login_stops_the_batch(self):
        contracts = self._in_service("vsol", count=2)
        router = self.sim("mikrotik")
        router.faults.reject_login = True
        attempted, olt_logins = router.logins["attempted"], self._logins("vsol")
        with trap_jobs() as trap:
            contracts._enqueue_batch("suspend")
            trap.perform_enqueued_jobs()
        batch = self._batch_of(contracts)
        self.assertEqual(router.logins["attempted"] - attempted, 1, "a refused login is not tried again per contract")
        self.assertEqual(set(contracts.mapped("state_service")), {"active"})
        self.assertEqual(set(batch.line_ids.mapped("router_step")), {"failed"})
        self.assertEqual(set(batch.line_ids.mapped("olt_step")), {"skipped"})
        self.assertEqual(self._logins("vsol"), olt_logins, "nothing to do on the OLT: no login")
        self.assertEqual(batch.state, "failed")
        for message in batch.line_ids.mapped("message"):
            self.assertIn("login", message)
            self.assertNoSecret(message, "a line's result")

    def test_left_out_before_any_device(self):
        contracts = self._in_service("vsol", count=2, with_router=False)
        inactive = self.make_contract("vsol", with_router=False, onu=self.autofind("vsol")[0])
        with trap_jobs() as trap:
            refused = (contracts | inactive)._cron_suspend_services((contracts | inactive).ids)
            trap.perform_enqueued_jobs()
        self.assertEqual(list(refused), [inactive.id])
        self.assertEqual(set(contracts.mapped("state_service")), {"suspended"})
        self.assertEqual(inactive.state_service, "inactive")

    # -- review 12b -------------------------------------------------------------------
    def _perform_all(self, trap):
        """Each job once, first device first; a retry asked for is kept (what was committed stays)."""
        asked = []
        for job in sorted(trap.enqueued_jobs, key=lambda job: job.priority):
            try:
                job.perform()
            except RetryableJobError as error:
                asked.append(str(error))
        return asked

    def test_olt_busy_at_the_last_try_fails_its_lines_in_words(self):
        """A manual sync (or a poll) holds the OLT for the whole life of the OLT job: the lines are not
        left pending for ever once queue_job gives up; the router's cut is said to be left."""
        contracts = self._in_service("vsol", count=2)
        olt = self.olts["vsol"]
        Batch = type(self.env["silver.provisioning.batch"])
        # The test's own transaction holds the OLT's lock since the activations (it never
        # commits): the other session holds the batch's key under a namespace of its own.
        busy = OLT_LOCK_NAMESPACE + 1000
        with self.registry.cursor() as holder, mock.patch.object(batch_module, "OLT_LOCK_NAMESPACE", busy):
            holder.execute("SELECT pg_advisory_lock(%s, %s)", (busy, olt.id))
            with trap_jobs() as trap:
                contracts._enqueue_batch("suspend")
                asked = self._perform_all(trap)
                self.assertEqual(len(asked), 1, "a busy OLT asks for a retry while tries remain")
                self.assertIn("busy", asked[0])
                batch = self._batch_of(contracts)
                self.assertEqual(set(batch.line_ids.mapped("olt_step")), {"todo"})
                with mock.patch.object(Batch, "_last_try", return_value=True):
                    olt_job = [job for job in trap.enqueued_jobs if job.priority == 10][0]
                    olt_job.perform()
            holder.execute("SELECT pg_advisory_unlock(%s, %s)", (busy, olt.id))
        self.assertEqual(batch.state, "failed", "the batch stayed queued after the job gave up")
        self.assertEqual(set(batch.line_ids.mapped("olt_step")), {"failed"})
        self.assertEqual(set(contracts.mapped("state_service")), {"active"})
        for line in batch.line_ids:
            self.assertIn("busy", line.message)
            self.assertIn("left", line.message, "the router's cut is not said")
            self.assertIn(("suspend", "left"), [op[:2] for op in self.operations(line.contract_id)])

    def test_failed_save_is_said_on_each_contract_and_saved_by_the_rerun(self):
        """The OLT refuses its save after every line was committed: the contracts are suspended (the ONUs
        are disabled) but each says the OLT would bring them back; a re-run of the job saves."""
        contracts = self._in_service("vsol", count=2, with_router=False)
        sim = self.sim("vsol")
        sim.faults.reject_pattern = r"^write"
        with trap_jobs() as trap:
            contracts._enqueue_batch("suspend")
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
            job.perform()
        batch = self._batch_of(contracts)
        self.assertEqual(set(contracts.mapped("state_service")), {"suspended"})
        self.assertEqual(batch.save_count, 0)
        self.assertIn("could not be saved", batch.note or "")
        for line in batch.line_ids:
            self.assertIn("could not save", line.message or "", "the line does not say the save failed")
            self.assertTrue(
                any("could not save" in body for body in self.logged(line.contract_id)),
                "the contract's chatter does not say its ONU is not saved",
            )
        sim.faults.reject_pattern = None
        logins = self._logins("vsol")
        job.perform()  # queue_job's retry, or a new run of the job
        self.assertEqual(batch.save_count, 1, "the re-run did not save what the first run left unsaved")
        self.assertEqual(self._logins("vsol") - logins, 1)
        self.assertTrue(all(batch.line_ids.mapped("olt_saved")))

    def test_second_batch_over_the_same_contracts_is_done_not_failed(self):
        contracts = self._in_service("vsol", count=2)
        with trap_jobs() as trap:
            contracts._enqueue_batch("suspend")
            contracts._enqueue_batch("suspend")  # the billing's cron ran twice, or two operators
            first, second = self.env["silver.provisioning.batch"].search([], order="id desc", limit=2)[::-1]
            self.assertEqual(set(second.line_ids.mapped("state")), {"pending"})
            commands = None
            for job in sorted(trap.enqueued_jobs, key=lambda job: (job.recordset.id, job.priority)):
                if job.recordset == second and commands is None:
                    commands = len(self.sim("mikrotik").commands)
                job.perform()
        self.assertEqual(first.state, "done")
        self.assertEqual(set(contracts.mapped("state_service")), {"suspended"})
        self.assertEqual(second.state, "done", second.line_ids.mapped("message"))
        self.assertEqual(set(second.line_ids.mapped("message")), {"already suspended"})
        self.assertEqual(len(self.sim("mikrotik").commands), commands, "the second batch cut again")
        for contract in contracts:
            suspensions = [op[:2] for op in self.operations(contract) if op[0] == "suspend"]
            self.assertEqual(suspensions, [("suspend", "done")] * 2, "one per device, of the first batch only")

    def test_states_are_said_in_the_users_words(self):
        """A line's result names the service state by its label (translated), not its technical value."""
        contract = self.make_contract("vsol", with_router=False)
        self.env.cr.execute("UPDATE silver_contract SET state_service = 'suspended' WHERE id = %s", (contract.id,))
        contract.invalidate_recordset()
        field = contract._fields["state_service"]
        labels = [("inactive", "Not Connected"), ("active", "In Service"), ("suspended", "Cut Off")]
        with trap_jobs(), mock.patch.object(field, "_description_selection", return_value=labels):
            suspension = contract._enqueue_batch("suspend")
            reconnection = contract._enqueue_batch("reconnect")
        self.assertEqual(suspension.line_ids.message, "already cut off")
        self.assertEqual(reconnection.line_ids.state, "pending")
        inactive = self.make_contract("vsol", with_router=False, onu=self.autofind("vsol")[1])
        with trap_jobs(), mock.patch.object(field, "_description_selection", return_value=labels):
            self.assertEqual(inactive._enqueue_batch("suspend").line_ids.message, "the service is not connected")


@tagged("post_install", "-at_install")
class TestBatchRecovery(SilverProvisioningCommittedCommon):
    """A worker dies between the commit of a router step and the settling of its operation."""

    def test_recovery_never_takes_back_a_committed_step(self):
        sim, router = self.sim("vsol", onus=0), self.sim("mikrotik")
        pon = "0/1"
        serial = sim.add_autofind(pon=pon)["serial"]
        olt_id, _partner_id, (contract_id,) = self._setup_committed(sim, pon, [serial], prefix="CT-BREC", router=router)
        batch_ids = []
        self.addCleanup(self._committed, lambda env: env["silver.provisioning.batch"].browse(batch_ids).unlink())

        def activate(env):
            # The ONU is cut too, after the router: the contract changes state only then.
            env["silver.olt"].browse(olt_id).write({"is_disable_onu": True})
            env["silver.contract"].browse(contract_id).action_activate_service()

        self._committed(activate)
        user = self._committed(lambda env: env["silver.contract"].browse(contract_id).pppoe_user)
        real_finish = OperationHandle.finish

        def dies_before_settling(handle, state, left=False, error=False):
            if state != "done":
                return real_finish(handle, state, left=left, error=error)
            return None  # the worker is gone: the post-commit hook never ran

        def run_job():
            # A thread of its own is not a test's: commit_progress commits for real, as a worker does.
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                contract = env["silver.contract"].browse(contract_id)
                batch = env["silver.provisioning.batch"]._create_for("suspend", contract)
                batch_ids.append(batch.id)
                cr.commit()  # pylint: disable=invalid-commit  # a job's committed start, as in production
                self.assertEqual(batch.line_ids.mapped("olt_step"), ["todo"])
                batch._job_run_router(contract.core_id.id)  # the OLT's job has not run yet

        with mock.patch.object(OperationHandle, "finish", dies_before_settling):
            thread = threading.Thread(target=run_job)
            thread.start()
            thread.join(120)
        self.assertFalse(thread.is_alive())
        self.assertEqual(router.rows("/ppp/secret", name=user)[0]["disabled"], "true")
        contract = self.env["silver.contract"].browse(contract_id)
        self.assertEqual([op[:2] for op in self.operations(contract) if op[0] == "suspend"], [("suspend", "open")])
        state = self._committed(lambda env: env["silver.contract"].browse(contract_id).state_service)
        self.assertEqual(state, "active", "the contract changes with its last step only")

        self._committed(lambda env: env["silver.provisioning.operation"]._cron_recover_operations(min_age=0))
        self.assertEqual(
            router.rows("/ppp/secret", name=user)[0]["disabled"], "true", "the recovery took back a committed cut"
        )
        self.assertEqual([op[:2] for op in self.operations(contract) if op[0] == "suspend"], [("suspend", "done")])


@tagged("post_install", "-at_install")
class TestZeroTouch(SilverProvisioningCommon):
    """A scheduled discovery activates the contract waiting for the serial it sees."""

    def _enable(self, platform):
        olt = self.olts[platform]
        olt.write({"zero_touch_enabled": True, "zero_touch_user_id": self.technician.id})
        return olt

    def _run_discoveries(self, expected_jobs=1):
        with trap_jobs() as trap:
            self.assertEqual(self.env["silver.olt"]._cron_enqueue_zero_touch(), expected_jobs)
            trap.assert_jobs_count(expected_jobs)
            trap.perform_enqueued_jobs()

    def _activities(self, contract):
        return self.env["mail.activity"].search(
            [("res_model", "=", "silver.contract"), ("res_id", "=", contract.id), ("user_id", "=", self.technician.id)]
        )

    def test_off_by_default(self):
        self.make_contract("vsol")
        self.assertFalse(self.olts["vsol"].zero_touch_enabled)
        attempted = self.sim("vsol").logins["attempted"]
        self._run_discoveries(expected_jobs=0)
        self.assertEqual(self.sim("vsol").logins["attempted"], attempted)

    def test_waiting_serial_is_activated(self):
        for platform in ("vsol", "huawei"):
            with self.subTest(platform=platform):
                contract = self.make_contract(platform)
                olt = self._enable(platform)
                self._run_discoveries()
                self.assertEqual(contract.state_service, "active")
                self.assertIn(contract.serial_number, self.device_onus(platform))
                self.assertTrue(self.sim("mikrotik").rows("/ppp/secret", name=contract.pppoe_user))
                self.assertFalse(contract.zero_touch_flag)
                self.assertEqual(len(self._activities(contract)), 1, "the technician is told")
                self.assertIn("activated", olt.zero_touch_last_message)
                # Not due again before its interval: no second job.
                self._run_discoveries(expected_jobs=0)
                olt.zero_touch_enabled = False

    def test_serial_on_another_port_is_flagged_not_activated(self):
        onu = self.autofind("vsol")[0]
        right = self.port_for("vsol", onu["pon"])
        wrong = self.olts["vsol"].port_ids - right
        contract = self.make_contract("vsol", onu=onu, olt_port_id=wrong[0].id)
        olt = self._enable("vsol")
        self._run_discoveries()
        self.assertEqual(contract.state_service, "inactive")
        self.assertNotIn(contract.serial_number, self.device_onus("vsol"))
        self.assertTrue(contract.zero_touch_flag)
        self.assertIn(right.display_name, contract.zero_touch_message)
        self.assertEqual(len(self._activities(contract)), 1)
        # The next discovery sees it there again: flagged still, told once.
        olt.zero_touch_next_at = False
        self._run_discoveries()
        self.assertTrue(contract.zero_touch_flag)
        self.assertEqual(len(self._activities(contract)), 1)

    def test_refused_activation_is_not_tried_again_on_every_discovery(self):
        """The OLT refuses the registration: told once, and the next discoveries do not log in, send the
        plan and take it back again (a log on the contract each time)."""
        contract = self.make_contract("vsol")
        sim = self.sim("vsol")
        sim.faults.reject_pattern = r"^onu (add )?\d+ profile"
        olt = self._enable("vsol")
        self._run_discoveries()
        self.assertEqual(contract.state_service, "inactive")
        self.assertIn("failed", contract.zero_touch_message)
        self.assertEqual(len(self._activities(contract)), 1)
        tried = len([body for body in self.logged(contract) if "Provision ONU" in body])
        self.assertTrue(tried)
        attempted = sim.logins["attempted"]

        olt.zero_touch_next_at = False
        self._run_discoveries()
        self.assertEqual(sim.logins["attempted"] - attempted, 1, "the refused activation was tried again")
        self.assertEqual(len([body for body in self.logged(contract) if "Provision ONU" in body]), tried)
        self.assertEqual(len(self._activities(contract)), 1)

        # A serial corrected on the contract is tried again.
        sim.faults.reject_pattern = None
        other = self.autofind("vsol")[1]
        contract.write({"serial_number": other["serial"], "olt_port_id": self.port_for("vsol", other["pon"]).id})
        olt.zero_touch_next_at = False
        self._run_discoveries()
        self.assertEqual(contract.state_service, "active")

    def test_a_session_taken_between_discovery_and_activation_is_not_a_failure(self):
        """A poll takes the OLT in the instant the discovery's commit frees it: the activation waits
        for the next discovery instead of failing as "busy" and telling the technician so."""
        contract = self.make_contract("vsol")
        olt = self._enable("vsol")
        Olt = type(olt)
        real = Olt._try_lock_for_session
        calls = []

        def taken_after_discovery(record):
            # In a test the transaction never commits (the lock is never freed): the other
            # session's hold is what the lock answers after the discovery's.
            calls.append(record.id)
            return real(record) if len(calls) == 1 else False

        with (
            mock.patch.object(Olt, "_try_lock_for_session", taken_after_discovery),
            mock.patch.object(silver_olt_module, "LOCK_WAIT_SECONDS", 0.5),
        ):
            self._run_discoveries()
        self.assertEqual(contract.state_service, "inactive")
        self.assertFalse(contract.zero_touch_message, "a busy OLT was reported as a failed activation")
        self.assertFalse(self._activities(contract))
        olt.zero_touch_next_at = False
        self._run_discoveries()
        self.assertEqual(contract.state_service, "active")

    def test_nobody_to_notify_falls_back_to_the_alarm_responsible(self):
        contract = self.make_contract("vsol")
        olt = self.olts["vsol"]
        olt.write({"zero_touch_enabled": True, "zero_touch_user_id": False, "alarm_user_id": self.admin.id})
        self._run_discoveries()
        self.assertEqual(contract.state_service, "active")
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "silver.contract"), ("res_id", "=", contract.id)]
        )
        self.assertEqual(activities.user_id, self.admin, "nobody was told of the zero-touch activation")
