from odoo import fields, models

from .silver_olt import STATES


class SilverCore(models.Model):
    _name = "silver.core"
    _description = "Core Router"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True, tracking=True)
    hostname_core = fields.Char(string="Hostname")
    ip = fields.Char(string="IP", tracking=True)
    port = fields.Integer(string="API Port", default=21000)
    username = fields.Char()
    password = fields.Char()
    state = fields.Selection(STATES, default="pending", tracking=True)
    olt_ids = fields.Many2many("silver.olt", string="OLTs")
    vlan_ids = fields.One2many("silver.vlan", "core_id", string="VLANs")
    is_pppoe_profile = fields.Boolean(string="PPPoE Profile per Plan")
    is_key_pppoe = fields.Boolean(string="PPPoE Password in Use", default=True)
