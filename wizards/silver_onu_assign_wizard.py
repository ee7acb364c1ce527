from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..drivers import validation
from ..drivers.errors import InvalidInput


class SilverOnuAssignWizard(models.TransientModel):
    """Assign a discovered (or scanned) ONU to a contract, optionally activating it.

    Opened from a contract, a discovered ONU or the menu: whichever is known
    first (the contract, the discovered ONU, a typed serial) fills in the rest.
    """

    _name = "silver.onu.assign.wizard"
    _description = "Assign an ONU to a contract"

    olt_id = fields.Many2one("silver.olt", string="OLT", required=True)
    olt_port_id = fields.Many2one("silver.olt.card.port", string="PON Port", domain="[('olt_id', '=', olt_id)]")
    discovered_onu_id = fields.Many2one(
        "silver.olt.discovered.onu",
        string="Discovered ONU",
        domain="[('olt_id', '=', olt_id), ('is_assigned', '=', False), ('is_present', '=', True)]"
        " + ([('olt_port_id', '=', olt_port_id)] if olt_port_id else [])",
    )
    serial_number = fields.Char(
        help="Filled from the discovered ONU, or typed/scanned: HWTC0B086EA9 or 485754430B086EA9.",
    )
    contract_id = fields.Many2one(
        "silver.contract",
        required=True,
        domain="[('state_service', 'in', ('inactive', 'terminated'))]",
    )
    activate = fields.Boolean(string="Activate now", help="Provision the ONU and the router right away.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        contract = self.env["silver.contract"].browse(values.get("contract_id")).exists()
        if contract:
            values.update(
                {key: value for key, value in self._values_from_contract(contract).items() if not values.get(key)}
            )
        discovered = self.env["silver.olt.discovered.onu"].browse(values.get("discovered_onu_id")).exists()
        if discovered:
            values.update(self._values_from_discovered(discovered))
        return values

    # -- what one field tells of the others -------------------------------------
    def _values_from_contract(self, contract):
        values = {"olt_id": contract.olt_id.id, "olt_port_id": contract.olt_port_id.id}
        serial = contract._normalized_serial()
        if serial:
            values["serial_number"] = serial
            values.update(self._values_from_serial(serial, contract.olt_id))
        return {key: value for key, value in values.items() if value}

    @api.model
    def _values_from_discovered(self, discovered):
        return {
            "discovered_onu_id": discovered.id,
            "olt_id": discovered.olt_id.id,
            "olt_port_id": discovered.olt_port_id.id,
            "serial_number": discovered.serial_number,
        }

    @api.model
    def _values_from_serial(self, serial, olt=None):
        """The ONU waiting with this serial (on ``olt`` when given): where it is connected."""
        domain = [("serial_number", "=", serial), ("is_assigned", "=", False), ("is_present", "=", True)]
        if olt:
            domain.append(("olt_id", "=", olt.id))
        found = self.env["silver.olt.discovered.onu"].search(domain, order="last_seen desc", limit=1)
        return self._values_from_discovered(found) if found else {}

    @api.onchange("contract_id")
    def _onchange_contract_id(self):
        if self.contract_id:
            for key, value in self._values_from_contract(self.contract_id).items():
                if not self[key]:
                    self[key] = value

    @api.onchange("discovered_onu_id")
    def _onchange_discovered_onu_id(self):
        if self.discovered_onu_id:
            for key, value in self._values_from_discovered(self.discovered_onu_id).items():
                self[key] = value

    @api.onchange("serial_number")
    def _onchange_serial_number(self):
        try:
            serial = validation.normalize_serial(self.serial_number or "")
        except InvalidInput:
            return
        if self.discovered_onu_id.serial_number == serial:
            return
        found = self._values_from_serial(serial, self.olt_id or None) or self._values_from_serial(serial)
        for key, value in found.items():
            self[key] = value

    # -- checks --------------------------------------------------------------------
    def _resolved_serial(self):
        try:
            return validation.normalize_serial(self.serial_number or "", "serial_number")
        except InvalidInput as error:
            raise UserError(
                _(
                    "%(field)s: %(reason)s",
                    field=self._fields["serial_number"]._description_string(self.env),
                    reason=error.reason,
                )
            ) from None

    def _check_serial_free(self, serial, contract, discovered):
        """Refuse an ONU in service on another contract (either spelling of its serial), naming it."""
        holders = contract._serial_holders(serial, fresh=True)
        if holders:
            raise UserError(contract._serial_in_service_message(serial, holders[0]))
        contract._check_no_open_operation_holds(serial)
        owner = discovered.sudo().contract_id
        if owner and owner != contract and owner.state_service in ("active", "suspended"):
            raise UserError(contract._serial_in_service_message(serial, (owner.id, owner.display_name)))

    def action_assign(self):
        self.ensure_one()
        contract = self.contract_id
        self.env["silver.olt"]._check_technician()
        # The form's domain is not enforced over RPC: a live service keeps its ONU.
        contract._check_state(("inactive", "terminated"), _("given another ONU"))
        serial = self._resolved_serial()
        discovered = self.discovered_onu_id or self.env["silver.olt.discovered.onu"].search(
            [("olt_id", "=", self.olt_id.id), ("serial_number", "=", serial)], limit=1
        )
        if discovered and discovered.serial_number != serial:
            raise UserError(
                _(
                    "%(field)s: %(serial)s is not the serial of the discovered ONU %(onu)s.",
                    field=self._fields["serial_number"]._description_string(self.env),
                    serial=serial,
                    onu=discovered.serial_number,
                )
            )
        self._check_serial_free(serial, contract, discovered)
        port = self.olt_port_id or discovered.olt_port_id
        if not port:
            raise UserError(
                _(
                    "%s: choose the PON port the ONU is connected to.",
                    self._fields["olt_port_id"]._description_string(self.env),
                )
            )
        if port.olt_id != self.olt_id:
            raise UserError(
                _("%(port)s is not a port of %(olt)s.", port=port.display_name, olt=self.olt_id.display_name)
            )
        contract.write(
            {
                "serial_number": serial,
                "olt_id": self.olt_id.id,
                "olt_card_id": port.olt_card_id.id,
                "olt_port_id": port.id,
            }
        )
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
