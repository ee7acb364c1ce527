from unittest import mock

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.tests import tagged

from .common import SilverProvisioningCommon


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
                try:
                    job.perform()
                except Killed:
                    pass  # what was committed stays (no assertRaises: it would roll it back)
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
                try:
                    job.perform()
                except Killed:
                    pass
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
