import dataclasses

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..drivers import OnuRef
from .silver_contract import DeviceSteps, _subscriber_created
from .silver_olt_onu import RUN_STATES

#: the fields that say which ONU a contract has ...
READ_FROM = frozenset({"olt_id", "olt_port_id", "serial_number"})
#: ... and what the polls read of it
FORGOTTEN = ("inventory_onu_id", "onu_run_state", "onu_admin_state", "onu_tx_power")


class SilverContractReadings(models.Model):
    """What the last polls read for a contract, and the replays the drift ledger runs."""

    _inherit = "silver.contract"

    inventory_onu_id = fields.Many2one(
        "silver.olt.onu", string="ONU on the OLT", readonly=True, copy=False, ondelete="set null"
    )
    onu_run_state = fields.Selection(
        RUN_STATES + [("missing", "Not on the OLT")], string="ONU Run State", readonly=True, copy=False
    )
    onu_admin_state = fields.Selection(
        [("enabled", "Enabled"), ("disabled", "Disabled"), ("missing", "Not on the OLT")],
        string="ONU Admin State",
        readonly=True,
        copy=False,
    )
    onu_tx_power = fields.Float(string="ONU TX Power (dBm)", digits=(5, 2), readonly=True, copy=False)
    onu_signal_level = fields.Selection(related="inventory_onu_id.signal_level", string="ONU Signal")
    pppoe_secret_state = fields.Selection(
        [
            ("enabled", "Enabled"),
            ("disabled", "Disabled"),
            ("suspended", "Suspended"),
            ("missing", "Not on the router"),
        ],
        string="PPPoE Secret",
        readonly=True,
        copy=False,
    )
    pppoe_online = fields.Boolean(string="PPPoE Session Up", readonly=True, copy=False)
    pppoe_read_at = fields.Datetime(string="Router Read on", readonly=True, copy=False)
    drift_ids = fields.One2many("silver.provisioning.drift", "contract_id", string="Drifts")
    drift_open_count = fields.Integer(string="Open Drifts", compute="_compute_drift_open_count")

    def write(self, vals):
        # Another OLT, port or serial: what the old ONU read no longer says anything
        # about this contract (the next poll reads the new one).
        if READ_FROM.intersection(vals) and not any(name in vals for name in FORGOTTEN):
            vals = dict(vals, **dict.fromkeys(FORGOTTEN, False))
        return super().write(vals)

    @api.depends("drift_ids.state")
    def _compute_drift_open_count(self):
        groups = self.env["silver.provisioning.drift"]._read_group(
            [("contract_id", "in", self.ids), ("state", "=", "open")], ["contract_id"], ["__count"]
        )
        counts = {contract.id: count for contract, count in groups}
        for contract in self:
            contract.drift_open_count = counts.get(contract.id, 0)

    def action_view_readings(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "silver_provisioning.silver_onu_reading_aggregate_action"
        )
        action["domain"] = [("contract_id", "in", self.ids)]
        action["context"] = {"search_default_daily": 1}
        return action

    def action_view_drifts(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_provisioning_drift_action")
        action["domain"] = [("contract_id", "in", self.ids)]
        action["context"] = {"search_default_unresolved": 1}
        return action

    # -- replays of the drift ledger -------------------------------------------------
    # Each replay is an operation like the contract's own (journaled before any
    # device is touched, taken back if a later step fails), with the steps the
    # devices are missing.
    def _inventory_lock(self, olt=None):
        """The OLT's session lock, then the contract's row: the order every operation takes them in."""
        olt = olt or self.olt_id
        if olt:
            olt._lock_for_session()
        self._lock_for_device_operation()

    def _inventory_operation(self, kind, state_to, olt=None):
        operation = self.env["silver.provisioning.operation"]._open(
            kind, self, olt=olt or self.olt_id, router=self.core_id, state_to=state_to
        )
        return DeviceSteps(self, operation)

    def _inventory_onu_ref(self, olt, driver):
        """Where the last poll found the contract's ONU, else where the contract says it is."""
        onu = self.inventory_onu_id
        if onu and onu.olt_id == olt and onu.is_present:
            return OnuRef(pon=onu.pon, onu_id=onu.onu_id, serial=onu.serial_number or "")
        return olt._onu_ref(self, type(driver))

    def _inventory_replay_activation(self):
        """An active contract: register its ONU where it is missing, enable it where it
        is disabled, and create or resume its PPPoE secret."""
        self.ensure_one()
        self._check_operator()
        self._check_state(("active",), _("converged as active"))
        olt = self.olt_id
        onu_state = self.onu_admin_state if olt else False
        olt_driver = olt._provisioning_driver() if onu_state in ("missing", "disabled") else None
        if onu_state == "missing":
            self._check_required(["olt_port_id", "serial_number", "vlan_id"])
            service, wan, wifi = self._onu_request(olt_driver)
            # Back on the id it had: the subscriber's configuration refers to it.
            service = dataclasses.replace(service, onu_id=self.onu_pon_id if self.onu_pon_id_set else None)
        router_driver, subscriber = (None, None)
        if self.core_id and self.pppoe_secret_state in ("missing", "disabled", "suspended"):
            router_driver, subscriber = self._router_request()
        self._inventory_lock()
        self._check_state(("active",), _("converged as active"))
        steps = self._inventory_operation("activate", "active")
        values = {}
        with self._secrets_out_of_server_log(olt, self.core_id):
            if olt_driver is None:
                self._inventory_replay_router(steps, router_driver, subscriber)
                steps.record(lambda: self.write(values))
                return True
            steps.drivers[("olt", olt.id)] = olt_driver
            with olt_driver:
                if onu_state == "missing":
                    provisioned = steps.run(
                        lambda: olt._provision_onu_base(self, olt_driver, service, wan=wan, wifi=wifi).data
                    )
                    steps.journal(
                        {
                            "do": "provision_onu",
                            "olt": olt.id,
                            "pon": provisioned.pon,
                            "onu_id": provisioned.onu_id,
                            "serial": provisioned.serial or service.serial,
                            "created": self._onu_created(provisioned, {}),
                        }
                    )
                    values.update(onu_pon_id=provisioned.onu_id, onu_pon_id_set=True)
                else:
                    ref = self._inventory_onu_ref(olt, olt_driver)
                    steps.run(lambda: olt._enable_onu_ref(self, olt_driver, ref))
                    steps.journal(
                        {"do": "enable_onu", "olt": olt.id, "pon": ref.pon, "onu_id": ref.onu_id, "serial": ref.serial}
                    )
                self._inventory_replay_router(steps, router_driver, subscriber)
                steps.run(lambda: olt._save_configuration(self, olt_driver))
                steps.record(lambda: self.write(values))
        return True

    def _inventory_replay_router(self, steps, driver, subscriber):
        if driver is None:
            return
        router = self.core_id
        steps.drivers[("router", router.id)] = driver
        with driver:
            created = steps.run(lambda: router._ensure_subscriber(self, driver, subscriber))
            steps.journal(
                {
                    "do": "ensure_subscriber",
                    "router": router.id,
                    "name": subscriber.name,
                    "created": _subscriber_created(created),
                }
            )
            if self.pppoe_secret_state in ("disabled", "suspended"):
                steps.run(lambda: router._resume_subscriber_named(self, driver, subscriber.name, enable=True))
                steps.journal({"do": "resume_subscriber", "router": router.id, "name": subscriber.name})

    def _inventory_replay_suspension(self):
        """A suspended contract still connected: cut it again as its suspension does."""
        self.ensure_one()
        self._check_operator()
        self._check_state(("suspended",), _("converged as suspended"))
        self._inventory_lock()
        self._check_state(("suspended",), _("converged as suspended"))
        with self._secrets_out_of_server_log(self.olt_id, self.core_id):
            self._suspend_or_resume(suspend=True, values={"state_service": "suspended"})
        return True

    def _inventory_replay_termination(self, onu):
        """A terminated contract: remove the ONU the OLT still holds and the PPPoE secret."""
        self.ensure_one()
        self._check_state(("terminated",), _("converged as terminated"))
        if onu and not onu.is_present:
            raise UserError(_("%s is no longer in the OLT's table.", onu.display_label))
        olt = onu.olt_id if onu else self.olt_id
        olt_driver = olt._provisioning_driver() if onu else None
        router_driver = (
            self.core_id._provisioning_driver() if self.core_id and self.pppoe_secret_state == "enabled" else None
        )
        self._inventory_lock(olt)
        self._check_state(("terminated",), _("converged as terminated"))
        steps = self._inventory_operation("terminate", "terminated", olt=olt)
        with self._secrets_out_of_server_log(olt, self.core_id):
            if router_driver is not None:
                steps.drivers[("router", self.core_id.id)] = router_driver
                with router_driver:
                    steps.run(lambda: self.core_id._remove_subscriber(self, router_driver))
                steps.journal({"do": "remove_subscriber", "router": self.core_id.id, "name": self._router_user()})
            if olt_driver is not None:
                ref = OnuRef(pon=onu.pon, onu_id=onu.onu_id, serial=onu.serial_number or "")
                steps.drivers[("olt", olt.id)] = olt_driver
                with olt_driver:
                    steps.run(lambda: olt._remove_onu(self, olt_driver, ref))
                    steps.journal(
                        {"do": "remove_onu", "olt": olt.id, "pon": ref.pon, "onu_id": ref.onu_id, "serial": ref.serial}
                    )
                    steps.run(lambda: olt._save_configuration(self, olt_driver))
                    steps.record(lambda: self.write({"olt_state": "down", "onu_online": False}))
            else:
                steps.record(lambda: self.write({}))
        return True
