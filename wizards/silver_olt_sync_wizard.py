from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class SilverOltSyncWizard(models.TransientModel):
    """What a network administrator pushes to every active ONU of an OLT."""

    _name = "silver.olt.sync.wizard"
    _description = "Manual OLT synchronisation"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True)
    kind = fields.Selection(
        "_kind_selection",
        string="Change",
        required=True,
        default="traffic_profile",
    )
    primary_dns = fields.Char(string="Primary DNS")
    secondary_dns = fields.Char(string="Secondary DNS")
    traffic_profile = fields.Char(string="Speed Profile", help="Traffic table index or profile name.")
    vlan = fields.Integer(string="VLAN")
    active_onu_count = fields.Integer(compute="_compute_active_onu_count", string="Active ONUs")

    @api.model
    def _kind_selection(self):
        """Only the changes the OLT's platform can make (every platform refuses a bulk DNS change)."""
        kinds = [("traffic_profile", _("Speed profile")), ("vlan", _("VLAN")), ("dns", _("DNS servers"))]
        olt = self.env["silver.olt"].browse(self.env.context.get("default_olt_id")).exists()
        allowed = olt._sync_kinds() if olt else self.env["silver.olt"]._sync_kinds_of_any_platform()
        return [(key, label) for key, label in kinds if key in allowed]

    @api.constrains("kind", "vlan", "olt_id")
    def _check_vlan_of_olt(self):
        for wizard in self:
            if wizard.kind == "vlan" and wizard.olt_id:
                wizard.olt_id._check_sync_vlan(wizard.vlan)

    @api.constrains("kind", "olt_id")
    def _check_kind_of_platform(self):
        for wizard in self.filtered("olt_id"):
            if wizard.kind not in wizard.olt_id._sync_kinds():
                raise ValidationError(
                    _(
                        "%(field)s: %(olt)s cannot make this change.",
                        field=wizard._fields["kind"]._description_string(self.env),
                        olt=wizard.olt_id.display_name,
                    )
                )

    @api.depends("olt_id")
    def _compute_active_onu_count(self):
        Contract = self.env["silver.contract"]
        for wizard in self:
            wizard.active_onu_count = (
                Contract.search_count([("olt_id", "=", wizard.olt_id.id), ("state_service", "=", "active")])
                if wizard.olt_id
                else 0
            )

    def _params(self):
        if self.kind == "dns":
            return {"primary": self.primary_dns or "", "secondary": self.secondary_dns or ""}
        if self.kind == "traffic_profile":
            return {"profile": self.traffic_profile or ""}
        return {"vlan": self.vlan}

    def action_confirm(self):
        self.ensure_one()
        self.olt_id.action_sync_olt_manual(self.kind, self._params())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Synchronisation queued"),
                "message": _("The change runs in the background; its progress and results show on the OLT."),
                "type": "info",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
