from odoo import fields, models

from .silver_olt import REQUIRE_PINNED_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    silver_require_pinned_keys = fields.Boolean(
        string="Refuse Unpinned Devices",
        config_parameter=REQUIRE_PINNED_PARAM,
        help="Default for OLTs and routers left on 'As in Settings': no session goes to a device whose SSH host "
        "key or TLS certificate is not pinned (nor over Telnet or the plain API, which have none).",
    )
