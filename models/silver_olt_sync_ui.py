"""What an administrator sees of a manual sync: words, checks before the device, live progress."""

import logging

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from ..drivers import OLT_PLATFORMS, BulkChange, Target, get_driver
from ..drivers.errors import InvalidInput, UnsupportedOperation

_logger = logging.getLogger(__name__)

#: the notification the OLT form's progress widget listens to (static/src/js/sync_progress_field.js)
SYNC_PROGRESS = "silver_provisioning/sync_progress"
#: a value per kind of change, enough for a driver to say whether its platform can make it at all
SAMPLE_CHANGES = {
    "traffic_profile": {"profile": "sample"},
    "vlan": {"vlan": 100},
    "dns": {"primary": "192.0.2.1", "secondary": "192.0.2.2"},
}


def platform_sync_kinds(driver):
    """The kinds of bulk change ``driver``'s platform accepts (tried on sample values, nothing sent)."""
    kinds = []
    for kind, params in SAMPLE_CHANGES.items():
        try:
            driver.check_bulk_change(BulkChange(kind, dict(params)))
        except UnsupportedOperation:
            continue
        except Exception:  # noqa: BLE001 - a sample value refused: the kind itself is supported
            _logger.debug("sample %s change refused on %s", kind, driver.target.platform, exc_info=True)
        kinds.append(kind)
    return kinds


class SilverOltSyncUi(models.Model):
    _inherit = "silver.olt"

    sync_state = fields.Selection(
        selection_add=[("retrying", "Waiting to Retry")], ondelete={"retrying": "set default"}
    )
    sync_message = fields.Char(string="Sync Status", readonly=True, copy=False)

    # -- what may be offered -------------------------------------------------------
    def _sync_kinds(self):
        """The kinds of change this OLT's platform can make (a refused one is never offered)."""
        self.ensure_one()
        if not self.platform:
            return []
        return platform_sync_kinds(get_driver(self.platform)(self._provisioning_target()))

    @api.model
    def _sync_kinds_of_any_platform(self):
        """The kinds some OLT platform can make: what a form not yet bound to an OLT may offer."""
        kinds = set()
        for platform in OLT_PLATFORMS:
            target = Target(platform=platform, host="192.0.2.1", port=22, protocol="ssh", username="-")
            kinds.update(platform_sync_kinds(get_driver(platform)(target)))
        return kinds

    def action_open_sync_wizard(self):
        action = super().action_open_sync_wizard()
        action["name"] = _("Manual Sync of %s", self.display_name)
        return action

    def action_sync_olt_manual(self, kind, params):
        self._check_network_admin()
        if kind == "vlan":
            # The driver's own check first (a VLAN out of range), then whether this OLT has it.
            try:
                get_driver(self.platform or "")(self._provisioning_target()).check_bulk_change(
                    BulkChange(kind, dict(params))
                )
            except InvalidInput as error:
                self._sync_labels().raise_error(error)
            self._check_sync_vlan(params.get("vlan"))
        return super().action_sync_olt_manual(kind, params)

    def _check_sync_vlan(self, vlan):
        """A VLAN change needs a VLAN the OLT has: said before the device is touched, naming the field."""
        if not any(record.vlanid == int(vlan or 0) for record in self.vlan_ids):
            raise UserError(
                _(
                    "%(field)s: %(olt)s has no VLAN %(vlan)s (its VLANs: %(vlans)s).",
                    field=self.env["silver.olt.sync.wizard"]._fields["vlan"]._description_string(self.env),
                    olt=self.display_name,
                    vlan=vlan,
                    vlans=", ".join(str(vid) for vid in sorted(self.vlan_ids.mapped("vlanid"))) or _("none"),
                )
            )

    # -- words -----------------------------------------------------------------------
    def _sync_description(self, kind, params):
        if kind == "traffic_profile":
            return _("speed profile %s", params.get("profile") or "")
        if kind == "vlan":
            return _("VLAN %s", params.get("vlan") or "")
        if kind == "dns":
            servers = [value for value in (params.get("primary"), params.get("secondary")) if value]
            return _("DNS servers %s", ", ".join(servers))
        return kind

    # -- the job, its retries and the contracts it changed ---------------------------
    def _job_sync_olt_manual(self, kind, params):
        try:
            return super()._job_sync_olt_manual(kind, params)
        except RetryableJobError as error:
            self._report_sync_state("retrying", self._attempt_words(str(error)))
            raise
        except Exception as error:
            self._report_sync_state("failed", str(error))
            raise

    def _attempt_words(self, reason):
        job = self.env["queue.job"].sudo().search([("uuid", "=", self.env.context.get("job_uuid") or "")], limit=1)
        if not job:
            return reason
        return _(
            "attempt %(attempt)s of %(max)s failed: %(reason)s",
            attempt=job.retry + 1,
            max=job.max_retries or "-",
            reason=reason,
        )

    def _report_sync_state(self, state, message):
        try:
            values = {"sync_state": state, "sync_message": message}
            if not self._write_sync_values(values):
                self.write(values)
        except Exception:  # noqa: BLE001 - best effort: the job's own error is what matters
            _logger.debug("sync state of OLT %s not written", self.id, exc_info=True)

    def _follow_vlan_change(self, vlan, contracts):
        result = super()._follow_vlan_change(vlan, contracts)
        for contract in contracts:
            contract._post_log_message(
                Markup("<p><b>{}</b></p>").format(
                    _(
                        "Manual sync of %(olt)s: this contract's ONU moved to VLAN %(vlan)s.",
                        olt=self.display_name,
                        vlan=vlan,
                    )
                )
            )
        return result

    # -- live progress ---------------------------------------------------------------
    def _write_sync_values(self, values):
        if values.get("sync_state") in ("running", "done", "partial") and "sync_message" not in values:
            # Moving on again: the retry or failure it said no longer holds.
            values = dict(values, sync_message=False)
        written = super()._write_sync_values(values)
        self._notify_sync_progress(values)
        return written

    def _notify_sync_progress(self, values):
        """Tell the open OLT forms (network administrators') that the sync moved on, through the bus."""
        payload = {
            "olt_id": self.id,
            "state": values.get("sync_state"),
            "progress": values.get("sync_progress"),
            "message": values.get("sync_message") or "",
        }
        try:
            with self.env.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                admins = env.ref("silver_provisioning.group_network_admin").users
                env["bus.bus"]._sendmany([(partner, SYNC_PROGRESS, payload) for partner in admins.partner_id])
        except Exception:  # noqa: BLE001 - a missed notification only delays what the form shows
            _logger.debug("sync progress of OLT %s not notified", self.id, exc_info=True)
