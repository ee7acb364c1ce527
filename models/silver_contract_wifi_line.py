from odoo import fields, models

OPERATOR = "silver_provisioning.group_provisioning_operator"


class SilverContractWifiLine(models.Model):
    _name = "silver.contract.wifi.line"
    _inherit = ["silver.contract.wifi.line", "silver.provisioning.field.guard"]
    _secret_fields = ("password",)

    # The WiFi key: for provisioning operators and above, never searched by value.
    password = fields.Char(groups=OPERATOR)
    # Suite fields redeclared without change: errors name them, in the user's language.
    ssid_index = fields.Integer()
    name = fields.Char()
    auth_mode = fields.Selection()
    encrypt_type = fields.Selection()
