from odoo import fields, models


class SilverProvisioningDriftAcceptWizard(models.TransientModel):
    """Why a disagreement between billing and the devices is kept as it is."""

    _name = "silver.provisioning.drift.accept.wizard"
    _description = "Accept a provisioning drift"

    drift_ids = fields.Many2many(
        "silver.provisioning.drift",
        "silver_drift_accept_wizard_rel",
        "wizard_id",
        "drift_id",
        string="Drifts",
        required=True,
    )
    reason = fields.Text(required=True, help="Recorded on the drift and in the contract's chatter.")

    def action_accept(self):
        self.ensure_one()
        self.drift_ids._accept(self.reason)
        return {"type": "ir.actions.act_window_close"}
