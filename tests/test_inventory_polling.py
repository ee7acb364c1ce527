import datetime

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.silver_provisioning.models.silver_olt import OLT_LOCK_NAMESPACE
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .inventory_common import InventoryCommon

UNREACHABLE = "silver_provisioning.mail_activity_olt_unreachable"


@tagged("post_install", "-at_install")
class TestPolling(InventoryCommon):
    def test_cron_queues_one_job_per_due_device_on_its_channel(self):
        Olt, Core = self.env["silver.olt"], self.env["silver.core"]
        (Olt.search([]) - self.olt).write({"inventory_poll_enabled": False})
        self.olt.inventory_poll_interval = 30
        now = datetime.datetime(2026, 3, 2, 8, 0)
        with trap_jobs() as trap:
            self.assertEqual(Olt._cron_enqueue_polls(now=now), 1)
            self.assertEqual(Core._cron_enqueue_polls(now=now), len(Core.search([])))
            trap.assert_enqueued_job(
                self.olt._job_poll_inventory, properties={"channel": f"root.silver_provisioning.olt_{self.olt.id}"}
            )
            trap.assert_enqueued_job(
                self.router._job_poll_inventory,
                properties={"channel": f"root.silver_provisioning.core_{self.router.id}"},
            )
            self.assertEqual(self.olt.inventory_next_poll_at, now + datetime.timedelta(minutes=30))
            # Not due again before its interval; then due.
            self.assertEqual(Olt._cron_enqueue_polls(now=now + datetime.timedelta(minutes=29)), 0)
            # Due again, but its last poll still waits in the queue: not queued twice.
            self.assertEqual(Olt._cron_enqueue_polls(now=now + datetime.timedelta(minutes=30)), 1)
            trap.assert_jobs_count(1, only=self.olt._job_poll_inventory)
        channel = self.env["queue.job.channel"].search([("name", "=", f"olt_{self.olt.id}")])
        self.assertEqual(channel.parent_id, self.env.ref("silver_provisioning.channel_silver_provisioning"))
        self.assertEqual(self.sim("huawei").logins["attempted"], 0, "queuing touches no device")

    def test_olts_without_platform_or_polling_are_left_alone(self):
        Olt = self.env["silver.olt"]
        others = Olt.search([]) - self.olt
        others.write({"inventory_poll_enabled": False})
        self.olt.platform = False
        with trap_jobs() as trap:
            self.assertEqual(Olt._cron_enqueue_polls(), 0)
            trap.assert_jobs_count(0)

    def test_settings_are_checked(self):
        with self.assertRaises(ValidationError):
            self.olt.inventory_poll_interval = 0
        with self.assertRaises(ValidationError):
            self.olt.write({"rx_warning_dbm": -28.0})
        with self.assertRaises(ValidationError):
            self.olt.reading_hourly_days = 1
        with self.assertRaises(AccessError):
            self.olt.with_user(self.operator).action_poll_now()

    def test_busy_olt_polls_a_minute_later(self):
        self.sim("huawei")
        with self.registry.cursor() as other:
            other.execute("SELECT pg_try_advisory_lock(%s, %s)", (OLT_LOCK_NAMESPACE, self.olt.id))
            self.assertTrue(other.fetchone()[0])
            try:
                with self.assertRaises(RetryableJobError):
                    self.olt._job_poll_inventory()
            finally:
                other.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, self.olt.id))
        self.assertEqual(self.sim("huawei").logins["attempted"], 0)

    def test_unreachable_olt_is_recorded_and_logged_once(self):
        sim = self.sim("huawei")
        sim.stop()
        result = self.olt._job_poll_inventory()
        self.assertIn("failed", result)
        self.assertEqual(self.olt.inventory_poll_state, "failed")
        self.assertIn("refused", self.olt.inventory_poll_message)
        self.assertEqual(len(self.activities(self.olt, UNREACHABLE)), 1)
        logged = len(self.logged(self.olt))
        self.assertIn("Poll failed", self.logged(self.olt)[-1])
        self.olt._job_poll_inventory()
        self.assertEqual(len(self.logged(self.olt)), logged, "a device that stays down is logged once")
        self.assertEqual(len(self.activities(self.olt, UNREACHABLE)), 1)
        for body in self.logged(self.olt):
            self.assertNoSecret(body, "the poll's log")
