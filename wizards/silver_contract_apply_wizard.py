from odoo import _, api, fields, models
from odoo.exceptions import UserError

OPERATIONS = [
    ("apply", "Apply Changes to Devices"),
    ("replace", "Replace ONU"),
    ("move", "Move ONU"),
    ("reboot", "Reboot ONU"),
    ("activate", "Preview Activation"),
    ("suspend", "Preview Suspension"),
    ("reconnect", "Preview Reconnection"),
    ("terminate", "Preview Termination"),
]
#: the operations this wizard only previews (their own buttons run them)
PREVIEW_ONLY = ("activate", "suspend", "reconnect", "terminate")


class SilverContractApplyWizard(models.TransientModel):
    """Shows what an operation would send to each device now, then runs it on confirmation."""

    _name = "silver.contract.apply.wizard"
    _description = "Apply an Operation to the Devices"

    contract_id = fields.Many2one("silver.contract", required=True, readonly=True, ondelete="cascade")
    operation = fields.Selection(OPERATIONS, required=True, readonly=True)
    pending_what = fields.Char(related="contract_id.provisioning_pending_label", string="Changes to Apply")
    new_serial = fields.Char(help="The serial of the ONU that replaces the broken one.")
    target_olt_id = fields.Many2one("silver.olt", string="Target OLT")
    target_port_id = fields.Many2one(
        "silver.olt.card.port", string="Target PON Port", domain="[('olt_id', '=', target_olt_id)]"
    )
    target_onu_id = fields.Integer(string="Target ONU ID", help="Empty: the OLT or the lowest free one.")
    target_onu_id_set = fields.Boolean(string="Choose the ONU ID")
    preview = fields.Text(readonly=True, help="The commands each device would receive now, read from the devices.")
    preview_only = fields.Boolean(compute="_compute_preview_only")

    @api.depends("operation")
    def _compute_preview_only(self):
        for wizard in self:
            wizard.preview_only = wizard.operation in PREVIEW_ONLY

    @api.model_create_multi
    def create(self, vals_list):
        wizards = super().create(vals_list)
        for wizard in wizards:
            if wizard.operation in ("apply", "reboot", *PREVIEW_ONLY):
                wizard._compute_preview()
        return wizards

    def _params(self):
        self.ensure_one()
        if self.operation == "replace":
            if not self.new_serial:
                raise UserError(_("Fill in %s first.", self._fields["new_serial"]._description_string(self.env)))
            return {"serial": self.new_serial.strip()}
        if self.operation == "move":
            missing = [
                self._fields[name]._description_string(self.env)
                for name in ("target_olt_id", "target_port_id")
                if not self[name]
            ]
            if missing:
                raise UserError(_("Fill in %s first.", ", ".join(missing)))
            return {
                "olt": self.target_olt_id,
                "port": self.target_port_id,
                "onu_id": self.target_onu_id if self.target_onu_id_set else None,
            }
        return {}

    def _compute_preview(self):
        contract = self.contract_id
        params = self._params()
        if self.operation == "replace":
            params["serial"] = contract.olt_id._provisioning_driver().normalize_serial(params["serial"])
        self.preview = contract._preview_text(self.operation, params)

    def action_preview(self):
        self._compute_preview()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_confirm(self):
        self.ensure_one()
        contract = self.contract_id
        with contract._secrets_out_of_server_log(contract.olt_id, contract.core_id, self.target_olt_id):
            if self.operation == "apply":
                contract._apply_changes()
            elif self.operation == "reboot":
                contract._reboot_onu()
            elif self.operation == "replace":
                contract._replace_onu(self._params()["serial"])
            elif self.operation == "move":
                params = self._params()
                contract._move_onu(params["olt"], params["port"], params["onu_id"])
            else:
                raise UserError(_("This window only shows what would be sent: use the contract's own button."))
        return {"type": "ir.actions.act_window_close"}
