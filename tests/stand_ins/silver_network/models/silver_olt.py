from odoo import api, fields, models

STATES = [("down", "Down"), ("active", "Active"), ("pending", "Pending")]


class SilverOlt(models.Model):
    _name = "silver.olt"
    _description = "OLT"
    _inherit = ["mail.thread", "mail.activity.mixin"]

    name = fields.Char(required=True, tracking=True)
    ip = fields.Char(string="Management IP", tracking=True)
    port_ssh = fields.Char(string="SSH Port", default="22")
    port_telnet = fields.Char(string="Telnet Port", default="23")
    type_connection = fields.Selection([("ssh", "SSH"), ("telnet", "Telnet")], string="Connection", default="ssh")
    username = fields.Char()
    password = fields.Char()
    secret_olt = fields.Char(string="Enable Password")
    state = fields.Selection(STATES, default="pending", tracking=True)
    hostname_olt = fields.Char(string="Hostname")
    description = fields.Text()
    card_ids = fields.One2many("silver.olt.card", "olt_id", string="Cards")
    port_ids = fields.One2many("silver.olt.card.port", "olt_id", string="PON Ports")
    vlan_ids = fields.One2many("silver.vlan", "olt_id", string="VLANs")
    ont_lineprofile = fields.Selection(
        [("name", "Name"), ("id", "ID"), ("unique", "Unique")], string="ONT Line Profile"
    )
    ont_lineprofile_value = fields.Char(string="Line Profile")
    ont_srvprofile = fields.Selection([("name", "Name"), ("id", "ID"), ("port", "Port")], string="ONT Service Profile")
    ont_srvprofile_value = fields.Char(string="Service Profile")
    traffic_table = fields.Selection([("name", "Name"), ("index", "Index")])
    profile_dba_internet = fields.Char(string="DBA Profile", default="max-band")
    tcont = fields.Char(string="T-CONT", default="1")
    gemport = fields.Char(string="GEM Port", default="1")
    service_port_internet = fields.Char(string="Internet Service Port")
    connection_wan = fields.Selection(
        [("pppoe", "PPPoE"), ("dhcp", "DHCP"), ("static", "Static")], string="WAN Connection", default="pppoe"
    )
    acquisition_mode = fields.Selection([("pppoe", "PPPoE"), ("dhcp", "DHCP"), ("static", "Static")], default="pppoe")
    wan_mode = fields.Selection([("router", "Router"), ("bridge", "Bridge")], string="WAN Mode", default="router")
    mtu = fields.Char(string="MTU")
    primary_dns = fields.Char(string="Primary DNS")
    secondary_dns = fields.Char(string="Secondary DNS")
    is_active_tr = fields.Boolean(string="TR-069")
    vlan_mgn_tr069 = fields.Integer(string="TR-069 Management VLAN")
    is_write_olt = fields.Boolean(string="Save Configuration")
    is_cutoff_reconnection = fields.Boolean(string="Cut-off by Reconnection")
    is_disable_onu = fields.Boolean(string="Cut-off by Disabling the ONU")


class SilverOltCard(models.Model):
    _name = "silver.olt.card"
    _description = "OLT Card"
    _order = "olt_id, num_card"

    name = fields.Char(compute="_compute_name", store=True)
    olt_id = fields.Many2one("silver.olt", required=True, ondelete="cascade")
    num_card = fields.Integer(string="Slot")
    port_ids = fields.One2many("silver.olt.card.port", "olt_card_id", string="PON Ports")

    @api.depends("olt_id.name", "num_card")
    def _compute_name(self):
        for card in self:
            card.name = f"{card.olt_id.name}/C{card.num_card}"


class SilverOltCardPort(models.Model):
    _name = "silver.olt.card.port"
    _description = "OLT PON Port"
    _order = "olt_id, olt_card_n, num_port"

    name = fields.Char(compute="_compute_name", store=True)
    olt_id = fields.Many2one("silver.olt", related="olt_card_id.olt_id", store=True)
    olt_card_id = fields.Many2one("silver.olt.card", required=True, ondelete="cascade")
    num_port = fields.Integer(string="Port")
    olt_card_n = fields.Integer(related="olt_card_id.num_card", store=True)
    capacity_port_pon = fields.Selection([("32", "32"), ("64", "64"), ("128", "128"), ("256", "256")], default="128")
    vlan_ids = fields.One2many("silver.vlan", "olt_port_id", string="VLANs")

    @api.depends("olt_card_id.name", "num_port")
    def _compute_name(self):
        for port in self:
            port.name = f"{port.olt_card_id.name}/P{port.num_port}"


class SilverVlan(models.Model):
    _name = "silver.vlan"
    _description = "VLAN"

    vlanid = fields.Integer(string="VLAN ID", required=True)
    name = fields.Char()
    vtype = fields.Selection(
        [("s-vlan", "S-VLAN"), ("c-vlan", "C-VLAN"), ("management", "Management")], default="s-vlan"
    )
    olt_id = fields.Many2one("silver.olt", ondelete="cascade")
    olt_port_id = fields.Many2one("silver.olt.card.port", ondelete="set null")
    core_id = fields.Many2one("silver.core", ondelete="set null")
