"""The provisioned-ONU list (contracts holding an ONU) and the OLT dashboard.

The RX level is judged against the OLT's own thresholds (rx_*_dbm, from the
polling): the same bands the polls raise alarms with, without their
hysteresis (the list shows what was read, the alarms remember what was).
"""

from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.addons.queue_job.job import identity_exact
from odoo.exceptions import UserError
from odoo.tools import SQL

#: the services whose ONU is registered on the OLT
IN_SERVICE = ("active", "suspended")
RX_LEVELS = [
    ("ok", "OK"),
    ("warning", "Low"),
    ("critical", "Critical"),
    ("overload", "Overload"),
    ("unmeasured", "Not Measured"),
    ("never", "Never Read"),
    ("stale", "Stale"),
]
LOW_SIGNAL = ("warning", "critical")
#: the dashboard's counts -> the list filter each one opens
DASHBOARD_FILTERS = ("online", "offline", "low_signal", "never_read")

# Polls and reads store 0.0 where the ONU gave no RX (an offline ONU): a real
# 0 dBm is 8 dB past the overload of any GPON receiver, so 0.0 is "none".
# A failed read leaves the last RX in place, marked stale: never judged as if read now.
_LEVEL_SQL = SQL(
    """CASE
        WHEN c.onu_status_date IS NULL THEN 'never'
        WHEN c.onu_status_quality = 'stale' THEN 'stale'
        WHEN COALESCE(c.onu_rx_power, 0) = 0 THEN 'unmeasured'
        WHEN c.onu_rx_power > o.rx_overload_dbm THEN 'overload'
        WHEN c.onu_rx_power <= o.rx_critical_dbm THEN 'critical'
        WHEN c.onu_rx_power <= o.rx_warning_dbm THEN 'warning'
        ELSE 'ok' END"""
)


def rx_level(rx, read_at, olt, quality=None):
    """The level of one reading against ``olt``'s thresholds (as _LEVEL_SQL judges it)."""
    if not read_at:
        return "never"
    if quality == "stale":
        return "stale"
    if not rx:
        return "unmeasured"
    if rx > olt.rx_overload_dbm:
        return "overload"
    if rx <= olt.rx_critical_dbm:
        return "critical"
    if rx <= olt.rx_warning_dbm:
        return "warning"
    return "ok"


class SilverContractOnuList(models.Model):
    _inherit = "silver.contract"

    onu_rx_level = fields.Selection(
        RX_LEVELS,
        string="RX Level",
        compute="_compute_onu_rx_level",
        search="_search_onu_rx_level",
        help="The last RX power read against the OLT's thresholds.",
    )

    @api.depends(
        "onu_rx_power",
        "onu_status_date",
        "onu_status_quality",
        "olt_id.rx_warning_dbm",
        "olt_id.rx_critical_dbm",
        "olt_id.rx_overload_dbm",
    )
    def _compute_onu_rx_level(self):
        for contract in self:
            contract.onu_rx_level = rx_level(
                contract.onu_rx_power,
                contract.onu_status_date,
                contract.olt_id,
                quality=contract.onu_status_quality,
            )

    def _search_onu_rx_level(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(_("RX Level: unsupported search operator %s.", operator))
        values = [value] if isinstance(value, str) else list(value or [])
        self.flush_model(["onu_rx_power", "onu_status_date", "onu_status_quality", "olt_id"])
        self.env["silver.olt"].flush_model(["rx_warning_dbm", "rx_critical_dbm", "rx_overload_dbm"])
        self.env.cr.execute(
            SQL(
                "SELECT c.id FROM silver_contract c LEFT JOIN silver_olt o ON o.id = c.olt_id WHERE (%s) = ANY(%s)",
                _LEVEL_SQL,
                values,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        return [("id", "not in" if operator in ("!=", "not in") else "in", ids)]

    # -- Read status, on many contracts -------------------------------------------
    def action_read_status_queued(self):
        """Queue one read per OLT of the selected contracts: each OLT's table is read in
        one session and the contracts get what it holds for them."""
        self._check_operator()
        contracts = self.filtered(lambda c: c.olt_id and c.state_service in IN_SERVICE)
        skipped = self - contracts
        for olt in contracts.olt_id:
            mine = contracts.filtered(lambda c, olt=olt: c.olt_id == olt)
            olt.sudo()._enqueue_contract_status_read(mine.ids)
        if not contracts:
            raise UserError(_("None of the selected contracts has an ONU in service on an OLT."))
        message = _(
            "Reading the status of %(count)s contracts on %(olts)s OLTs in the background; "
            "each contract's chatter will say what was read.",
            count=len(contracts),
            olts=len(contracts.olt_id),
        )
        if skipped:
            message += " " + _("%s contracts without an ONU in service were left out.", len(skipped))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Read status queued"), "message": message, "type": "info", "sticky": False},
        }

    def _post_status_read(self, failure=None):
        """One line in the contract's chatter: what the background read found for it."""
        self.ensure_one()
        if failure:
            body = Markup("<p><b>{}</b>: {}</p>").format(_("Status not read"), failure)
        else:
            body = Markup("<p><b>{}</b>: {}</p>").format(_("Status read"), self._status_read_words())
        self._post_log_message(body)

    def _status_read_words(self):
        if self.onu_run_state == "missing" or self.onu_admin_state == "missing":
            return _("the ONU is not in the OLT's table")
        states = dict(self._fields["onu_run_state"]._description_selection(self.env))
        levels = dict(self._fields["onu_rx_level"]._description_selection(self.env))
        state = states.get(self.onu_run_state) or (_("Online") if self.onu_online else _("Offline"))
        if self.onu_rx_level in ("never", "unmeasured"):
            return _("%(state)s, no RX power measured", state=state)
        return _(
            "%(state)s, RX %(rx).2f dBm (%(level)s)",
            state=state,
            rx=self.onu_rx_power,
            level=levels[self.onu_rx_level],
        )


class SilverOltDashboard(models.Model):
    _inherit = "silver.olt"

    onu_online_count = fields.Integer(string="Online", compute="_compute_onu_dashboard_counts")
    onu_offline_count = fields.Integer(string="Offline", compute="_compute_onu_dashboard_counts")
    onu_low_signal_count = fields.Integer(string="Low Signal", compute="_compute_onu_dashboard_counts")
    onu_never_read_count = fields.Integer(string="Never Read", compute="_compute_onu_dashboard_counts")
    onu_waiting_count = fields.Integer(
        string="Waiting", compute="_compute_onu_dashboard_counts", help="ONUs in auto-find with no contract yet."
    )

    @api.model
    def _onu_filter_domains(self):
        """The provisioned-ONU list's filters, as domains (the dashboard counts with them)."""
        return {
            "online": [("state_service", "in", IN_SERVICE), ("onu_online", "=", True)],
            # A stale status is not an ONU seen offline: its read failed (the OLT may be down).
            "offline": [
                ("state_service", "=", "active"),
                ("onu_status_date", "!=", False),
                ("onu_status_quality", "!=", "stale"),
                ("onu_online", "=", False),
            ],
            "low_signal": [("state_service", "in", IN_SERVICE), ("onu_rx_level", "in", LOW_SIGNAL)],
            "never_read": [("state_service", "in", IN_SERVICE), ("onu_status_date", "=", False)],
        }

    def _compute_onu_dashboard_counts(self):
        Contract = self.env["silver.contract"]
        counts = {}
        for name, domain in self._onu_filter_domains().items():
            groups = Contract._read_group([("olt_id", "in", self.ids), *domain], ["olt_id"], ["__count"])
            counts[name] = {olt.id: count for olt, count in groups}
        waiting = self.env["silver.olt.discovered.onu"]._read_group(
            [("olt_id", "in", self.ids), ("is_assigned", "=", False), ("is_present", "=", True)],
            ["olt_id"],
            ["__count"],
        )
        counts["waiting"] = {olt.id: count for olt, count in waiting}
        for olt in self:
            olt.onu_online_count = counts["online"].get(olt.id, 0)
            olt.onu_offline_count = counts["offline"].get(olt.id, 0)
            olt.onu_low_signal_count = counts["low_signal"].get(olt.id, 0)
            olt.onu_never_read_count = counts["never_read"].get(olt.id, 0)
            olt.onu_waiting_count = counts["waiting"].get(olt.id, 0)

    def action_open_provisioned_onus(self):
        """The ONU list of these OLTs, with the filter the dashboard's count names (context onu_filter)."""
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_provisioned_onu_action")
        context = {"search_default_in_service": 1}
        chosen = self.env.context.get("onu_filter")
        if chosen in DASHBOARD_FILTERS:
            context = {f"search_default_{chosen}": 1}
        if len(self) == 1:
            context["search_default_olt_id"] = self.id
            action["display_name"] = _("ONUs of %s", self.display_name)
        else:
            action["domain"] = [("olt_id", "in", self.ids)]
        action["context"] = context
        return action

    def action_open_waiting_onus(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_olt_discovered_onu_action")
        action["domain"] = [("olt_id", "in", self.ids)]
        action["context"] = {"search_default_waiting": 1}
        return action

    # -- Read status of chosen contracts ----------------------------------------------
    def _enqueue_contract_status_read(self, contract_ids):
        """One job on the OLT's channel (never beside a poll or a sync of the same OLT)."""
        self.ensure_one()
        self._ensure_inventory_channel()
        return self.with_delay(
            channel=self._inventory_channel(),
            description=_("Read the status of %(count)s contracts on %(olt)s", count=len(contract_ids), olt=self.name),
            identity_key=identity_exact,
            max_retries=3,
        )._job_read_contract_status(sorted(contract_ids))

    def _job_read_contract_status(self, contract_ids):
        """Job: the OLT's whole table in one session (the poll's own read and store),
        then each chosen contract's result in its chatter."""
        self.ensure_one()
        summary = self._job_poll_inventory()
        contracts = self.env["silver.contract"].sudo().browse(contract_ids).exists()
        failure = summary.get("failed")
        if failure:
            # As a failed Read ONU Status on the form: what was read before no longer holds.
            contracts._mark_status_stale()
        for contract in contracts:
            contract._post_status_read(failure)
        return summary
