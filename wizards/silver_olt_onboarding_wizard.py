"""Onboarding an OLT that already has ONUs in service: link them to their contracts.

The ONUs are those of the OLT's last poll (the wizard can read the OLT again
first); each is matched to a contract by its serial, or by its description
holding the contract's reference.  The preview shows what matched, what is
ambiguous (the technician picks), the ONUs with no contract and the OLT's
contracts with no ONU on it.  Confirming fills the contracts' ONU fields in
one batch.  Nothing is sent to the device.
"""

import re

from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from ..models.silver_inventory_bulk import bulk_update
from ..models.silver_olt_inventory_store import vendor_serial

MATCHES = [
    ("serial", "Matched by serial"),
    ("description", "Matched by description"),
    ("linked", "Already linked"),
    ("ambiguous", "Ambiguous"),
    ("no_contract", "ONU with no contract"),
    ("no_onu", "Contract with no ONU on this OLT"),
]
#: what separates words in an ONU description ("CT-00056 Juan Perez", "CT-00056_JuanPerez")
_DESCRIPTION_SPLIT = re.compile(r"[\s,;|_()\[\]{}\"'#]+")
#: the contract fields the confirmation fills (no stored computation depends on them here)
ONU_FIELDS = [
    ("olt_id", "int4"),
    ("olt_card_id", "int4"),
    ("olt_port_id", "int4"),
    ("onu_pon_id", "int4"),
    ("onu_pon_id_set", "bool"),
    ("serial_number", "varchar"),
    ("inventory_onu_id", "int4"),
]


def description_tokens(description):
    text = (description or "").strip()
    tokens = {token.strip(".:-/").upper() for token in _DESCRIPTION_SPLIT.split(text)}
    tokens.add(text.upper())
    return tokens - {""}


class SilverOltOnboardingWizard(models.TransientModel):
    _name = "silver.olt.onboarding.wizard"
    _description = "Onboard the ONUs an OLT already has"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True)
    line_ids = fields.One2many("silver.olt.onboarding.line", "wizard_id", string="Preview")
    activate_contracts = fields.Boolean(
        string="Mark Inactive Contracts Active",
        default=True,
        help="A matched contract whose service is inactive in Odoo is in service on the network: record it "
        "as active (nothing is sent to the devices).",
    )
    last_read_at = fields.Datetime(related="olt_id.inventory_last_poll_at", string="ONU Table Read on")
    matched_count = fields.Integer(string="Matched", compute="_compute_counts")
    ambiguous_count = fields.Integer(string="Ambiguous", compute="_compute_counts")
    no_contract_count = fields.Integer(string="ONUs with No Contract", compute="_compute_counts")
    no_onu_count = fields.Integer(string="Contracts with No ONU", compute="_compute_counts")

    @api.depends("line_ids.match")
    def _compute_counts(self):
        for wizard in self:
            matches = wizard.line_ids.mapped("match")
            wizard.matched_count = sum(1 for match in matches if match in ("serial", "description"))
            wizard.ambiguous_count = matches.count("ambiguous")
            wizard.no_contract_count = matches.count("no_contract")
            wizard.no_onu_count = matches.count("no_onu")

    @api.model
    def _open_for(self, olt):
        wizard = self.create({"olt_id": olt.id})
        wizard._build_lines()
        return wizard._reopen()

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Onboard the ONUs of %s", self.olt_id.display_name),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_read_olt(self):
        """Read the OLT's ONU table now (a poll: nothing is changed on the device)."""
        self.ensure_one()
        self.olt_id._check_technician()
        try:
            result = self.olt_id.sudo()._job_poll_inventory()
        except RetryableJobError as error:
            # A job would wait for the OLT; the technician is told at once.
            raise UserError(str(error)) from error
        if isinstance(result, dict) and result.get("failed"):
            raise UserError(
                _("%(olt)s could not be read: %(error)s", olt=self.olt_id.display_name, error=result["failed"])
            )
        self._build_lines()
        return self._reopen()

    # -- matching -------------------------------------------------------------------
    def _build_lines(self):
        self.ensure_one()
        self.line_ids.unlink()
        olt = self.olt_id
        onus = self.env["silver.olt.onu"].search([("olt_id", "=", olt.id), ("is_present", "=", True)])
        contracts = self._candidate_contracts(onus)
        contracts_by_id = {contract.id: contract for contract in contracts}
        by_serial, by_reference = {}, {}
        for contract in contracts:
            serial = vendor_serial(contract.serial_number)
            if serial:
                by_serial.setdefault(serial, set()).add(contract.id)
            for reference in {contract.name or "", contract._device_description()} - {""}:
                by_reference.setdefault(reference.upper(), set()).add(contract.id)
        lines = []
        for onu in onus:
            serial_hits = by_serial.get(onu.serial_number or "", set())
            description_hits = set().union(
                *(by_reference.get(token, set()) for token in description_tokens(onu.description))
            )
            line = self._onu_line(onu, serial_hits, description_hits)
            held = vendor_serial(contracts_by_id[line["contract_id"]].serial_number) if line["contract_id"] else ""
            if line["match"] == "description" and held and held != onu.serial_number:
                # The contract holds another serial: linking would replace it unseen.
                line.update(match="ambiguous", contract_id=False, apply=False)
            lines.append(line)
        self._mark_shared_contracts(lines)
        proposed = {cid for line in lines for cid in line["candidate_ids"][0][2]}
        for contract in contracts:
            if (
                contract.olt_id == olt
                and contract.state_service in ("active", "suspended")
                and contract.id not in proposed
            ):
                lines.append(
                    {"match": "no_onu", "contract_id": contract.id, "apply": False, "candidate_ids": [(6, 0, [])]}
                )
        for line in lines:
            line["wizard_id"] = self.id
            if line["match"] in ("serial", "description"):
                onu = onus.browse(line["onu_id"])
                contract = contracts_by_id[line["contract_id"]]
                if self._already_linked(contract, onu):
                    line.update(match="linked", apply=False)
        self.env["silver.olt.onboarding.line"].create(lines)

    def _candidate_contracts(self, onus):
        """The OLT's contracts, those on no OLT yet, and any holding one of its serials; not terminated."""
        serials = [serial for serial in onus.mapped("serial_number") if serial]
        return self.env["silver.contract"].search(
            [
                ("state_service", "!=", "terminated"),
                "|",
                "|",
                ("olt_id", "=", self.olt_id.id),
                ("olt_id", "=", False),
                ("serial_number", "in", serials),
            ]
        )

    @staticmethod
    def _onu_line(onu, serial_hits, description_hits):
        candidates = serial_hits | description_hits
        line = {"onu_id": onu.id, "candidate_ids": [(6, 0, sorted(candidates))], "apply": False, "contract_id": False}
        if len(serial_hits) == 1 and description_hits <= serial_hits:
            line.update(match="serial", contract_id=next(iter(serial_hits)), apply=True)
        elif not serial_hits and len(description_hits) == 1:
            line.update(match="description", contract_id=next(iter(description_hits)), apply=True)
        elif candidates:
            line.update(match="ambiguous")
        else:
            line.update(match="no_contract")
        return line

    @staticmethod
    def _mark_shared_contracts(lines):
        """A contract two ONUs claim is ambiguous on both lines: the technician decides."""
        claims = {}
        for line in lines:
            if line["contract_id"]:
                claims.setdefault(line["contract_id"], []).append(line)
        for shared in claims.values():
            if len(shared) > 1:
                for line in shared:
                    line.update(match="ambiguous", contract_id=False, apply=False)

    def _already_linked(self, contract, onu):
        return (
            contract.olt_id == onu.olt_id
            and contract.olt_port_id == onu.port_id
            and contract.onu_pon_id == onu.onu_id
            and vendor_serial(contract.serial_number) == onu.serial_number
            and contract.inventory_onu_id == onu
        )

    # -- confirmation -----------------------------------------------------------------
    def action_confirm(self):
        """Fill the chosen contracts' ONU fields in one batch; nothing is sent to the device."""
        self.ensure_one()
        self.olt_id._check_technician()
        lines = self.line_ids.filtered(lambda line: line.apply and line.contract_id and line.onu_id)
        if not lines:
            raise UserError(_("Nothing to link: tick the lines to apply."))
        # The OLT's poll holds this lock while it stores its claims: linking beside
        # it would be overwritten by the older ones.
        self.olt_id._lock_for_session()
        self._check_lines(lines)
        contracts = lines.contract_id.sudo()
        rows = [
            (
                line.contract_id.id,
                self.olt_id.id,
                line.onu_id.port_id.olt_card_id.id,
                line.onu_id.port_id.id,
                line.onu_id.onu_id,
                True,
                line.onu_id.serial_number,
                line.onu_id.id,
            )
            for line in lines
        ]
        names = [name for name, _kind in ONU_FIELDS]
        # Dependent stored fields are told before and after, as write() does.
        contracts.modified(names, before=True)
        self.env.flush_all()
        bulk_update(self.env.cr, "silver_contract", ONU_FIELDS, rows)
        onu_rows = [(line.onu_id.id, line.contract_id.id) for line in lines]
        bulk_update(self.env.cr, "silver_olt_onu", [("contract_id", "int4")], onu_rows)
        self.env["silver.olt.onu"].invalidate_model(["contract_id"])
        contracts.invalidate_recordset(names)
        contracts.modified(names)
        if self.activate_contracts:
            contracts.filtered(lambda contract: contract.state_service == "inactive").write({"state_service": "active"})
        self.env["silver.provisioning.drift"].sudo().search(
            [
                ("kind", "=", "onu_without_contract"),
                ("state", "in", ("open", "accepted")),
                ("onu_id", "in", lines.onu_id.ids),
            ]
        ).write({"state": "resolved", "resolved_at": fields.Datetime.now(), "resolution": "onboarded"})
        # The position fields were written in one statement, past the ORM: their
        # constraints are run here, and the note says what tracking would have.
        contracts._validate_fields(names)
        for line in lines:
            line.contract_id.sudo()._message_log(
                body=_(
                    "ONU %(serial)s (%(pon)s, ONU ID %(onu)s) linked by the onboarding of %(olt)s "
                    "(nothing sent to the device).",
                    serial=line.onu_id.serial_number or "-",
                    pon=line.onu_id.pon,
                    onu=line.onu_id.onu_id,
                    olt=self.olt_id.display_name,
                )
            )
        return {"type": "ir.actions.act_window_close"}

    def _check_lines(self, lines):
        seen = {}
        for line in lines:
            if line.contract_id not in line.candidate_ids:
                raise UserError(_("%(onu)s: choose one of the contracts it matched.", onu=line.onu_id.display_label))
            if not line.onu_id.port_id:
                raise UserError(
                    _(
                        "%(onu)s: the OLT has no PON port record for %(pon)s; add it first.",
                        onu=line.onu_id.display_label,
                        pon=line.onu_id.pon,
                    )
                )
            if line.contract_id.state_service == "terminated":
                raise UserError(_("%s is terminated: it cannot take an ONU here.", line.contract_id.display_name))
            if line.contract_id in seen:
                raise UserError(
                    _(
                        "%(contract)s is chosen for two ONUs (%(one)s and %(two)s).",
                        contract=line.contract_id.display_name,
                        one=seen[line.contract_id],
                        two=line.onu_id.display_label,
                    )
                )
            seen[line.contract_id] = line.onu_id.display_label
            self._check_position_free(line)

    @staticmethod
    def _check_position_free(line):
        """Another contract in service on the ONU's position or serial keeps it: say which."""
        contract, onu = line.contract_id, line.onu_id
        holder = contract._onu_id_holder(onu.port_id, onu.onu_id)
        if holder:
            raise UserError(_("%(onu)s: its position is in service on %(other)s.", onu=onu.display_label, other=holder))
        holders = contract._serial_holders(onu.serial_number) if onu.serial_number else []
        if holders:
            raise UserError(
                _("%(onu)s: its serial is in service on %(other)s.", onu=onu.display_label, other=holders[0][1])
            )


class SilverOltOnboardingLine(models.TransientModel):
    _name = "silver.olt.onboarding.line"
    _description = "Onboarding preview line"
    _order = "match_order, pon, onu_number"

    wizard_id = fields.Many2one("silver.olt.onboarding.wizard", required=True, ondelete="cascade")
    onu_id = fields.Many2one("silver.olt.onu", string="ONU", readonly=True)
    pon = fields.Char(related="onu_id.pon", store=True)
    onu_number = fields.Integer(related="onu_id.onu_id", string="ONU ID", store=True)
    serial_number = fields.Char(related="onu_id.serial_number")
    description = fields.Char(related="onu_id.description")
    run_state = fields.Selection(related="onu_id.run_state")
    match = fields.Selection(MATCHES, required=True, readonly=True)
    match_order = fields.Integer(compute="_compute_match_order", store=True)
    candidate_ids = fields.Many2many("silver.contract", string="Candidates", readonly=True)
    contract_id = fields.Many2one("silver.contract", domain="[('id', 'in', candidate_ids)]")
    apply = fields.Boolean(string="Link")

    @api.depends("match")
    def _compute_match_order(self):
        order = {key: index for index, (key, _label) in enumerate(MATCHES)}
        for line in self:
            line.match_order = order.get(line.match, 99)

    @api.onchange("contract_id")
    def _onchange_contract_id(self):
        if self.contract_id and self.onu_id:
            self.apply = True
