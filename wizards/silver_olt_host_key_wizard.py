from odoo import _, fields, models
from odoo.exceptions import UserError


class SilverOltHostKeyWizard(models.TransientModel):
    """Shows the fingerprint of the key the OLT presents before it is trusted.

    The key pinned is the one shown, never one read again: what the
    administrator compared is what is trusted.
    """

    _name = "silver.olt.host.key.wizard"
    _description = "Trust an OLT's SSH host key"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True, readonly=True, ondelete="cascade")
    fingerprint = fields.Char(string="Fingerprint Presented", required=True, readonly=True)
    previous = fields.Char(string="Pinned Until Now", readonly=True)

    def action_pin(self):
        self.ensure_one()
        olt = self.olt_id
        olt._check_network_admin()
        if not self.fingerprint:
            raise UserError(_("No host key was read: nothing to pin."))
        olt._pin_host_key(self.fingerprint)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Host key pinned"),
                "message": self.fingerprint,
                "sticky": True,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
