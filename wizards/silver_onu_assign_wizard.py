from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..drivers import validation
from ..drivers.errors import InvalidInput


class SilverOnuAssignWizard(models.TransientModel):
    """Assign a discovered (or scanned) ONU to a contract, optionally activating it."""

    _name = "silver.onu.assign.wizard"
    _description = "Assign an ONU to a contract"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True)
    olt_port_id = fields.Many2one(
        "silver.olt.card.port", string="PON Port", domain="[('olt_id', '=', olt_id)]"
    )
    discovered_onu_id = fields.Many2one(
        "silver.olt.discovered.onu",
        string="Discovered ONU",
        domain="[('olt_id', '=', olt_id), ('is_assigned', '=', False), ('is_present', '=', True)]"
        " + ([('olt_port_id', '=', olt_port_id)] if olt_port_id else [])",
    )
    serial_number = fields.Char(
        compute="_compute_serial_number",
        store=True,
        readonly=False,
        help="Filled from the discovered ONU, or typed/scanned: HWTC0B086EA9 or 485754430B086EA9.",
    )
    contract_id = fields.Many2one(
        "silver.contract",
        required=True,
        domain="[('state_service', 'in', ('inactive', 'terminated'))]",
    )
    activate = fields.Boolean(string="Activate now", help="Provision the ONU and the router right away.")

    @api.depends("discovered_onu_id")
    def _compute_serial_number(self):
        for wizard in self:
            if wizard.discovered_onu_id:
                wizard.serial_number = wizard.discovered_onu_id.serial_number

    @api.onchange("discovered_onu_id")
    def _onchange_discovered_onu_id(self):
        if self.discovered_onu_id.olt_port_id:
            self.olt_port_id = self.discovered_onu_id.olt_port_id

    def _resolved_serial(self):
        try:
            return validation.normalize_serial(self.serial_number or "", "serial_number")
        except InvalidInput as error:
            raise UserError(_("%(field)s: %(reason)s", field=self._fields["serial_number"].string,
                              reason=error.reason)) from None

    def _check_serial_free(self, serial, contract):
        """Refuse an ONU that is in service on another contract (either spelling of its serial)."""
        holder = self.env["silver.contract"].sudo().search([
            ("id", "!=", contract.id),
            ("state_service", "in", ("active", "suspended")),
            "|", ("serial_number", "=ilike", serial), ("serial_number", "=ilike", validation.serial_to_hex(serial)),
        ], limit=1)
        if holder:
            raise UserError(_("%(field)s: %(serial)s is already in service on %(contract)s.",
                              field=self._fields["serial_number"].string, serial=serial,
                              contract=holder.display_name))

    def action_assign(self):
        self.ensure_one()
        contract = self.contract_id
        contract.olt_id._check_technician()
        # The form's domain is not enforced over RPC: a live service keeps its ONU.
        contract._check_state(("inactive", "terminated"), _("given another ONU"))
        serial = self._resolved_serial()
        self._check_serial_free(serial, contract)
        discovered = self.discovered_onu_id or self.env["silver.olt.discovered.onu"].search(
            [("olt_id", "=", self.olt_id.id), ("serial_number", "=", serial)], limit=1
        )
        port = self.olt_port_id or discovered.olt_port_id
        if not port:
            raise UserError(_("%s: choose the PON port the ONU is connected to.",
                              self._fields["olt_port_id"].string))
        if port.olt_id != self.olt_id:
            raise UserError(_("%(port)s is not a port of %(olt)s.", port=port.display_name,
                              olt=self.olt_id.display_name))
        contract.write({
            "serial_number": serial,
            "olt_id": self.olt_id.id,
            "olt_card_id": port.olt_card_id.id,
            "olt_port_id": port.id,
        })
        if discovered:
            discovered.sudo().write({"contract_id": contract.id})
        if self.activate:
            contract.action_activate_service()
        return {
            "type": "ir.actions.act_window",
            "res_model": "silver.contract",
            "res_id": contract.id,
            "view_mode": "form",
            "target": "current",
        }
