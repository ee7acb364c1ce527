from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    upload_bandwidth = fields.Float(string="Upload (Mbps)")
    download_bandwidth = fields.Float(string="Download (Mbps)")
    burst_limit_upload = fields.Float(string="Burst Limit Upload (Mbps)")
    burst_limit_download = fields.Float(string="Burst Limit Download (Mbps)")
    burst_threshold_upload = fields.Float(string="Burst Threshold Upload (Mbps)")
    burst_threshold_download = fields.Float(string="Burst Threshold Download (Mbps)")
    burst_time_upload = fields.Integer(string="Burst Time Upload (s)")
    burst_time_download = fields.Integer(string="Burst Time Download (s)")
    queue_priority = fields.Integer(default=8)
    traffic_profile_index = fields.Char(string="Traffic Profile")
