import dataclasses
import logging
import re

import psycopg2
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..drivers import OnuRef, OnuService, WanConfig, WifiConfig, validation
from ..drivers.errors import InvalidInput

_logger = logging.getLogger(__name__)

_DESCRIPTION_UNSAFE = re.compile(r"[^A-Za-z0-9._\-/:@]")

#: driver field name -> contract field, so an error names what the operator can fix
INPUT_FIELDS = {
    "serial": "serial_number",
    "pon": "olt_port_id",
    "vlan": "vlan_id",
    "user_vlan": "vlan_id",
    "onu_id": "onu_pon_id",
    "description": "name",
    "wan.vlan": "vlan_id",
    "wan.username": "pppoe_user",
    "wan.password": "pppoe_password",
    "wan.ip": "ip_public",
    "name": "pppoe_user",
    "password": "pppoe_password",
    "remote_address": "ip_public",
}
WIFI_FIELDS = {"wifi.ssid": "name", "wifi.key": "password", "wifi.index": "ssid_index",
               "wifi.auth_mode": "auth_mode", "wifi.encrypt": "encrypt_type"}


class DeviceSteps:
    """Operations on several devices that stand or fall together.

    Each step is (do, undo); when a step fails, the undo of every step that
    succeeded runs in reverse order (each is logged like any operation), so
    a failed action leaves the devices as they were.
    """

    def __init__(self, cr):
        self.cr = cr
        self._undo = []

    def run(self, do, undo=None):
        try:
            result = do()
        except UserError as error:
            self.roll_back(error)
            raise
        if undo is not None:
            self.add_undo(undo)
        return result

    def add_undo(self, undo):
        self._undo.append(undo)

    def record(self, write):
        """The database write that follows the device steps; undoes them if it fails."""
        try:
            with self.cr.savepoint():
                write()
        except Exception as error:  # noqa: BLE001 - turned into the operator's error below
            self.roll_back(error)
            raise UserError(_("The devices were put back as they were: the database refused the result "
                              "(%s).", str(error).splitlines()[0])) from None

    def roll_back(self, error):
        problems = []
        for undo in reversed(self._undo):
            try:
                undo()
            except UserError as undo_error:
                problems.append(str(undo_error))
        self._undo = []
        if problems:
            raise UserError(_("%(error)s\nUndoing the steps already done failed as well: %(problems)s",
                              error=error, problems="; ".join(problems))) from None


class SilverContract(models.Model):
    _name = "silver.contract"
    _inherit = ["silver.contract", "silver.provisioning.log.mixin"]

    onu_online = fields.Boolean(string="ONU Online", readonly=True, copy=False)
    onu_rx_power = fields.Float(string="ONU RX Power (dBm)", digits=(5, 2), readonly=True, copy=False)
    onu_status_date = fields.Datetime(string="ONU Status Read on", readonly=True, copy=False)
    provisioning_platform = fields.Selection(related="olt_id.platform", string="OLT Platform")

    def init(self):
        # Two active contracts can never hold the same ONU id on one PON port:
        # the database refuses it even if the OLT lock were bypassed.  Legacy data
        # with duplicates must not abort the install or upgrade: warn and go on.
        cr = self.env.cr
        cr.execute(
            """
            SELECT olt_port_id, onu_pon_id, array_agg(id ORDER BY id)
              FROM silver_contract
             WHERE state_service IN ('active', 'suspended') AND olt_port_id IS NOT NULL
                   AND onu_pon_id IS NOT NULL
          GROUP BY olt_port_id, onu_pon_id
            HAVING count(*) > 1
            """
        )
        duplicates = cr.fetchall()
        if duplicates:
            _logger.warning(
                "Index silver_contract_onu_on_port_uniq not created: active/suspended contracts share an "
                "ONU id on a PON port (port id, ONU id, contract ids): %s", duplicates
            )
            return
        try:
            with cr.savepoint(flush=False):
                cr.execute(
                    """
                    CREATE UNIQUE INDEX IF NOT EXISTS silver_contract_onu_on_port_uniq
                        ON silver_contract (olt_port_id, onu_pon_id)
                     WHERE state_service IN ('active', 'suspended') AND olt_port_id IS NOT NULL
                    """
                )
        except psycopg2.Error as error:
            _logger.warning("Index silver_contract_onu_on_port_uniq not created: %s", str(error).splitlines()[0])

    # -- helpers -----------------------------------------------------------------
    def _provisioning_secrets(self):
        contract = self.sudo()
        return [contract.pppoe_password, *contract.wifi_line_ids.mapped("password")]

    def _normalized_serial(self):
        """The serial in the 12-character vendor form, or None when it is not a GPON serial."""
        try:
            return validation.normalize_serial(self.serial_number or "")
        except InvalidInput:
            return None

    def _device_description(self):
        """The contract's name as devices accept it in a description (no spaces or quotes)."""
        return _DESCRIPTION_UNSAFE.sub("-", self.name or "")[:64]

    def _service_plan(self):
        """The product template of the contract's recurring line: it carries the bandwidth."""
        line = self.line_ids.filtered(lambda line: line.line_type == "recurring" and line.product_id)[:1]
        return line.product_id.product_tmpl_id

    def _label(self, name):
        # In the user's language: the error names the field as the form shows it.
        return self._fields[name]._description_string(self.env)

    def _input_error(self, error):
        """An InvalidInput from the driver's checks as a UserError naming the contract field."""
        labels = {key: self._label(name) for key, name in INPUT_FIELDS.items()}
        labels.update({key: _("WiFi %s", self.env[self._fields["wifi_line_ids"].comodel_name]._fields[name].string)
                       for key, name in WIFI_FIELDS.items()})
        labels.update(self.olt_id._target_labels())
        masker = self._provisioning_masker()
        label = labels.get(error.field) or error.field
        raise UserError(_("%(contract)s: %(field)s: %(reason)s", contract=self.display_name, field=label,
                          reason=masker(error.reason))) from None

    def _check_required(self, names):
        missing = [self._label(name) for name in names if not self[name]]
        if missing:
            raise UserError(_("%(contract)s: fill in %(fields)s first.", contract=self.display_name,
                              fields=", ".join(missing)))

    def _check_state(self, allowed, action):
        if self.state_service not in allowed:
            states = dict(self._fields["state_service"]._description_selection(self.env))
            raise UserError(_("%(contract)s cannot be %(action)s: its service is %(state)s.",
                              contract=self.display_name, action=action,
                              state=states.get(self.state_service, self.state_service)))

    def _check_port_belongs_to_olt(self):
        if self.olt_port_id and self.olt_port_id.olt_id != self.olt_id:
            raise UserError(_("%(contract)s: %(port)s is not a port of %(olt)s.", contract=self.display_name,
                              port=self.olt_port_id.display_name, olt=self.olt_id.display_name))

    # -- what the devices are asked --------------------------------------------
    def _onu_request(self, driver):
        """(OnuService, WanConfig or None, [WifiConfig]), checked by the driver before anything is sent."""
        olt = self.olt_id
        service = OnuService(
            serial=self.serial_number or "",
            pon=olt._pon_address(self.olt_port_id, type(driver)),
            vlan=self.vlan_id.vlanid,
            description=self._device_description(),
            line_profile=olt.ont_lineprofile_value or "",
            service_profile=olt.ont_srvprofile_value or "",
            tcont=int(olt.tcont or 1) if str(olt.tcont or "1").isdigit() else olt.tcont,
            gemport=int(olt.gemport or 1) if str(olt.gemport or "1").isdigit() else olt.gemport,
            dba_profile=olt.profile_dba_internet or "",
            traffic_profile=self._service_plan().traffic_profile_index or olt.traffic_table_value or "",
            onu_type=olt.onu_type or "",
        )
        wan = self._wan_config(driver)
        wifi = self._wifi_configs(driver)
        try:
            driver.check_service(service)
            if wan is not None:
                driver.check_wan(wan)
        except InvalidInput as error:
            self._input_error(error)
        for config in wifi:
            try:
                driver.check_wifi(config)
            except InvalidInput as error:
                self._input_error(error)
        return service, wan, wifi

    def _wan_config(self, driver):
        """The ONU's WAN over OMCI; none in bridge mode or where the OLT cannot set it."""
        olt = self.olt_id
        if self.is_bridge or olt.wan_mode == "bridge" or not driver.supports_wan():
            return None
        mode = olt.connection_wan or "pppoe"
        if mode == "static":
            raise UserError(_("%(contract)s: static WAN addressing is configured on the ONU by hand; "
                              "choose PPPoE or DHCP in %(field)s.", contract=self.display_name,
                              field=olt._field_label("connection_wan")))
        mtu = int(olt.mtu) if (olt.mtu or "").strip().isdigit() else 0
        return WanConfig(
            mode=mode,
            vlan=self.vlan_id.vlanid,
            username=(self.pppoe_user or "") if mode == "pppoe" else "",
            password=(self.pppoe_password or "") if mode == "pppoe" else "",
            dns1=olt.primary_dns or "",
            dns2=olt.secondary_dns or "",
            mtu=mtu,
            wan_mode="router",
        )

    def _wifi_configs(self, driver):
        """The WiFi networks to set over OMCI; none where the OLT cannot (TR-069 does it there)."""
        configs = [
            WifiConfig(
                index=line.ssid_index,
                ssid=line.name or "",
                key=line.password or "",
                hidden=line.is_hidden,
                auth_mode=line.auth_mode or "wpa2psk",
                encrypt=line.encrypt_type or "aes",
            )
            for line in self.sudo().wifi_line_ids
        ]
        if not driver.supports_wifi():
            # Still refuse bad values now rather than when the ONU gets them some other way.
            for config in configs:
                try:
                    validation.check_wifi(config)
                except InvalidInput as error:
                    self._input_error(error)
            return []
        return configs

    def _router_request(self):
        """(router driver, Subscriber) or (None, None) when no router authenticates this contract."""
        if not self.core_id:
            return None, None
        router = self.core_id
        driver = router._provisioning_driver()
        subscriber = router._subscriber_for(self.sudo())
        try:
            driver.check_subscriber(subscriber)
        except InvalidInput as error:
            self._input_error(error)
        return driver, subscriber

    def _router_driver(self):
        return self.core_id._provisioning_driver() if self.core_id else None

    # -- actions -------------------------------------------------------------------
    def _check_operator(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_provisioning_operator"):
            raise AccessError(_("Only provisioning operators may do this."))

    def _lock_for_device_operation(self):
        """Serialise device operations on this contract, before any device is touched.

        A second, concurrent request waits here; once the first commits, PostgreSQL
        refuses it as a serialization failure (Odoo retries the request, which then
        sees the first one's result) instead of it re-provisioning and undoing.
        """
        self.ensure_one()
        self.env.cr.execute("SELECT id FROM silver_contract WHERE id = %s FOR UPDATE", (self.id,))
        self.invalidate_recordset(["state_service"])

    def action_activate_service(self):
        self._check_operator()
        for contract in self:
            contract._activate_service()
        return True

    def action_suspend_service(self):
        self._check_operator()
        for contract in self:
            contract._suspend_service()
        return True

    def action_reconnect_service(self):
        self._check_operator()
        for contract in self:
            contract._reconnect_service()
        return True

    def action_terminate_service(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_network_admin"):
            raise AccessError(_("Only network administrators may terminate a service."))
        for contract in self:
            contract._terminate_service()
        return True

    def action_open_assign_wizard(self):
        """Pick the ONU for this contract among those its OLT found."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Assign ONU to %s", self.display_name),
            "res_model": "silver.onu.assign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_contract_id": self.id,
                "default_olt_id": self.olt_id.id,
                "default_olt_port_id": self.olt_port_id.id,
            },
        }

    def action_read_onu_status(self):
        self._check_operator()
        for contract in self:
            contract._check_state(("active", "suspended"), _("checked"))
            driver = contract.olt_id._provisioning_driver()
            with driver:
                status = contract.olt_id._read_onu_status(contract, driver).data
            contract._store_onu_status(status)
        return True

    def _activate_service(self):
        """Provision the ONU (base, WAN, WiFi) and the router, read the ONU's status, then record it."""
        self.ensure_one()
        self._lock_for_device_operation()
        self._check_state(("inactive", "terminated"), _("activated"))
        self._check_required(["olt_id", "olt_port_id", "serial_number", "vlan_id"])
        if self.core_id or (self.olt_id.connection_wan or "pppoe") == "pppoe":
            self._check_required(["pppoe_user", "pppoe_password"])
        self._check_port_belongs_to_olt()
        olt = self.olt_id
        olt_driver = olt._provisioning_driver()
        service, wan, wifi = self._onu_request(olt_driver)
        router_driver, subscriber = self._router_request()

        olt._lock_for_onu_allocation()
        steps = DeviceSteps(self.env.cr)
        with olt_driver:
            provisioned = steps.run(
                lambda: olt._provision_onu_base(self, olt_driver, service, wan=wan, wifi=wifi).data,
            )
            ref = OnuRef(pon=provisioned.pon, onu_id=provisioned.onu_id, serial=provisioned.serial)
            steps.add_undo(lambda: olt._remove_onu(self, olt_driver, ref))
            if router_driver is not None:
                with router_driver:
                    steps.run(
                        lambda: self.core_id._ensure_subscriber(self, router_driver, subscriber),
                        lambda: self.core_id._remove_subscriber(self, router_driver),
                    )
            status = self._read_status_quietly(olt, olt_driver, ref)
            steps.run(lambda: olt._save_configuration(self, olt_driver))
            values = {
                "state_service": "active",
                "onu_pon_id": provisioned.onu_id,
                "serial_number": provisioned.serial or service.serial,
                "olt_card_id": self.olt_port_id.olt_card_id.id,
                "date_active": fields.Datetime.now(),
            }
            values.update(self._status_values(status))
            # Recorded while the sessions are still open: if the database refuses it,
            # the devices are put back as they were.
            steps.record(lambda: self.write(values))
        self.env["silver.olt.discovered.onu"].sudo().search(
            [("olt_id", "=", olt.id), ("serial_number", "=", values["serial_number"])]
        ).write({"is_assigned": True, "contract_id": self.id})

    def _read_status_quietly(self, olt, driver, ref):
        """The ONU's status right after a change; a failed read does not undo the change."""
        try:
            return olt._read_onu_status(self, driver, ref).data
        except UserError:
            return None

    def _status_values(self, status):
        if status is None:
            return {"olt_state": "pending", "onu_status_date": fields.Datetime.now()}
        online = status.run_state == "online"
        return {
            "onu_online": online,
            "onu_rx_power": status.rx_power_dbm or 0.0,
            "olt_state": "active" if online else "down",
            "onu_status_date": fields.Datetime.now(),
        }

    def _store_onu_status(self, status):
        self.write(self._status_values(status))

    def _cut_on_olt(self):
        """Whether suspension disables the ONU: the OLT says so, or there is no router to cut at."""
        return bool(self.olt_id.is_disable_onu or not self.core_id)

    def _suspend_service(self):
        self.ensure_one()
        self._lock_for_device_operation()
        if self.state_service == "suspended":
            return  # already cut: suspending again changes nothing
        self._check_state(("active",), _("suspended"))
        self._suspend_or_resume(suspend=True, values={"state_service": "suspended",
                                                      "date_cut": fields.Datetime.now()})

    def _reconnect_service(self):
        self.ensure_one()
        self._lock_for_device_operation()
        if self.state_service == "active":
            return  # already connected
        self._check_state(("suspended",), _("reconnected"))
        self._suspend_or_resume(suspend=False, values={"state_service": "active",
                                                       "date_reconnection": fields.Datetime.now()})

    def _suspend_or_resume(self, suspend, values):
        """Cut or restore the service on the devices, then record ``values``; all or nothing."""
        self._check_required(["olt_id", "olt_port_id"])
        if self.core_id:
            self._check_required(["pppoe_user"])
        olt = self.olt_id
        olt_driver = olt._provisioning_driver() if self._cut_on_olt() else None
        router_driver = self._router_driver()
        steps = DeviceSteps(self.env.cr)
        if olt_driver is not None:
            with olt_driver:
                steps.run(
                    lambda: (olt.disable_onu if suspend else olt.enable_onu)(self, olt_driver),
                    lambda: (olt.enable_onu if suspend else olt.disable_onu)(self, olt_driver),
                )
                self._router_suspend_or_resume(steps, router_driver, suspend)
                steps.run(lambda: olt._save_configuration(self, olt_driver))
                steps.record(lambda: self.write(values))
        else:
            self._router_suspend_or_resume(steps, router_driver, suspend)
            steps.record(lambda: self.write(values))

    def _router_suspend_or_resume(self, steps, router_driver, suspend):
        if router_driver is None:
            return
        router = self.core_id
        with router_driver:
            steps.run(
                lambda: (router._suspend_subscriber if suspend else router._resume_subscriber)(self, router_driver),
                lambda: (router._resume_subscriber if suspend else router._suspend_subscriber)(self, router_driver),
            )

    def _terminate_service(self):
        self.ensure_one()
        self._lock_for_device_operation()
        if self.state_service in ("inactive", "terminated"):
            self.write({"state_service": "terminated"})
            return
        self._check_required(["olt_id", "olt_port_id"])
        olt = self.olt_id
        olt_driver = olt._provisioning_driver()
        router_driver = self._router_driver()
        subscriber = self.core_id._subscriber_for(self.sudo()) if router_driver is not None else None
        olt._lock_for_onu_allocation()
        steps = DeviceSteps(self.env.cr)
        with olt_driver:
            if router_driver is not None:
                with router_driver:
                    steps.run(
                        lambda: self.core_id._remove_subscriber(self, router_driver),
                        lambda: self.core_id._ensure_subscriber(self, router_driver, subscriber),
                    )
            steps.run(lambda: olt._remove_onu(self, olt_driver), lambda: self._restore_onu(olt, olt_driver))
            steps.run(lambda: olt._save_configuration(self, olt_driver))
            steps.record(lambda: self.write({"state_service": "terminated", "olt_state": "down",
                                             "onu_online": False}))
        self.env["silver.olt.discovered.onu"].sudo().search([("contract_id", "=", self.id)]).write(
            {"is_assigned": False, "contract_id": False}
        )

    def _restore_onu(self, olt, driver):
        """Undo of a removal: register the ONU again with its service, on its former ONU id."""
        service, wan, wifi = self._onu_request(driver)
        service = dataclasses.replace(service, onu_id=self.onu_pon_id)
        return olt._provision_onu_base(self, driver, service, wan=wan, wifi=wifi)

    @api.model
    def _cron_suspend_services(self, contract_ids):
        """Entry point for the billing's cron: suspend these contracts, each on its own.

        A failure on one contract is logged on its chatter and does not stop the others.
        """
        failed = {}
        for contract in self.browse(contract_ids).exists():
            try:
                with self.env.cr.savepoint():
                    contract.action_suspend_service()
            except UserError as error:
                failed[contract.id] = str(error)
        return failed
