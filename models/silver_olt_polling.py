"""Polling: one queue_job per device and poll, on the device's own channel.

A cron (every minute) looks for the OLTs and routers whose next poll is due
and enqueues one job each; the job reads the whole device in one session
(``driver.inventory()``) and stores it (silver_olt_inventory_store.py).  A
poll that finds the OLT busy (another session holds its lock) is retried a
minute later; a poll that fails is recorded on the device and is not retried:
the next one is at most one interval away.

Successful polls are not written to the chatter (96 a day per device would
bury the operations); a failure is, once, when the device stops answering.
"""

import contextlib
import datetime
import logging
import time

from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.exceptions import UserError, ValidationError

from ..drivers.errors import DriverError
from .silver_inventory_bulk import bulk_update

_logger = logging.getLogger(__name__)

POLL_STATES = [("never", "Never"), ("queued", "Queued"), ("ok", "OK"), ("failed", "Failed")]
#: seconds before a poll that found its OLT busy tries again
BUSY_RETRY_SECONDS = 60

# Class B+ GPON optics (ITU-T G.984.2): the ONU receiver is specified down to
# -27 dBm and overloads above -8 dBm.  Warn with 2 dB of margin left.
DEFAULT_RX_WARNING = -25.0
DEFAULT_RX_CRITICAL = -27.0
DEFAULT_RX_OVERLOAD = -8.0


class InventoryPollingMixin(models.AbstractModel):
    """What OLTs and routers share: the interval, the state of the last poll, the cron."""

    _name = "silver.inventory.polling.mixin"
    _description = "Device polling"

    inventory_poll_enabled = fields.Boolean(
        string="Poll the Device",
        default=True,
        help="Read the device's state regularly (ONU table and optical levels, or PPPoE secrets).",
    )
    inventory_poll_interval = fields.Integer(
        string="Poll Every (minutes)", default=15, help="Minutes between two polls of this device."
    )
    inventory_poll_state = fields.Selection(POLL_STATES, string="Last Poll", default="never", readonly=True, copy=False)
    inventory_poll_message = fields.Char(string="Last Poll Result", readonly=True, copy=False)
    inventory_last_poll_at = fields.Datetime(string="Last Polled on", readonly=True, copy=False)
    inventory_next_poll_at = fields.Datetime(string="Next Poll", readonly=True, copy=False)

    @api.constrains("inventory_poll_interval")
    def _check_inventory_poll_interval(self):
        for device in self:
            if not 1 <= device.inventory_poll_interval <= 1440:
                raise ValidationError(
                    _(
                        "%s: between 1 and 1440 minutes.",
                        device._fields["inventory_poll_interval"]._description_string(self.env),
                    )
                )

    # -- the cron ------------------------------------------------------------------
    @api.model
    def _cron_enqueue_polls(self, now=None):
        """Enqueue one poll job for each device whose poll is due; returns how many."""
        now = now or fields.Datetime.now()
        devices = self.sudo().search(self._inventory_due_domain(now))
        for device in devices:
            device._enqueue_poll(now)
        return len(devices)

    def _inventory_due_domain(self, now):
        return [
            ("inventory_poll_enabled", "=", True),
            "|",
            ("inventory_next_poll_at", "=", False),
            ("inventory_next_poll_at", "<=", now),
        ]

    def _enqueue_poll(self, now=None):
        """One job on the device's own channel; a poll already queued is not queued twice."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        self._ensure_inventory_channel()
        self.with_delay(
            channel=self._inventory_channel(),
            description=_("Poll %s", self.display_name),
            identity_key=identity_exact,
            max_retries=3,
        )._job_poll_inventory()
        self.write(
            {
                "inventory_poll_state": "queued" if self.inventory_poll_state == "never" else self.inventory_poll_state,
                "inventory_next_poll_at": now + datetime.timedelta(minutes=self.inventory_poll_interval or 15),
            }
        )

    def action_poll_now(self):
        """Queue a poll at once (network administrators)."""
        self._inventory_check_admin()
        for device in self:
            device._enqueue_poll()
        return True

    def _inventory_check_admin(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_network_admin"):
            from odoo.exceptions import AccessError

            raise AccessError(_("Only network administrators may do this."))

    def _ensure_inventory_channel(self):
        """The device's channel, under root.silver_provisioning (see data/queue_job_data.xml)."""
        Channel = self.env["queue.job.channel"].sudo()
        parent = self.env.ref("silver_provisioning.channel_silver_provisioning")
        name = self._inventory_channel().rsplit(".", 1)[1]
        if not Channel.search_count([("name", "=", name), ("parent_id", "=", parent.id)]):
            Channel.create({"name": name, "parent_id": parent.id})

    # -- one poll --------------------------------------------------------------------
    def _job_poll_inventory(self):
        """Job: read the device in one session and store what it holds."""
        self.ensure_one()
        device = self.sudo()
        if not device._inventory_try_lock():
            raise RetryableJobError(
                _("%s is busy with another session; the poll waits.", device.display_name), seconds=BUSY_RETRY_SECONDS
            )
        started, clock = fields.Datetime.now(), time.monotonic()
        driver = None
        try:
            driver = device._provisioning_driver()
            with device._inventory_session_guard(), driver:
                result = device._inventory_read(driver)
        except (DriverError, UserError) as error:
            return device._inventory_poll_failed(error, driver, started)
        except NotImplementedError:
            error = UserError(_("the %s driver cannot read the device back yet", device._provisioning_platform_label()))
            return device._inventory_poll_failed(error, driver, started)
        summary = device._inventory_store(result.data or [], type(driver), started)
        commands = len(driver.transcript.commands())
        summary["commands"] = commands
        summary["seconds"] = round(time.monotonic() - clock, 2)
        device._inventory_poll_succeeded(summary, started)
        return summary

    def _inventory_read(self, driver):
        return driver.inventory()

    def _inventory_try_lock(self):
        """The device's session lock, without waiting (the poll is retried instead).

        One small method so the lock can follow the OLT's own lock helper.
        """
        return True

    def _inventory_session_guard(self):
        """Keeps the device's secrets out of the server log while the session runs, where supported."""
        guard = getattr(self, "_secrets_out_of_server_log", None)
        return guard() if guard else contextlib.nullcontext()

    def _inventory_store(self, found, driver_class, now):
        raise NotImplementedError

    def _inventory_poll_succeeded(self, summary, now):
        self.write(
            {
                "inventory_poll_state": "ok",
                "inventory_last_poll_at": now,
                "inventory_poll_message": self._inventory_summary_text(summary),
            }
        )

    def _inventory_summary_text(self, summary):
        return _("%(items)s read, %(commands)s commands, %(seconds)s s", **summary)

    def _inventory_poll_failed(self, error, driver, now):
        """Record the failure; log it to the chatter once, when the device stops answering."""
        message = error.message if isinstance(error, DriverError) else str(error)
        masker = self._provisioning_masker(driver)
        message = masker(message)
        first_failure = self.inventory_poll_state != "failed"
        self.write(
            {
                "inventory_poll_state": "failed",
                "inventory_last_poll_at": now,
                "inventory_poll_message": message[:250],
            }
        )
        if first_failure:
            transcript = masker(driver.transcript.to_text()) if driver is not None else ""
            body = Markup("<p><b>{}</b>: {}</p>").format(_("Poll failed"), message)
            if transcript:
                body += Markup("<pre>{}</pre>").format(transcript[-4000:])
            self._post_log_message(body)
            self._inventory_device_down_alarm(message)
        _logger.info("poll of %s failed: %s", self.display_name, message)
        return {"failed": message}

    def _inventory_device_down_alarm(self, message):
        """Hook: OLTs raise an activity when they stop answering."""


class SilverOltPolling(models.Model):
    _name = "silver.olt"
    _inherit = ["silver.olt", "silver.inventory.polling.mixin"]

    rx_warning_dbm = fields.Float(
        string="RX Warning (dBm)",
        default=DEFAULT_RX_WARNING,
        digits=(5, 2),
        help="An ONU receiving this little or less raises a warning (class B+ optics: -25 dBm leaves 2 dB "
        "before the receiver's limit).",
    )
    rx_critical_dbm = fields.Float(
        string="RX Critical (dBm)",
        default=DEFAULT_RX_CRITICAL,
        digits=(5, 2),
        help="At or below this level the ONU is at the limit of its receiver (class B+: -27 dBm).",
    )
    rx_overload_dbm = fields.Float(
        string="RX Overload (dBm)",
        default=DEFAULT_RX_OVERLOAD,
        digits=(5, 2),
        help="Above this level the ONU's receiver saturates (class B+: -8 dBm).",
    )
    pon_outage_percent = fields.Integer(
        string="PON Outage Above (%)",
        default=50,
        help="When more than this share of a PON port's online ONUs go down between two polls, one PON outage "
        "alert is raised for the port instead of one per ONU.",
    )
    pon_outage_min_onus = fields.Integer(
        string="PON Outage From (ONUs)",
        default=4,
        help="A PON outage needs at least this many ONUs going down at once.",
    )
    alarm_user_id = fields.Many2one(
        "res.users",
        string="Alarm Responsible",
        domain=[("share", "=", False)],
        help="Who gets the activities of this OLT's alarms (signal, ONU down, PON outage). "
        "Empty: the first network administrator.",
    )
    reading_raw_days = fields.Integer(
        string="Keep Readings (days)",
        default=2,
        help="Days every single reading is kept before only its hourly and daily aggregates remain.",
    )
    reading_hourly_days = fields.Integer(string="Keep Hourly Aggregates (days)", default=14)
    reading_daily_days = fields.Integer(string="Keep Daily Aggregates (days)", default=400)
    reading_compacted_until = fields.Datetime(readonly=True, copy=False)
    inventory_onu_ids = fields.One2many("silver.olt.onu", "olt_id", string="ONU Table")
    inventory_onu_count = fields.Integer(string="ONUs", compute="_compute_inventory_counts")
    inventory_offline_count = fields.Integer(string="ONUs Down", compute="_compute_inventory_counts")

    @api.constrains("rx_warning_dbm", "rx_critical_dbm", "rx_overload_dbm")
    def _check_rx_thresholds(self):
        for olt in self:
            if not olt.rx_critical_dbm < olt.rx_warning_dbm < olt.rx_overload_dbm:
                raise ValidationError(
                    _("%(olt)s: the RX thresholds must rise: critical < warning < overload.", olt=olt.display_name)
                )

    @api.constrains(
        "reading_raw_days", "reading_hourly_days", "reading_daily_days", "pon_outage_percent", "pon_outage_min_onus"
    )
    def _check_inventory_numbers(self):
        for olt in self:
            # A day is folded from its hours: they must outlive it.
            if olt.reading_raw_days < 1 or olt.reading_hourly_days < 2 or olt.reading_daily_days < 1:
                raise ValidationError(
                    _("%s: keep readings at least 1 day and hourly aggregates at least 2 days.", olt.display_name)
                )
            if not 1 <= olt.pon_outage_percent <= 99 or olt.pon_outage_min_onus < 1:
                raise ValidationError(
                    _("%s: the PON outage share is a percentage between 1 and 99, from 1 ONU.", olt.display_name)
                )

    def _compute_inventory_counts(self):
        groups = self.env["silver.olt.onu"]._read_group(
            [("olt_id", "in", self.ids), ("is_present", "=", True)], ["olt_id", "run_state"], ["__count"]
        )
        total, down = {}, {}
        for olt, state, count in groups:
            total[olt.id] = total.get(olt.id, 0) + count
            if state != "online":
                down[olt.id] = down.get(olt.id, 0) + count
        for olt in self:
            olt.inventory_onu_count = total.get(olt.id, 0)
            olt.inventory_offline_count = down.get(olt.id, 0)

    def _inventory_due_domain(self, now):
        return [("platform", "!=", False), *super()._inventory_due_domain(now)]

    def _inventory_channel(self):
        # The OLT's one channel: polls and manual syncs never run side by side.
        return self._sync_channel()

    def _inventory_try_lock(self):
        return self._try_lock_for_session()

    def _inventory_read(self, driver):
        # The ports the OLT has in Odoo; none recorded: those the driver finds itself.
        return driver.inventory(list(self._ports_by_pon(type(driver))) or None)

    def _inventory_device_down_alarm(self, message):
        self._inventory_schedule_olt_activity(
            "silver_provisioning.mail_activity_olt_unreachable",
            _("%s does not answer", self.display_name),
            Markup("<p>{}</p>").format(message),
        )

    def action_view_inventory_onus(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_olt_onu_action")
        action["domain"] = [("olt_id", "in", self.ids)]
        action["context"] = {"search_default_present": 1, "default_olt_id": self[:1].id}
        return action

    def action_open_onboarding_wizard(self):
        self.ensure_one()
        self._check_technician()
        return self.env["silver.olt.onboarding.wizard"]._open_for(self)


class SilverCorePolling(models.Model):
    _name = "silver.core"
    _inherit = ["silver.core", "silver.inventory.polling.mixin"]

    def _inventory_channel(self):
        return f"root.silver_provisioning.core_{self.id}"

    def _inventory_try_lock(self):
        # Router operations are per subscriber; a poll reads and never blocks them.
        return True

    def _inventory_store(self, found, driver_class, now):
        """The secrets' state on this router's contracts (one read, one UPDATE), then the ledger."""
        self.ensure_one()
        self.env.flush_all()
        secrets = {status.name: status for status in found}
        contracts = self.env["silver.contract"].search_fetch(
            [("core_id", "=", self.id), ("pppoe_user", "!=", False)], ["pppoe_user"]
        )
        rows = []
        for contract in contracts:
            status = secrets.get(contract.pppoe_user)
            rows.append((contract.id, secret_state(status), bool(status and status.online), now))
        bulk_update(
            self.env.cr,
            "silver_contract",
            [("pppoe_secret_state", "varchar"), ("pppoe_online", "bool"), ("pppoe_read_at", "timestamp")],
            rows,
        )
        self.env["silver.contract"].invalidate_model(["pppoe_secret_state", "pppoe_online", "pppoe_read_at"])
        drifts = self.env["silver.provisioning.drift"]._refresh_router(self, contracts.ids, now)
        return {"items": len(secrets), **drifts}


def secret_state(status):
    """How a router holds one contract's PPPoE secret."""
    if status is None or not status.exists:
        return "missing"
    if status.suspended:
        return "suspended"
    return "enabled" if status.enabled else "disabled"
