from odoo import _, fields, models

#: how an ONU's run state is recorded: the device's words, lower case
RUN_STATES = [
    ("online", "Online"),
    ("offline", "Offline"),
    ("los", "LOS"),
    ("dying_gasp", "Dying Gasp"),
    ("power_off", "Power Off"),
]
ADMIN_STATES = [("enabled", "Enabled"), ("disabled", "Disabled")]
SIGNAL_LEVELS = [("ok", "OK"), ("warning", "Warning"), ("critical", "Critical"), ("overload", "Overload")]
#: the down states that say why; a plain 'offline' says nothing
DOWN_CAUSES = ("los", "dying_gasp", "power_off")


class SilverOltOnu(models.Model):
    """One ONU registered on an OLT, as its last poll read it (the OLT's ONU table in Odoo).

    Kept per OLT and serial: an ONU that moves to another PON port keeps its
    history.  An ONU that is no longer in the table is kept, not present, so
    its readings stay reachable.
    """

    _name = "silver.olt.onu"
    _description = "ONU on an OLT"
    _order = "olt_id, pon, onu_id"
    _rec_name = "display_label"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True, ondelete="cascade", index=True)
    port_id = fields.Many2one("silver.olt.card.port", string="PON Port", ondelete="set null")
    pon = fields.Char(string="PON", help="The PON address as the OLT writes it.")
    onu_id = fields.Integer(string="ONU ID")
    serial_number = fields.Char(index=True)
    description = fields.Char()
    model = fields.Char()
    admin_state = fields.Selection(ADMIN_STATES)
    run_state = fields.Selection(RUN_STATES)
    rx_power = fields.Float(string="RX (dBm)", digits=(5, 2), help="Power the ONU receives from the OLT.")
    tx_power = fields.Float(string="TX (dBm)", digits=(5, 2), help="Power the ONU sends.")
    olt_rx_power = fields.Float(string="OLT RX (dBm)", digits=(5, 2), help="Power the OLT receives from the ONU.")
    distance_m = fields.Integer(string="Distance (m)")
    last_down_cause = fields.Char()
    signal_level = fields.Selection(SIGNAL_LEVELS, help="RX level against the OLT's thresholds.")
    contract_id = fields.Many2one("silver.contract", ondelete="set null", index=True)
    is_present = fields.Boolean(string="In the OLT's Table", default=True)
    first_seen = fields.Datetime(readonly=True)
    last_read_at = fields.Datetime(string="Read on", readonly=True)
    state_since = fields.Datetime(string="In This State Since", readonly=True)
    display_label = fields.Char(string="ONU", compute="_compute_display_label")

    def _compute_display_label(self):
        for onu in self:
            onu.display_label = f"{onu.pon or '?'}:{onu.onu_id} {onu.serial_number or ''}".strip()

    def action_view_readings(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_onu_reading_action")
        action["domain"] = [("onu_id", "in", self.ids)]
        action["name"] = _("Readings of %s", self[:1].display_label) if len(self) == 1 else action["name"]
        return action
