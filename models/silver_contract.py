import dataclasses
import logging
import re
import time
from datetime import timedelta

import psycopg2
from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..drivers import OnuRef, OnuService, WanConfig, WifiConfig, validation
from ..drivers.errors import DriverError, InvalidInput
from .silver_olt import LOCK_POLL_SECONDS, LOCK_WAIT_SECONDS
from .silver_provisioning_labels import InputLabels
from .silver_provisioning_log_mixin import DeviceOperationError
from .silver_provisioning_operation import RECOVERY_MIN_AGE_SECONDS, settlement_message

#: advisory-lock namespace of the per-serial activation lock (OLTs: 74_615_301)
SERIAL_LOCK_NAMESPACE = 74_615_303

_logger = logging.getLogger(__name__)

_DESCRIPTION_UNSAFE = re.compile(r"[^A-Za-z0-9._\-/:@]")
#: service states in which a contract holds its ONU, its ONU id and its PPPoE secret
IN_SERVICE = ("active", "suspended")
OPERATOR = "silver_provisioning.group_provisioning_operator"


class OnuNotFree(DriverError):
    """The OLT was read before any write: the ONU is another contract's, or waits elsewhere."""

    code = "onu_not_free"

    def __init__(self, message):
        super().__init__(message)
        self.outcome = "unchanged"


class SilverContract(models.Model):
    _name = "silver.contract"
    _inherit = ["silver.contract", "silver.provisioning.log.mixin", "silver.provisioning.field.guard"]
    _secret_fields = ("pppoe_password",)

    # Suite fields redeclared without change: errors name them, in the user's language.
    name = fields.Char()
    serial_number = fields.Char()
    onu_pon_id = fields.Integer()
    pppoe_user = fields.Char()
    ip_public = fields.Char()
    pppoe_password = fields.Char(groups=OPERATOR)
    onu_pon_id_set = fields.Boolean(
        string="ONU ID Recorded",
        readonly=True,
        copy=False,
        help="Set with the ONU id (which may be 0, Huawei's first): the ONU id is unique per PON port among "
        "the contracts in service.",
    )
    onu_online = fields.Boolean(string="ONU Online", readonly=True, copy=False)
    onu_rx_power = fields.Float(string="ONU RX Power (dBm)", digits=(5, 2), readonly=True, copy=False)
    onu_status_date = fields.Datetime(string="ONU Status Read on", readonly=True, copy=False)
    provisioning_platform = fields.Selection(related="olt_id.platform", string="OLT Platform")
    provisioning_warning = fields.Text(
        string="Devices and Contract Disagree",
        compute="_compute_provisioning_warning",
        groups=OPERATOR,
        help="What an operation left on the devices that this contract does not record.",
    )
    provisioning_operation_count = fields.Integer(compute="_compute_provisioning_warning", groups=OPERATOR)

    def init(self):
        # Two contracts in service never hold the same ONU id on one PON port: the
        # database refuses it even if the OLT lock were bypassed.  ONU id 0 counts
        # (COALESCE: Odoo stores no 0 over an empty value).  Legacy data with
        # duplicates must not abort the install or upgrade: warn and go on.
        cr = self.env.cr
        cr.execute(
            """
            UPDATE silver_contract SET onu_pon_id_set = TRUE
             WHERE onu_pon_id IS NOT NULL AND onu_pon_id_set IS NOT TRUE
               AND state_service IN ('active', 'suspended') AND olt_port_id IS NOT NULL
            """
        )
        cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'silver_contract_onu_on_port_uniq'")
        row = cr.fetchone()
        if row and "onu_pon_id_set" in row[0]:
            return
        cr.execute(
            """
            SELECT olt_port_id, COALESCE(onu_pon_id, 0), array_agg(id ORDER BY id)
              FROM silver_contract
             WHERE state_service IN ('active', 'suspended') AND olt_port_id IS NOT NULL AND onu_pon_id_set
          GROUP BY olt_port_id, COALESCE(onu_pon_id, 0)
            HAVING count(*) > 1
            """
        )
        duplicates = cr.fetchall()
        if duplicates:
            _logger.warning(
                "Index silver_contract_onu_on_port_uniq not created: active/suspended contracts share an "
                "ONU id on a PON port (port id, ONU id, contract ids): %s",
                duplicates,
            )
            return
        try:
            with cr.savepoint(flush=False):
                cr.execute("DROP INDEX IF EXISTS silver_contract_onu_on_port_uniq")
                cr.execute(
                    """
                    CREATE UNIQUE INDEX silver_contract_onu_on_port_uniq
                        ON silver_contract (olt_port_id, (COALESCE(onu_pon_id, 0)))
                     WHERE state_service IN ('active', 'suspended') AND olt_port_id IS NOT NULL
                           AND onu_pon_id_set
                    """
                )
        except psycopg2.Error as error:
            _logger.warning("Index silver_contract_onu_on_port_uniq not created: %s", str(error).splitlines()[0])

    # -- the ONU id, 0 included ---------------------------------------------------
    @staticmethod
    def _onu_id_values(vals):
        """Whoever writes the ONU id (a form, an import, the suite) records that it is set."""
        if "onu_pon_id" in vals and "onu_pon_id_set" not in vals:
            value = vals["onu_pon_id"]
            vals = dict(vals, onu_pon_id_set=value is not False and value is not None)
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([self._onu_id_values(vals) for vals in vals_list])

    def write(self, vals):
        vals = self._onu_id_values(vals)
        if vals.get("onu_pon_id_set") and vals.get("onu_pon_id") == 0:
            # A 0 over an empty value equals the cache's 0 and would never reach the column.
            self.invalidate_recordset(["onu_pon_id"])
        return super().write(vals)

    @api.constrains("olt_port_id", "onu_pon_id", "onu_pon_id_set", "state_service")
    def _check_onu_id_unique(self):
        """Refused here, before PostgreSQL's index does it (and logs the statement)."""
        for contract in self:
            if contract.state_service not in IN_SERVICE or not contract.olt_port_id or not contract.onu_pon_id_set:
                continue
            holder = contract._onu_id_holder(contract.olt_port_id, contract.onu_pon_id)
            if holder:
                raise ValidationError(
                    _(
                        "%(contract)s: ONU id %(onu_id)s on %(port)s is already in service on %(other)s.",
                        contract=contract.display_name,
                        onu_id=contract.onu_pon_id,
                        port=contract.olt_port_id.display_name,
                        other=holder,
                    )
                )

    @api.constrains("serial_number", "state_service")
    def _check_serial_in_service_once(self):
        """One ONU serves one contract: an ONU replaced by hand may not be another's."""
        for contract in self:
            if contract.state_service not in IN_SERVICE:
                continue
            serial = contract._normalized_serial()
            holder = serial and contract._serial_holders(serial, flush=False)
            if holder:
                raise ValidationError(contract._serial_in_service_message(serial, holder[0]))

    def _onu_id_holder(self, port, onu_id):
        """The name of another contract in service on ``onu_id`` of ``port``, or None.

        Plain SQL on values already written: a search would flush this
        contract's own pending values first, into the index it is checked against.
        """
        self.env.cr.execute(
            """
            SELECT name FROM silver_contract
             WHERE id != %s AND olt_port_id = %s AND COALESCE(onu_pon_id, 0) = %s AND onu_pon_id_set
               AND state_service IN ('active', 'suspended')
             LIMIT 1
            """,
            (self.id or 0, port.id, onu_id or 0),
        )
        row = self.env.cr.fetchone()
        return row[0] if row else None

    # -- ownership ------------------------------------------------------------------
    def _serial_holders(self, serial, fresh=False, flush=True):
        """[(id, name)] of the other contracts in service on ``serial``, whatever its spelling.

        ``fresh`` also asks a transaction of its own: ours may have started
        before another one, now committed, took the ONU.  ``flush`` writes
        pending values first (not from a constraint: ours would go first).
        """
        if flush:
            self.flush_model(["serial_number", "state_service"])
        query = """
            SELECT id, name, serial_number FROM silver_contract
             WHERE id != ALL(%s) AND state_service IN ('active', 'suspended') AND serial_number ILIKE %s
        """
        params = (list(self.ids) or [0], f"%{serial[4:]}%")
        self.env.cr.execute(query, params)
        rows = self.env.cr.fetchall()
        if fresh:
            rows += self._committed_rows(query, params)
        holders = {}
        for contract_id, name, typed in rows:
            try:
                if validation.normalize_serial(typed or "") == serial:
                    holders[contract_id] = name
            except InvalidInput:
                continue
        return sorted(holders.items())

    def _serial_in_service_message(self, serial, holder):
        return _(
            "%(contract)s: %(field)s: %(serial)s is already in service on %(other)s.",
            contract=self.display_name,
            field=self._label("serial_number"),
            serial=serial,
            other=holder[1],
        )

    def _check_onu_is_free(self, serial):
        """Refuse, naming the other contract, an ONU another contract has in service."""
        self._lock_serial(serial)
        holders = self._serial_holders(serial, fresh=True)
        if holders:
            raise UserError(self._serial_in_service_message(serial, holders[0]))
        self._check_no_open_operation_holds(serial)
        discovered = (
            self.env["silver.olt.discovered.onu"]
            .sudo()
            .search(
                [
                    ("olt_id", "=", self.olt_id.id),
                    ("serial_number", "=", serial),
                    ("contract_id", "not in", [False, self.id]),
                    ("contract_id.state_service", "in", IN_SERVICE),
                ],
                limit=1,
            )
        )
        if discovered:
            raise UserError(self._serial_in_service_message(serial, (0, discovered.contract_id.display_name)))

    def _lock_serial(self, serial):
        """One activation per serial at a time, whichever OLT: the OLT lock does not
        serialise two contracts on two OLTs, and each one's check reads only what
        the other has committed.  Held until this transaction ends."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", (SERIAL_LOCK_NAMESPACE, serial))
            if self.env.cr.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise UserError(
                    _("ONU %s is being activated on another contract right now - try again in a moment.", serial)
                )
            time.sleep(LOCK_POLL_SECONDS)

    def _check_no_open_operation_holds(self, serial):
        """Refuse an ONU an unsettled operation of another contract holds: its contract may not say
        so yet (a worker that died after the OLT accepted the ONU), and its settling may remove it."""
        holders = self.env["silver.provisioning.operation"]._open_holders(serial, exclude_contracts=self.ids)
        if holders:
            raise UserError(
                _(
                    "%(contract)s: %(field)s: %(serial)s is held by %(operation)s, not settled yet; "
                    "wait for it to be settled (or have a network administrator resolve it).",
                    contract=self.display_name,
                    field=self._label("serial_number"),
                    serial=serial,
                    operation=holders[0][2],
                )
            )

    def _check_pppoe_user_is_free(self):
        """Refuse a PPPoE user another contract in service has on this router: its secret is theirs."""
        if not self.core_id or not self.pppoe_user:
            return
        self.flush_model(["core_id", "pppoe_user", "state_service"])
        query = """
            SELECT name FROM silver_contract
             WHERE id != %s AND core_id = %s AND pppoe_user = %s AND state_service IN ('active', 'suspended')
             LIMIT 1
        """
        params = (self.id, self.core_id.id, self.pppoe_user)
        self.env.cr.execute(query, params)
        row = self.env.cr.fetchone() or next(iter(self._committed_rows(query, params)), None)
        if row:
            raise UserError(
                _(
                    "%(contract)s: %(field)s: %(user)s is already in service on %(other)s.",
                    contract=self.display_name,
                    field=self._label("pppoe_user"),
                    user=self.pppoe_user,
                    other=row[0],
                )
            )

    def _positions_in_service(self, fresh=True):
        """[(ONU id, contract name)] held on this contract's PON port by the other contracts in service."""
        query = """
            SELECT COALESCE(onu_pon_id, 0), name FROM silver_contract
             WHERE id != %s AND olt_port_id = %s AND onu_pon_id_set AND state_service IN ('active', 'suspended')
        """
        params = (self.id, self.olt_port_id.id)
        self.flush_model(["olt_port_id", "onu_pon_id", "onu_pon_id_set", "state_service"])
        self.env.cr.execute(query, params)
        rows = dict(self.env.cr.fetchall())
        if fresh:
            rows.update(self._committed_rows(query, params))
        return sorted(rows.items())

    def _committed_rows(self, query, params):
        """``query`` on what is committed now: our transaction may have begun before another one,
        now committed, took the ONU or the secret.  Bounded: it never waits long on a lock."""
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '5s'")
            cr.execute(query, params)
            return cr.fetchall()

    # -- warnings ------------------------------------------------------------------------
    def _operation_rows(self):
        """This contract's operations still needing attention, read apart: they are committed apart
        (a transaction that began before one of them would not see it)."""
        if not self.ids:
            return []
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '5s'")
            cr.execute(
                """
                SELECT id, res_id, name, state, left_description, create_date, requested_by, journal
                  FROM silver_provisioning_operation
                 WHERE res_model = %s AND res_id IN %s
              ORDER BY id
                """,
                (self._name, tuple(self.ids)),
            )
            return cr.dictfetchall()

    def _compute_provisioning_warning(self):
        rows = self._operation_rows()
        Operation = self.env["silver.provisioning.operation"]
        stale = self.env.cr.now() - timedelta(seconds=RECOVERY_MIN_AGE_SECONDS)
        for contract in self:
            mine = [row for row in rows if row["res_id"] == contract.id]
            contract.provisioning_operation_count = len(mine)
            lines = []
            for row in mine:
                if row["state"] == "left":
                    lines.append(
                        _(
                            "%(operation)s (%(date)s, %(user)s): left on the devices: %(left)s",
                            operation=row["name"],
                            date=row["create_date"],
                            user=row["requested_by"],
                            left=row["left_description"],
                        )
                    )
                elif row["state"] == "open" and row["create_date"] and row["create_date"] <= stale:
                    entries = Operation.new({"journal": row["journal"]})._entries()
                    changes = "; ".join(Operation._describe_entry(entry) for entry in entries) or _("nothing yet")
                    lines.append(
                        _(
                            "%(operation)s (%(date)s, %(user)s) did not finish; the devices may hold: "
                            "%(changes)s. The recovery job reads them back and settles it.",
                            operation=row["name"],
                            date=row["create_date"],
                            user=row["requested_by"],
                            changes=changes,
                        )
                    )
            contract.provisioning_warning = "\n".join(lines) or False

    def action_view_provisioning_operations(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "silver_provisioning.silver_provisioning_operation_action"
        )
        action["domain"] = [("res_model", "=", self._name), ("res_id", "=", self.id)]
        return action

    def _post_settlement(self, operation, notes):
        """After the transaction: the chatter says what the devices hold now."""
        self._post_log_message(settlement_message(operation, notes))

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

    def _checked_serial(self):
        try:
            return validation.normalize_serial(self.serial_number or "")
        except InvalidInput as error:
            self._input_error(error)

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

    def _input_labels(self):
        plan = self._service_plan()
        overrides = {}
        if plan.traffic_profile_index:
            overrides["traffic_profile"] = ("plan", "traffic_profile_index")
        roles = {
            "contract": self,
            "wifi": self.env[self._fields["wifi_line_ids"].comodel_name],
            "olt": self.olt_id or None,
            "router": self.core_id or None,
            "plan": plan or None,
        }
        return InputLabels(self.env, roles, overrides=overrides)

    def _input_error(self, error):
        """An InvalidInput from the driver's checks as a UserError naming the field as the form shows it."""
        self._input_labels().raise_error(error, self._provisioning_masker(), prefix=self.display_name)

    def _check_required(self, names):
        missing = [self._label(name) for name in names if not self[name]]
        if missing:
            raise UserError(
                _("%(contract)s: fill in %(fields)s first.", contract=self.display_name, fields=", ".join(missing))
            )

    def _check_state(self, allowed, action):
        if self.state_service not in allowed:
            states = dict(self._fields["state_service"]._description_selection(self.env))
            raise UserError(
                _(
                    "%(contract)s cannot be %(action)s: its service is %(state)s.",
                    contract=self.display_name,
                    action=action,
                    state=states.get(self.state_service, self.state_service),
                )
            )

    def _check_port_belongs_to_olt(self):
        if self.olt_port_id and self.olt_port_id.olt_id != self.olt_id:
            raise UserError(
                _(
                    "%(contract)s: %(port)s is not a port of %(olt)s.",
                    contract=self.display_name,
                    port=self.olt_port_id.display_name,
                    olt=self.olt_id.display_name,
                )
            )

    # -- what the devices are asked --------------------------------------------
    def _onu_request(self, driver, onu_id=None, olt=None, port=None):
        """(OnuService, WanConfig or None, [WifiConfig]), checked by the driver before anything is sent.

        ``olt``/``port``: where the ONU is to be registered (a move's target),
        with that OLT's profiles; by default the contract's own."""
        olt = olt or self.olt_id
        service = OnuService(
            serial=self.serial_number or "",
            pon=olt._pon_address(port or self.olt_port_id, type(driver)),
            vlan=self.vlan_id.vlanid,
            onu_id=onu_id,
            description=self._device_description(),
            line_profile=olt.ont_lineprofile_value or "",
            service_profile=olt.ont_srvprofile_value or "",
            tcont=int(olt.tcont or 1) if str(olt.tcont or "1").isdigit() else olt.tcont,
            gemport=int(olt.gemport or 1) if str(olt.gemport or "1").isdigit() else olt.gemport,
            dba_profile=olt.profile_dba_internet or "",
            traffic_profile=self._service_plan().traffic_profile_index or olt.traffic_table_value or "",
            onu_type=olt.onu_type or "",
        )
        wan = self._wan_config(driver, olt)
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

    def _wan_config(self, driver, olt=None):
        """The ONU's WAN over OMCI; none in bridge mode or where the OLT cannot set it."""
        olt = olt or self.olt_id
        if self.is_bridge or olt.wan_mode == "bridge" or not driver.supports_wan():
            return None
        mode = olt.connection_wan or "pppoe"
        if mode == "static":
            raise UserError(
                _(
                    "%(contract)s: static WAN addressing is configured on the ONU by hand; "
                    "choose PPPoE or DHCP in %(field)s.",
                    contract=self.display_name,
                    field=olt._field_label("connection_wan"),
                )
            )
        mtu = int(olt.mtu) if (olt.mtu or "").strip().isdigit() else 0
        contract = self.sudo()
        return WanConfig(
            mode=mode,
            vlan=self.vlan_id.vlanid,
            username=(self.pppoe_user or "") if mode == "pppoe" else "",
            password=(contract.pppoe_password or "") if mode == "pppoe" else "",
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
        if not self.env.su and not self.env.user.has_group(OPERATOR):
            raise AccessError(_("Only provisioning operators may do this."))

    def _lock_for_device_operation(self):
        """Serialise device operations on this contract, before any device is touched.

        Taken after the OLT's session lock: a request that waited there for
        another one (an activation, a manual sync) and finds this row changed
        meanwhile is refused here as a serialization failure (Odoo retries the
        request, which then sees the other one's result) instead of acting on
        what it read before the wait.
        """
        self.ensure_one()
        self.env.cr.execute("SELECT id FROM silver_contract WHERE id = %s FOR UPDATE", (self.id,))
        self.invalidate_recordset()

    def _lock_for_operation(self):
        """The OLT's session lock, then this contract's row: the order every operation takes them in."""
        self.olt_id._lock_for_session()
        self._lock_for_device_operation()

    def _run_actions(self, method, operation):
        """Run ``method`` on each contract; each contract's device steps are logged as one message."""
        self._check_operator()
        for contract in self:
            with (
                contract._secrets_out_of_server_log(contract.olt_id, contract.core_id),
                contract._provisioning_log_group(operation),
            ):
                method(contract)
        return self._done_notification(operation)

    def _done_notification(self, operation):
        """What the action did, in words, then the form reloaded with its new state and log."""
        states = dict(self._fields["state_service"]._description_selection(self.env))
        lines = [
            _(
                "%(contract)s: %(operation)s done; service %(state)s.",
                contract=contract.display_name,
                operation=operation,
                state=states.get(contract.state_service, contract.state_service),
            )
            for contract in self
        ]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": operation,
                "message": "\n".join(lines),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_activate_service(self):
        return self._run_actions(type(self)._activate_service, _("Activate service"))

    def action_suspend_service(self):
        return self._run_actions(type(self)._suspend_service, _("Suspend service"))

    def action_reconnect_service(self):
        return self._run_actions(type(self)._reconnect_service, _("Reconnect service"))

    def action_terminate_service(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_network_admin"):
            raise AccessError(_("Only network administrators may terminate a service."))
        return self._run_actions(type(self)._terminate_service, _("Terminate service"))

    def action_open_assign_wizard(self):
        """Pick the ONU for this contract among those its OLT found."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Assign ONU to %s", self.display_name),
            "res_model": "silver.onu.assign.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }

    def action_read_onu_status(self):
        """Read each ONU's status; a failed read marks it stale (kept, not rolled back) and says why."""
        self._check_operator()
        read, failed = [], []
        for contract in self:
            contract._check_state(IN_SERVICE, _("checked"))
            contract._check_required(["olt_id", "olt_port_id"])
            driver = contract.olt_id._provisioning_driver()
            contract.olt_id._lock_for_session()
            try:
                with contract._secrets_out_of_server_log(contract.olt_id), driver:
                    status = contract.olt_id._read_onu_status(contract, driver).data
            except DeviceOperationError as error:
                contract._mark_status_stale()
                failed.append(str(error))
                continue
            contract._store_onu_status(status)
            read.append(contract)
        return self._status_read_notification(read, failed)

    def _activate_service(self):
        """Provision the ONU (base, WAN, WiFi) and the router, read the ONU's status, then record it."""
        self.ensure_one()
        self._check_state(("inactive", "terminated"), _("activated"))
        self._check_required(["olt_id", "olt_port_id", "serial_number", "vlan_id"])
        if self.core_id or (self.olt_id.connection_wan or "pppoe") == "pppoe":
            self._check_required(["pppoe_user", "pppoe_password"])
        self._check_port_belongs_to_olt()
        serial = self._checked_serial()
        olt = self.olt_id
        olt_driver = olt._provisioning_driver()
        service, wan, wifi = self._onu_request(olt_driver)
        router_driver, subscriber = self._router_request()

        self._lock_for_operation()
        self._check_state(("inactive", "terminated"), _("activated"))
        # On committed data as well, now that this OLT is ours: another request may
        # have taken the ONU or the PPPoE user while we waited.
        self._check_onu_is_free(serial)
        self._check_pppoe_user_is_free()
        operation = self.env["silver.provisioning.operation"]._open(
            "activate", self, olt=olt, router=self.core_id, state_to="active"
        )
        steps = DeviceSteps(self, operation)
        with olt_driver:
            steps.drivers[("olt", olt.id)] = olt_driver
            seen = {}
            provisioned = steps.run(lambda: olt._provision_free_onu(self, olt_driver, service, wan, wifi, seen).data)
            steps.journal(
                {
                    "do": "provision_onu",
                    "olt": olt.id,
                    "pon": provisioned.pon,
                    "onu_id": provisioned.onu_id,
                    "serial": provisioned.serial or serial,
                    "created": self._onu_created(provisioned, seen),
                }
            )
            ref = OnuRef(pon=provisioned.pon, onu_id=provisioned.onu_id, serial=provisioned.serial or serial)
            if router_driver is not None:
                steps.drivers[("router", self.core_id.id)] = router_driver
                with router_driver:
                    created = steps.run(lambda: self.core_id._ensure_subscriber(self, router_driver, subscriber))
                steps.journal(
                    {
                        "do": "ensure_subscriber",
                        "router": self.core_id.id,
                        "name": subscriber.name,
                        "created": _subscriber_created(created),
                    }
                )
            status = self._read_status_quietly(olt, olt_driver, ref)
            steps.run(lambda: olt._save_configuration(self, olt_driver))
            values = {
                "state_service": "active",
                "onu_pon_id": provisioned.onu_id,
                "onu_pon_id_set": True,
                "serial_number": provisioned.serial or service.serial,
                "olt_card_id": self.olt_port_id.olt_card_id.id,
                "date_active": fields.Datetime.now(),
            }
            values.update(self._status_values(status))
            # Recorded while the sessions are still open: if the database refuses it,
            # the devices are put back as they were.
            steps.record(lambda: self._write_result(values))
        self.env["silver.olt.discovered.onu"].sudo().search(
            [("olt_id", "=", olt.id), ("serial_number", "=", values["serial_number"])]
        ).write({"is_assigned": True, "contract_id": self.id})

    def _write_result(self, values):
        """The final write, checked in Python first so PostgreSQL has nothing to refuse (and log)."""
        self.flush_model(["olt_port_id", "onu_pon_id", "onu_pon_id_set", "state_service"])
        if values.get("onu_pon_id_set"):
            holder = self._onu_id_holder(self.olt_port_id, values["onu_pon_id"])
            if holder:
                raise ValidationError(
                    _(
                        "%(contract)s: ONU id %(onu_id)s on %(port)s is already in service on %(other)s.",
                        contract=self.display_name,
                        onu_id=values["onu_pon_id"],
                        port=self.olt_port_id.display_name,
                        other=holder,
                    )
                )
        self.write(values)

    @staticmethod
    def _onu_created(provisioned, seen):
        """Whether this activation registered the ONU (True), found it registered (False), or cannot tell (None).

        The driver says so when it can; otherwise an ONU that was waiting in
        auto-find before the write was not registered, and one that was not
        may have been: it is never removed on that guess.
        """
        if provisioned.onu_existed or "onu" in (provisioned.preexisting or ()):
            return False
        if "onu" in (provisioned.created or ()) or seen.get("waiting"):
            return True
        return None

    def _read_status_quietly(self, olt, driver, ref):
        """The ONU's status right after a change; a failed read does not undo the change."""
        try:
            return olt._read_onu_status(self, driver, ref).data
        except UserError:
            return None

    def _store_onu_status(self, status):
        self.write(self._status_values(status))

    def _cut_on_olt(self):
        """Whether suspension disables the ONU: the OLT says so, or there is no router to cut at."""
        return bool(self.olt_id.is_disable_onu or not self.core_id)

    def _suspend_service(self):
        self.ensure_one()
        if self.state_service == "suspended":
            return  # already cut: suspending again changes nothing
        self._check_state(("active",), _("suspended"))
        self._check_required(["olt_id", "olt_port_id"])
        self._lock_for_operation()
        if self.state_service == "suspended":
            return
        self._check_state(("active",), _("suspended"))
        self._suspend_or_resume(suspend=True, values={"state_service": "suspended", "date_cut": fields.Datetime.now()})

    def _reconnect_service(self):
        self.ensure_one()
        if self.state_service == "active":
            return  # already connected
        self._check_state(("suspended",), _("reconnected"))
        self._check_required(["olt_id", "olt_port_id"])
        self._lock_for_operation()
        if self.state_service == "active":
            return
        self._check_state(("suspended",), _("reconnected"))
        self._suspend_or_resume(
            suspend=False, values={"state_service": "active", "date_reconnection": fields.Datetime.now()}
        )

    def _suspend_or_resume(self, suspend, values):
        """Cut or restore the service on the devices, then record ``values``; all or nothing."""
        if self.core_id:
            self._check_required(["pppoe_user"])
        olt = self.olt_id
        olt_driver = olt._provisioning_driver() if self._cut_on_olt() else None
        router_driver = self._router_driver()
        operation = self.env["silver.provisioning.operation"]._open(
            "suspend" if suspend else "reconnect",
            self,
            olt=olt,
            router=self.core_id,
            state_to=values["state_service"],
        )
        steps = DeviceSteps(self, operation)
        if olt_driver is not None:
            steps.drivers[("olt", olt.id)] = olt_driver
            ref = olt._onu_ref(self, type(olt_driver))
            with olt_driver:
                steps.run(lambda: (olt.disable_onu if suspend else olt.enable_onu)(self, olt_driver))
                steps.journal(
                    {
                        "do": "disable_onu" if suspend else "enable_onu",
                        "olt": olt.id,
                        "pon": ref.pon,
                        "onu_id": ref.onu_id,
                        "serial": ref.serial,
                    }
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
        steps.drivers[("router", router.id)] = router_driver
        cut = router._suspend_subscriber if suspend else router._resume_subscriber
        with router_driver:
            steps.run(lambda: cut(self, router_driver))
        steps.journal(
            {
                "do": "suspend_subscriber" if suspend else "resume_subscriber",
                "router": router.id,
                "name": self._router_user(),
            }
        )

    def _terminate_service(self):
        self.ensure_one()
        if self.state_service in ("inactive", "terminated"):
            self._lock_for_device_operation()
            self.write({"state_service": "terminated"})
            return
        self._check_required(["olt_id", "olt_port_id"])
        self._lock_for_operation()
        if self.state_service in ("inactive", "terminated"):
            self.write({"state_service": "terminated"})
            return
        olt = self.olt_id
        olt_driver = olt._provisioning_driver()
        router_driver = self._router_driver()
        operation = self.env["silver.provisioning.operation"]._open(
            "terminate", self, olt=olt, router=self.core_id, state_to="terminated"
        )
        steps = DeviceSteps(self, operation)
        steps.drivers[("olt", olt.id)] = olt_driver
        ref = olt._onu_ref(self, type(olt_driver))
        with olt_driver:
            if router_driver is not None:
                steps.drivers[("router", self.core_id.id)] = router_driver
                with router_driver:
                    steps.run(lambda: self.core_id._remove_subscriber(self, router_driver))
                steps.journal({"do": "remove_subscriber", "router": self.core_id.id, "name": self._router_user()})
            steps.run(lambda: olt._remove_onu(self, olt_driver))
            steps.journal(
                {"do": "remove_onu", "olt": olt.id, "pon": ref.pon, "onu_id": ref.onu_id, "serial": ref.serial}
            )
            steps.run(lambda: olt._save_configuration(self, olt_driver))
            steps.record(lambda: self.write({"state_service": "terminated", "olt_state": "down", "onu_online": False}))
        self.env["silver.olt.discovered.onu"].sudo().search([("contract_id", "=", self.id)]).write(
            {"is_assigned": False, "contract_id": False}
        )

    def _restore_onu(self, olt, driver, onu_id=None):
        """Undo of a removal: register the ONU again with its service, on its former ONU id."""
        service, wan, wifi = self._onu_request(driver)
        service = dataclasses.replace(service, onu_id=self.onu_pon_id if onu_id is None else onu_id)
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


def _subscriber_created(result):
    """Whether ensure_subscriber created the secret (False: it was there; None: not told)."""
    data = getattr(result, "data", result)
    if isinstance(data, dict) and "created" in data:
        return bool(data["created"])
    created = getattr(data, "created", None)
    return bool(created) if isinstance(created, bool) else None


class DeviceSteps:
    """The device steps of one operation: they stand or fall together.

    Each change a device accepts goes into the operation's journal at once
    (committed apart); when a later step or the final write fails, the
    journal is taken back newest first, only what this operation created.
    The error then says what the devices hold: put back, or what is left.
    """

    def __init__(self, contract, operation):
        self.contract = contract
        self.cr = contract.env.cr
        self.operation = operation
        #: the sessions of this operation, reused to take its steps back
        self.drivers = {}

    def run(self, do):
        try:
            return do()
        except UserError as error:
            self.roll_back(error)

    def journal(self, entry):
        self.operation.add(entry)

    def record(self, write):
        """The database write that follows the device steps; undoes them if it fails."""
        try:
            with self.cr.savepoint():
                write()
        except Exception as error:  # noqa: BLE001 - turned into the operator's error below
            first_line = self.contract._provisioning_masker()(str(error).splitlines()[0] if str(error) else "")
            self.roll_back(UserError(_("the database refused the result (%s)", first_line)))

    def roll_back(self, error):
        """Take back the journal and raise ``error`` with what the devices hold now."""
        step_left = []
        if getattr(error, "outcome", "") in ("left", "unknown"):
            # The failed step could not take itself back, or the device could
            # not be read back to know: either way the operator must be told.
            step_left = [_("left by the failed step: %s", "; ".join(error.left) or _("see the transcript"))]
        if not self.operation.entries:
            self.operation.finish(
                "left" if step_left else "undone", left="; ".join(step_left) or False, error=str(error)
            )
            raise error
        with self.contract._provisioning_undoing():
            problems = self.operation.take_back(self.contract, self.drivers) + step_left
        thread = (self.contract._name, self.contract.id)
        if problems:
            self.operation.finish("left", left="; ".join(problems), error=str(error))
            raise DeviceOperationError(
                _(
                    "%(error)s\nNot everything could be put back on the devices; left: %(problems)s",
                    error=error,
                    problems="; ".join(problems),
                ),
                outcome="left",
                left=problems,
                thread=thread,
            ) from None
        raise DeviceOperationError(
            _("%(error)s\nThe devices were put back as they were.", error=error), outcome="undone", thread=thread
        ) from None
