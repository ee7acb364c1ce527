from odoo import _, api, fields, models

#: how much the recorded ONU status says (an RX power of 0.00 dBm that nobody measured says nothing)
STATUS_QUALITY = [
    ("unknown", "Unknown"),
    ("stale", "Stale"),
    ("read", "Read"),
]


class SilverContractStatus(models.Model):
    """Whether the ONU status on a contract was read, and when reading it failed."""

    _inherit = "silver.contract"

    onu_status_quality = fields.Selection(
        STATUS_QUALITY,
        string="ONU Status Quality",
        readonly=True,
        copy=False,
        help="Unknown: never read (or the last read did not answer for the ONU). "
        "Stale: the last read failed; the values shown are not the ONU's present ones. "
        "Read: the values come from the last read.",
    )
    onu_rx_power_read = fields.Boolean(
        string="RX Power Measured",
        readonly=True,
        copy=False,
        help="Whether the OLT gave an RX power at the last read (many report none for an offline ONU).",
    )
    onu_status_summary = fields.Char(string="ONU Status", compute="_compute_onu_status_summary")

    @api.depends("onu_status_quality", "onu_online", "onu_rx_power", "onu_rx_power_read", "onu_status_date")
    def _compute_onu_status_summary(self):
        for contract in self:
            contract.onu_status_summary = contract._onu_status_words()

    def _onu_status_words(self):
        if self.onu_status_quality == "stale":
            return _("stale: the last read failed (%s)", fields.Datetime.to_string(self.onu_status_date) or "-")
        if self.onu_status_quality != "read":
            return _("unknown: not read")
        state = _("online") if self.onu_online else _("offline")
        if not self.onu_rx_power_read:
            return _("%s, RX power not measured", state)
        return _("%(state)s, RX %(rx).2f dBm", state=state, rx=self.onu_rx_power)

    def _status_values(self, status):
        if status is None:
            return {
                "olt_state": "pending",
                "onu_online": False,
                "onu_rx_power": 0.0,
                "onu_rx_power_read": False,
                "onu_status_quality": "unknown",
                "onu_status_date": fields.Datetime.now(),
            }
        online = status.run_state == "online"
        measured = status.rx_power_dbm is not None
        return {
            "onu_online": online,
            "onu_rx_power": status.rx_power_dbm if measured else 0.0,
            "onu_rx_power_read": measured,
            "onu_status_quality": "read",
            "olt_state": "active" if online else "down",
            "onu_status_date": fields.Datetime.now(),
        }

    def _mark_status_stale(self):
        """After a failed read: the old 'online, -15.57' no longer holds."""
        self.write(
            {
                "onu_status_quality": "stale",
                "onu_online": False,
                "onu_rx_power_read": False,
                "onu_status_date": fields.Datetime.now(),
            }
        )

    def _status_read_notification(self, read, failed):
        """What Read status did, as a notification; the form reloads to show the values and the log."""
        if failed:
            message = _("The status could not be read; it is marked stale.") + "\n" + "\n".join(failed)
            kind, title = "danger", _("Read ONU status failed")
        else:
            message = "\n".join(f"{contract.display_name}: {contract.onu_status_summary}" for contract in read)
            kind, title = "success", _("ONU status read")
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": bool(failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
