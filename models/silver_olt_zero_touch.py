"""Zero-touch activation: a scheduled discovery activates the contracts waiting for their ONU.

Off by default, per OLT: one cron enqueues a discovery job for each OLT whose
interval is due, on the OLT's own channel (one session at a time).  A contract
waiting for activation (inactive, with its serial typed or scanned ahead of
the visit) whose serial the OLT sees waiting on the contract's own PON port is
activated through the usual activation (serial lock, ownership checks, undo);
a serial seen on another port is not activated but flagged.  Either way the
technician is told.
"""

import datetime

from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.exceptions import UserError, ValidationError

from ..drivers import validation
from ..drivers.errors import InvalidInput
from .silver_provisioning_batch import commit_progress


class SilverOltZeroTouch(models.Model):
    _inherit = "silver.olt"

    zero_touch_enabled = fields.Boolean(
        string="Zero-Touch Activation",
        default=False,
        help="Discover ONUs regularly and activate the contracts waiting for the serials found.",
    )
    zero_touch_interval = fields.Integer(
        string="Discover Every (minutes)", default=10, help="Minutes between two zero-touch discoveries."
    )
    zero_touch_user_id = fields.Many2one(
        "res.users",
        string="Notify",
        help="Who gets an activity for each zero-touch activation or flagged ONU, when the contract has no "
        "responsible user of its own.",
    )
    zero_touch_next_at = fields.Datetime(string="Next Zero-Touch Discovery", readonly=True, copy=False)
    zero_touch_last_at = fields.Datetime(string="Last Zero-Touch Discovery", readonly=True, copy=False)
    zero_touch_last_message = fields.Char(string="Last Zero-Touch Result", readonly=True, copy=False)

    @api.constrains("zero_touch_interval")
    def _check_zero_touch_interval(self):
        for olt in self:
            if not 1 <= olt.zero_touch_interval <= 1440:
                raise ValidationError(
                    _(
                        "%s: between 1 and 1440 minutes.",
                        olt._fields["zero_touch_interval"]._description_string(self.env),
                    )
                )

    # -- the cron --------------------------------------------------------------------
    @api.model
    def _cron_enqueue_zero_touch(self, now=None):
        """One discovery job per OLT whose zero-touch discovery is due; returns how many."""
        now = now or fields.Datetime.now()
        olts = self.sudo().search(
            [
                ("zero_touch_enabled", "=", True),
                "|",
                ("zero_touch_next_at", "=", False),
                ("zero_touch_next_at", "<=", now),
            ]
        )
        for olt in olts:
            olt._ensure_sync_channel()
            olt.with_delay(
                channel=olt._sync_channel(),
                description=_("Zero-touch discovery on %s", olt.display_name),
                identity_key=identity_exact,
                max_retries=3,
            )._job_zero_touch_discovery()
            olt.zero_touch_next_at = now + datetime.timedelta(minutes=olt.zero_touch_interval or 10)
        return len(olts)

    # -- the job -------------------------------------------------------------------------
    def _job_zero_touch_discovery(self):
        """Job: discover, then activate (or flag) each contract waiting for a serial seen."""
        self.ensure_one()
        olt = self.sudo()
        if not olt.zero_touch_enabled:
            return {}
        if not olt._try_lock_for_session():
            raise RetryableJobError(_("%s is busy with another session; retrying later.", olt.display_name), seconds=30)
        driver = olt._provisioning_driver()
        # The discovery's session is closed before the activations open theirs:
        # some OLTs accept one session only.
        with olt._secrets_out_of_server_log(), driver:
            result = olt._execute_with_logging(_("Discover ONUs"), driver, olt, lambda d: d.discover())
        found = result.data or []
        olt._store_discovered_onus(found, type(driver))
        outcome = {}
        waiting = {onu.serial: onu for onu in found}
        for contract in olt._zero_touch_candidates():
            serial = contract._zero_touch_serial()
            onu = waiting.get(serial)
            if onu is None or contract.zero_touch_failed_serial == serial:
                # A refused activation is not tried again by itself on every
                # discovery (a login, a plan and its undo, a log each time): the
                # technician was told; a new serial or an activation by hand ends it.
                continue
            commit_progress(self.env)
            # The commit ended the session lock: taken again at once, so a poll or a
            # sync never gets in between and makes the activation fail as "busy".
            if not olt._try_lock_for_session():
                outcome[contract.id] = "later"
                break
            if onu.pon != olt._pon_address(contract.olt_port_id, type(driver)):
                outcome[contract.id] = contract._zero_touch_flag(olt, onu, type(driver))
            else:
                outcome[contract.id] = contract._zero_touch_activate()
            commit_progress(self.env)
        olt.write(
            {
                "zero_touch_last_at": fields.Datetime.now(),
                "zero_touch_last_message": _(
                    "%(seen)s ONU(s) waiting, %(activated)s activated, %(flagged)s flagged or failed",
                    seen=len(found),
                    activated=sum(1 for state in outcome.values() if state == "activated"),
                    flagged=sum(1 for state in outcome.values() if state in ("flagged", "failed")),
                ),
            }
        )
        return outcome

    def _zero_touch_candidates(self):
        return (
            self.env["silver.contract"]
            .sudo()
            .search(
                [
                    ("olt_id", "=", self.id),
                    ("state_service", "=", "inactive"),
                    ("serial_number", "!=", False),
                    ("olt_port_id", "!=", False),
                ],
                order="id",
            )
        )


class SilverContractZeroTouch(models.Model):
    _inherit = "silver.contract"

    zero_touch_flag = fields.Boolean(
        string="ONU on Another Port",
        readonly=True,
        copy=False,
        help="Zero-touch found this contract's serial waiting on a port other than the contract's.",
    )
    zero_touch_message = fields.Char(string="Zero-Touch", readonly=True, copy=False)
    zero_touch_failed_serial = fields.Char(
        string="Zero-Touch Refused Serial",
        readonly=True,
        copy=False,
        help="The serial whose zero-touch activation the devices refused: not tried again by itself.",
    )

    def _zero_touch_serial(self):
        try:
            return validation.normalize_serial(self.serial_number or "")
        except InvalidInput:
            return None

    def _zero_touch_user(self, olt):
        """Who is told: the contract's own responsible user where it has one, else the OLT's
        *Notify* user, else whoever gets the OLT's alarms: a technician must hear of it."""
        user = self["user_id"] if "user_id" in self._fields else self.env["res.users"]
        return user or olt.zero_touch_user_id or olt._inventory_alarm_user()

    def _zero_touch_tell(self, olt, summary, note):
        self.message_post(body=Markup("<p>{}</p>").format(note), subtype_xmlid="mail.mt_note")
        user = self._zero_touch_user(olt)
        if user:
            self.activity_schedule("mail.mail_activity_data_todo", summary=summary, note=note, user_id=user.id)

    def _zero_touch_flag(self, olt, onu, driver_class):
        """The serial waits on another port: not activated; flagged, and the technician is told."""
        port = olt._ports_by_pon(driver_class).get(onu.pon)
        where = port.display_name if port else onu.pon
        note = _(
            "Zero-touch: %(serial)s is waiting on %(found)s, not on the contract's port %(port)s; not activated. "
            "Check the fibre, or correct the contract's port and activate.",
            serial=onu.serial,
            found=where,
            port=self.olt_port_id.display_name,
        )
        if self.zero_touch_flag and self.zero_touch_message == note:
            return "flagged"  # told already at an earlier discovery
        self.write({"zero_touch_flag": True, "zero_touch_message": note})
        self._zero_touch_tell(olt, _("ONU on another port"), note)
        return "flagged"

    def _zero_touch_activate(self):
        """The usual activation, as the job's user; a refusal is flagged and told, never raised."""
        olt = self.olt_id
        try:
            with self.env.cr.savepoint(), self._secrets_out_of_server_log(olt, self.core_id):
                self._activate_service()
        except UserError as error:
            note = _(
                "Zero-touch: the activation of %(serial)s failed: %(error)s", serial=self.serial_number, error=error
            )
            values = {"zero_touch_flag": False, "zero_touch_message": note}
            if not getattr(error, "retryable", False):
                # Refused, not out of reach: the next discovery would only be refused again.
                values["zero_touch_failed_serial"] = self._zero_touch_serial()
                note = values["zero_touch_message"] = _(
                    "%s Zero-touch does not try this serial again: correct the contract and activate it by hand.",
                    note,
                )
            if self.zero_touch_message != note:
                self._zero_touch_tell(olt, _("Zero-touch activation failed"), note)
            self.write(values)
            return "failed"
        note = _(
            "Zero-touch: activated when %(serial)s was seen on %(port)s.",
            serial=self.serial_number,
            port=self.olt_port_id.display_name,
        )
        self.write({"zero_touch_flag": False, "zero_touch_message": note})
        self._zero_touch_tell(olt, _("ONU activated by zero-touch"), note)
        return "activated"
