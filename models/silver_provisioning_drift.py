"""The drift ledger: every contract whose billing state and device state disagree.

After each poll the ledger is brought up to date for the contracts that poll
saw: a disagreement found for the first time opens an entry (``since``), one
that is still there stays as it is (open, or accepted with a reason), one that
is gone is resolved.  "Converge" replays the contract's operation on its
devices through the contract's own methods (logged in its chatter like every
operation); the next poll confirms it.  A daily summary goes to the network
administrators.
"""

from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .silver_inventory_bulk import bulk_insert

DRIFT_KINDS = [
    ("active_onu_missing", "Active, ONU not on the OLT"),
    ("active_onu_disabled", "Active, ONU disabled"),
    ("active_secret_missing", "Active, no PPPoE secret"),
    ("active_secret_disabled", "Active, PPPoE secret disabled"),
    ("suspended_not_cut", "Suspended, still connected"),
    ("terminated_onu_registered", "Terminated, ONU still registered"),
    ("terminated_secret_enabled", "Terminated, PPPoE secret still enabled"),
    ("onu_without_contract", "ONU with no contract"),
]
#: kinds whose convergence removes something from a device: network administrators only
REMOVING_KINDS = ("terminated_onu_registered", "terminated_secret_enabled")
SECRET_CUT = ("disabled", "suspended", "missing")
ONU_CUT = ("disabled", "missing")


def contract_drift_kinds(contract):
    """The disagreements between one contract's service state and the devices' last readings.

    Only what was read counts: a device never polled judges nothing.
    """
    kinds = set()
    onu = contract.onu_admin_state or ""
    secret = contract.pppoe_secret_state or "" if contract.core_id else ""
    state = contract.state_service
    if state == "active":
        if onu == "missing":
            kinds.add("active_onu_missing")
        elif onu == "disabled":
            kinds.add("active_onu_disabled")
        if secret == "missing":
            kinds.add("active_secret_missing")
        elif secret in ("disabled", "suspended"):
            kinds.add("active_secret_disabled")
    elif state == "suspended":
        known = (onu or not contract.olt_id) and (secret or not contract.core_id)
        cut = onu in ONU_CUT or (contract.core_id and secret in SECRET_CUT)
        if known and not cut and (contract.olt_id or contract.core_id):
            kinds.add("suspended_not_cut")
    elif state == "terminated":
        if onu in ("enabled", "disabled"):
            kinds.add("terminated_onu_registered")
        if secret == "enabled":
            kinds.add("terminated_secret_enabled")
    return kinds


class SilverProvisioningDrift(models.Model):
    _name = "silver.provisioning.drift"
    _description = "Provisioning Drift"
    _order = "state, since desc, id desc"

    name = fields.Char(compute="_compute_name")
    kind = fields.Selection(DRIFT_KINDS, required=True, index=True)
    state = fields.Selection(
        [("open", "Open"), ("accepted", "Accepted"), ("resolved", "Resolved")],
        default="open",
        required=True,
        index=True,
    )
    contract_id = fields.Many2one("silver.contract", ondelete="cascade", index=True)
    onu_id = fields.Many2one("silver.olt.onu", string="ONU", ondelete="cascade")
    olt_id = fields.Many2one("silver.olt", string="OLT", ondelete="cascade", index=True)
    core_id = fields.Many2one("silver.core", string="Router", ondelete="cascade", index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id")
    state_service = fields.Selection(related="contract_id.state_service")
    serial_number = fields.Char(related="onu_id.serial_number")
    pon = fields.Char(related="onu_id.pon")
    since = fields.Datetime(required=True, help="The first poll that found this disagreement.")
    last_seen = fields.Datetime(help="The last poll that still found it.")
    resolved_at = fields.Datetime(readonly=True)
    resolution = fields.Selection(
        [("gone", "No longer found"), ("converged", "Converged"), ("onboarded", "Onboarded")], readonly=True
    )
    accept_reason = fields.Text(readonly=True)
    accepted_by_id = fields.Many2one("res.users", string="Accepted by", readonly=True)
    accepted_at = fields.Datetime(readonly=True)
    converged_at = fields.Datetime(readonly=True, help="When the contract's operation was last replayed.")
    converged_by_id = fields.Many2one("res.users", string="Converged by", readonly=True)

    @api.depends("kind", "contract_id", "onu_id")
    def _compute_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for drift in self:
            subject = drift.contract_id.name or drift.onu_id.display_label or ""
            drift.name = f"{subject}: {kinds.get(drift.kind, '')}"

    # -- bringing the ledger up to date -------------------------------------------------
    @api.model
    def _refresh_olt(self, olt, outcome, now):
        """After a poll of ``olt``: its contracts and its ONUs with no contract."""
        scope = set(outcome.contracts)
        open_here = self.search_fetch([("olt_id", "=", olt.id), ("state", "in", ("open", "accepted"))], ["contract_id"])
        scope |= {drift.contract_id.id for drift in open_here if drift.contract_id}
        wanted = self._contract_drifts(scope)
        wanted.update({(False, onu, "onu_without_contract"): {"onu_id": onu} for onu in outcome.orphans})
        return self._sync(
            wanted,
            [
                "|",
                ("contract_id", "in", sorted(scope)),
                "&",
                ("olt_id", "=", olt.id),
                ("kind", "=", "onu_without_contract"),
            ],
            now,
            {"olt_id": olt.id},
        )

    @api.model
    def _refresh_router(self, core, contract_ids, now):
        scope = set(contract_ids)
        open_here = self.search_fetch(
            [("core_id", "=", core.id), ("state", "in", ("open", "accepted"))], ["contract_id"]
        )
        scope |= {drift.contract_id.id for drift in open_here if drift.contract_id}
        return self._sync(
            self._contract_drifts(scope), [("contract_id", "in", sorted(scope))], now, {"core_id": core.id}
        )

    def _contract_drifts(self, contract_ids):
        """(contract id, False, kind) -> values, for each disagreement of these contracts (one query)."""
        contracts = self.env["silver.contract"].search_fetch(
            [("id", "in", sorted(contract_ids))],
            ["state_service", "olt_id", "core_id", "onu_admin_state", "pppoe_secret_state", "inventory_onu_id"],
        )
        wanted = {}
        for contract in contracts:
            for kind in contract_drift_kinds(contract):
                wanted[(contract.id, False, kind)] = {
                    "contract_id": contract.id,
                    "onu_id": contract.inventory_onu_id.id or None,
                    "olt_id": contract.olt_id.id or None,
                    "core_id": contract.core_id.id or None,
                }
        return wanted

    def _sync(self, wanted, scope_domain, now, device):
        """Open what is new, keep what goes on, resolve what is gone; a few queries in all."""
        current = self.search_fetch(
            [("state", "in", ("open", "accepted")), *scope_domain], ["contract_id", "onu_id", "kind", "converged_at"]
        )
        by_key = {}
        for drift in current:
            key = (drift.contract_id.id or False, False if drift.contract_id else drift.onu_id.id, drift.kind)
            by_key[key] = drift
        going_on = self.browse([drift.id for key, drift in by_key.items() if key in wanted])
        gone = self.browse([drift.id for key, drift in by_key.items() if key not in wanted])
        if going_on:
            going_on.write({"last_seen": now})
        for resolution, drifts in (
            ("converged", gone.filtered("converged_at")),
            ("gone", gone.filtered(lambda drift: not drift.converged_at)),
        ):
            if drifts:
                drifts.write({"state": "resolved", "resolved_at": now, "resolution": resolution})
        new = [(key, values) for key, values in wanted.items() if key not in by_key]
        columns = [
            ("kind", "varchar"),
            ("state", "varchar"),
            ("contract_id", "int4"),
            ("onu_id", "int4"),
            ("olt_id", "int4"),
            ("core_id", "int4"),
            ("since", "timestamp"),
            ("last_seen", "timestamp"),
            ("create_uid", "int4"),
            ("create_date", "timestamp"),
            ("write_uid", "int4"),
            ("write_date", "timestamp"),
        ]
        uid = self.env.uid
        bulk_insert(
            self.env.cr,
            self._table,
            columns,
            [
                (
                    key[2],
                    "open",
                    values.get("contract_id") or None,
                    values.get("onu_id") or None,
                    values.get("olt_id") or device.get("olt_id"),
                    values.get("core_id") or device.get("core_id"),
                    now,
                    now,
                    uid,
                    now,
                    uid,
                    now,
                )
                for key, values in new
            ],
        )
        self.invalidate_model()
        return {"drifts_opened": len(new), "drifts_resolved": len(gone)}

    # -- actions ------------------------------------------------------------------------
    def action_converge(self):
        """Replay each contract's operation on its devices; the entry stays open until
        a poll no longer finds the disagreement (then it is resolved as converged)."""
        for drift in self:
            drift._check_converge_rights()
            if drift.state == "resolved":
                continue
            drift._converge()
            drift.sudo().write({"converged_at": fields.Datetime.now(), "converged_by_id": self.env.uid})
        return True

    def _check_converge_rights(self):
        group = (
            "silver_provisioning.group_network_admin"
            if self.kind in REMOVING_KINDS
            else "silver_provisioning.group_provisioning_operator"
        )
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(_("You may not converge this kind of drift."))

    def _converge(self):
        """One replay per kind, each through the contract's own operation methods."""
        self.ensure_one()
        contract = self.contract_id
        if not contract:
            raise UserError(
                _(
                    "%s: an ONU with no contract is onboarded (link it to its contract) or removed on "
                    "the OLT by hand; accept it to keep it as it is.",
                    self.name,
                )
            )
        replay = {
            "active_onu_missing": contract._inventory_replay_activation,
            "active_onu_disabled": contract._inventory_replay_activation,
            "active_secret_missing": contract._inventory_replay_activation,
            "active_secret_disabled": contract._inventory_replay_activation,
            "suspended_not_cut": contract._inventory_replay_suspension,
            "terminated_onu_registered": lambda: contract._inventory_replay_termination(self.onu_id),
            "terminated_secret_enabled": lambda: contract._inventory_replay_termination(False),
        }[self.kind]
        replay()

    def action_open_accept_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Accept Drift"),
            "res_model": "silver.provisioning.drift.accept.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_drift_ids": [(6, 0, self.ids)]},
        }

    def _accept(self, reason):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_network_admin"):
            raise AccessError(_("Only network administrators may accept a drift."))
        if not (reason or "").strip():
            raise UserError(_("Say why the drift is accepted."))
        self.write(
            {
                "state": "accepted",
                "accept_reason": reason.strip(),
                "accepted_by_id": self.env.uid,
                "accepted_at": fields.Datetime.now(),
            }
        )
        for drift in self.filtered("contract_id"):
            drift.contract_id.message_post(
                body=Markup("<p>{}</p><p>{}</p>").format(_("Drift accepted: %s", drift.name), reason.strip()),
                subtype_xmlid="mail.mt_note",
            )
        return True

    # -- the daily summary ------------------------------------------------------------------
    @api.model
    def _cron_daily_summary(self, now=None):
        """One message to the network administrators: what is open, what is new since yesterday."""
        now = now or fields.Datetime.now()
        since = fields.Datetime.subtract(now, days=1)
        groups = self._read_group([("state", "=", "open")], ["kind"], ["__count"])
        if not groups:
            return False
        new = self.search_count([("state", "=", "open"), ("since", ">=", since)])
        resolved = self.search_count([("state", "=", "resolved"), ("resolved_at", ">=", since)])
        accepted = self.search_count([("state", "=", "accepted")])
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        rows = Markup().join(
            Markup("<tr><td>{}</td><td>{}</td></tr>").format(kinds[kind], count) for kind, count in groups
        )
        total = sum(count for _kind, count in groups)
        body = Markup(
            "<p>{intro}</p><table class='table table-sm'><tbody>{rows}</tbody></table><p>{changes}</p>"
        ).format(
            intro=_("%s contracts or ONUs disagree with the devices:", total),
            rows=rows,
            changes=_(
                "%(new)s new and %(resolved)s resolved in the last 24 hours; %(accepted)s accepted.",
                new=new,
                resolved=resolved,
                accepted=accepted,
            ),
        )
        admins = self.env.ref("silver_provisioning.group_network_admin").users.filtered(
            lambda user: not user.share and user.active
        )
        if not admins:
            return False
        self.env["mail.thread"].sudo().message_notify(
            partner_ids=admins.partner_id.ids,
            subject=_("Provisioning drift: %s open", total),
            body=body,
        )
        return True
