from odoo import _, fields, models


class SilverOltDiscoveredOnu(models.Model):
    """An ONU an OLT reported in auto-find: connected, not yet registered."""

    _name = "silver.olt.discovered.onu"
    _inherit = ["silver.provisioning.field.guard"]
    _secret_fields = ("password",)
    _description = "Discovered ONU"
    _order = "is_assigned, olt_id, pon, serial_number"
    _rec_name = "serial_number"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True, ondelete="cascade", index=True)
    olt_index = fields.Char(string="OLT Index", help="The device's own name for the slot, e.g. GPON0/1:1.")
    serial_number = fields.Char(required=True, index=True)
    password = fields.Char(string="ONU Password", groups="silver_provisioning.group_provisioning_technician")
    loid = fields.Char(string="LOID")
    version = fields.Char()
    software_version = fields.Char()
    model = fields.Char()
    vendor_id = fields.Char(string="Vendor ID")
    mac = fields.Char(string="MAC")
    pon = fields.Char(string="PON", help="The PON address as the OLT writes it.")
    olt_card_id = fields.Many2one("silver.olt.card", string="Card", ondelete="set null")
    olt_port_id = fields.Many2one("silver.olt.card.port", string="PON Port", ondelete="set null")
    is_assigned = fields.Boolean(string="Assigned", help="Provisioned on a contract.")
    contract_id = fields.Many2one("silver.contract", ondelete="set null")
    is_present = fields.Boolean(
        string="In Auto-find", default=True, help="Cleared when the last discovery no longer saw this ONU."
    )
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("olt_serial_uniq", "unique (olt_id, serial_number)", "An ONU is discovered once per OLT."),
    ]

    def action_open_assign_wizard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Assign ONU %s", self.serial_number),
            "res_model": "silver.onu.assign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_discovered_onu_id": self.id},
        }
