"""Mass suspension and reconnection: the billing's cut-off and the contract list's actions.

Contracts are grouped by device into a silver.provisioning.batch (see there):
one job and one session per router and per OLT, instead of one login and one
save per contract inside the caller's transaction.
"""

from odoo import _, api, models
from odoo.exceptions import AccessError


class SilverContractBatch(models.Model):
    _inherit = "silver.contract"

    # -- entry points ----------------------------------------------------------------
    @api.model
    def _cron_suspend_services(self, contract_ids):
        """Entry point for the billing's cron: suspend these contracts in one batch.

        Returns ``{contract id: reason}`` for the contracts refused before any
        device is touched (missing fields, a service not active); the devices'
        results are on the batch's lines as its jobs run.
        """
        return self._cron_batch("suspend", contract_ids)

    @api.model
    def _cron_reconnect_services(self, contract_ids):
        """The billing's counterpart once paid: reconnect these contracts in one batch."""
        return self._cron_batch("reconnect", contract_ids)

    def _cron_batch(self, kind, contract_ids):
        batch = self.browse(contract_ids).exists()._enqueue_batch(kind)
        return {line.contract_id.id: line.message for line in batch.line_ids if line.state in ("failed", "skipped")}

    def action_mass_suspend(self):
        """List action: suspend the selected contracts, one job per device."""
        return self._mass_action("suspend")

    def action_mass_reconnect(self):
        """List action: reconnect the selected contracts, one job per device."""
        return self._mass_action("reconnect")

    # -- pieces ------------------------------------------------------------------------
    def _mass_action(self, kind):
        self._check_operator()
        batch = self._enqueue_batch(kind)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": batch.name,
                "message": batch._queued_message(),
                "type": "warning" if batch.failed_count else "info",
                "sticky": bool(batch.failed_count),
                "next": {
                    "type": "ir.actions.act_window",
                    "res_model": "silver.provisioning.batch",
                    "res_id": batch.id,
                    "views": [[False, "form"]],
                },
            },
        }

    def _enqueue_batch(self, kind):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_provisioning_operator"):
            raise AccessError(_("Only provisioning operators may do this."))
        batch = self.env["silver.provisioning.batch"]._create_for(kind, self)
        batch._enqueue()
        return batch
