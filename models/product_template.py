from odoo import fields, models


class ProductTemplate(models.Model):
    """The plan's bandwidth fields (the suite's): redeclared without change, so the
    errors that name them do it in the user's language."""

    _inherit = "product.template"

    upload_bandwidth = fields.Float()
    download_bandwidth = fields.Float()
    burst_limit_upload = fields.Float()
    burst_limit_download = fields.Float()
    burst_threshold_upload = fields.Float()
    burst_threshold_download = fields.Float()
    burst_time_upload = fields.Integer()
    burst_time_download = fields.Integer()
    queue_priority = fields.Integer()
    traffic_profile_index = fields.Char()
