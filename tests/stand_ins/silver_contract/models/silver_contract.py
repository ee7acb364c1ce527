from odoo import fields, models

NETWORK_STATES = [("down", "Down"), ("active", "Active"), ("pending", "Pending")]


class SilverContract(models.Model):
    _name = "silver.contract"
    _description = "Contract"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name desc, id desc"

    name = fields.Char(required=True, copy=False, default="/", tracking=True)
    partner_id = fields.Many2one("res.partner", string="Customer", required=True, tracking=True)
    state = fields.Selection(
        [("draft", "Draft"), ("open", "Open"), ("active", "Active"), ("closed", "Closed")],
        default="draft",
        tracking=True,
    )
    state_service = fields.Selection(
        [
            ("inactive", "Inactive"),
            ("active", "Active"),
            ("suspended", "Suspended"),
            ("terminated", "Terminated"),
        ],
        string="Service State",
        default="inactive",
        tracking=True,
    )
    line_ids = fields.One2many("silver.contract.line", "contract_id", string="Lines")

    olt_id = fields.Many2one("silver.olt", string="OLT")
    olt_card_id = fields.Many2one("silver.olt.card", string="Card")
    olt_port_id = fields.Many2one("silver.olt.card.port", string="PON Port")
    core_id = fields.Many2one("silver.core", string="Router")
    onu_pon_id = fields.Integer(string="ONU ID")
    vlan_id = fields.Many2one("silver.vlan", string="VLAN")
    pppoe_user = fields.Char(string="PPPoE User")
    pppoe_password = fields.Char(string="PPPoE Password")
    serial_number = fields.Char(string="ONU Serial")
    wifi_line_ids = fields.One2many("silver.contract.wifi.line", "contract_id", string="WiFi")
    is_bridge = fields.Boolean(string="Bridge")
    ip_public = fields.Char(string="Public IP")
    is_ip_public = fields.Boolean(string="Has Public IP")
    olt_state = fields.Selection(NETWORK_STATES, string="ONU State")
    date_active = fields.Datetime(string="Activated on")
    date_cut = fields.Datetime(string="Cut on")
    date_reconnection = fields.Datetime(string="Reconnected on")


class SilverContractLine(models.Model):
    _name = "silver.contract.line"
    _description = "Contract Line"

    contract_id = fields.Many2one("silver.contract", required=True, ondelete="cascade")
    line_type = fields.Selection([("recurring", "Recurring"), ("one_time", "One Time")], default="recurring")
    product_id = fields.Many2one("product.product")
    name = fields.Char(string="Description")


class SilverContractWifiLine(models.Model):
    _name = "silver.contract.wifi.line"
    _description = "Contract WiFi Network"
    _order = "ssid_index"

    contract_id = fields.Many2one("silver.contract", required=True, ondelete="cascade")
    ssid_index = fields.Integer(string="SSID Index", default=1)
    name = fields.Char(string="SSID")
    password = fields.Char()
    is_hidden = fields.Boolean(string="Hidden")
    auth_mode = fields.Selection(
        [("wpapsk/wpa2psk", "WPA/WPA2-PSK"), ("wpa2psk", "WPA2-PSK"), ("open", "Open")], default="wpa2psk"
    )
    encrypt_type = fields.Selection([("tkipaes", "TKIP+AES"), ("aes", "AES")], default="aes")
