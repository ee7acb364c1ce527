"""Changes to a live service: plan, VLAN, WiFi and PPPoE edits wait as "changes
pending" until applied; replace, move and reboot of the ONU; a preview of any
operation.  Nothing is sent from ``write()``: an edit only marks the contract.
"""

import contextlib
import dataclasses

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..drivers import OnuRef, engine
from ..drivers.errors import DriverError, InvalidInput
from .silver_contract import IN_SERVICE

TECHNICIAN = "silver_provisioning.group_provisioning_technician"
NETWORK_ADMIN = "silver_provisioning.group_network_admin"
#: the result's own write clears the flag instead of setting it
APPLYING = "silver_provisioning_applying"
#: what an edit changes on the devices, by the contract fields that carry it
WATCHED = {"vlan_id": "vlan", "pppoe_user": "pppoe", "pppoe_password": "pppoe", "line_ids": "plan"}
PENDING_ORDER = ("plan", "vlan", "pppoe", "wifi")
#: the fields only the provisioning code writes
BOOKKEEPING = {"provisioning_changes_pending", "provisioning_pending_what", "provisioning_router_user"}


class SilverContract(models.Model):
    _inherit = "silver.contract"

    provisioning_changes_pending = fields.Boolean(
        string="Changes Pending",
        readonly=True,
        copy=False,
        help="Plan, VLAN, WiFi or PPPoE edits of a contract in service that the devices do not hold yet: "
        "Apply to Devices sends them.",
    )
    provisioning_pending_what = fields.Char(string="Changes to Apply", readonly=True, copy=False)
    provisioning_pending_label = fields.Char(string="Pending Changes", compute="_compute_provisioning_pending_label")
    provisioning_router_user = fields.Char(
        string="PPPoE User on the Router",
        readonly=True,
        copy=False,
        help="The PPPoE user the router still authenticates while a change of the user is pending: "
        "suspension and termination reach this one until Apply to Devices replaces it.",
    )

    @api.depends("provisioning_pending_what")
    def _compute_provisioning_pending_label(self):
        words = {"plan": _("plan"), "vlan": _("VLAN"), "pppoe": _("PPPoE credentials"), "wifi": _("WiFi")}
        for contract in self:
            contract.provisioning_pending_label = ", ".join(
                words[key] for key in PENDING_ORDER if key in contract._pending()
            )

    # -- changes pending -----------------------------------------------------------
    def _live_signature(self):
        """What the devices hold for this contract, as far as its edits go (secrets compared, never shown)."""
        contract = self.sudo()
        return {
            "vlan": contract.vlan_id.id,
            "pppoe": (contract.pppoe_user or "", contract.pppoe_password or ""),
            "plan": contract._service_plan().id,
        }

    def write(self, vals):
        # The bookkeeping is written by the provisioning code only (as superuser): a
        # client's RPC write (or its context key) would hide an edit from Apply, or
        # name another customer's secret for removal.
        applying = self.env.su and self.env.context.get(APPLYING)
        if not self.env.su and BOOKKEEPING & set(vals):
            raise AccessError(_("The pending changes of a contract are recorded by the provisioning only."))
        if vals.get("state_service") and vals["state_service"] not in IN_SERVICE:
            # Out of service the router holds no secret of it any more: nothing to remember.
            vals = {**vals, "provisioning_router_user": False}
        watched = {WATCHED[name] for name in vals if name in WATCHED}
        if not watched or applying:
            return super().write(vals)
        live = self.filtered(lambda contract: contract.state_service in IN_SERVICE)
        before = {contract.id: contract._live_signature() for contract in live}
        result = super().write(vals)
        for contract in live:
            after = contract._live_signature()
            changed = [key for key in watched if after[key] != before[contract.id][key]]
            contract._remember_router_user(before[contract.id]["pppoe"][0])
            contract._mark_changes_pending(changed)
        return result

    def _remember_router_user(self, previous):
        """The user the router holds, kept from the first rename until applied (renamed back: forgotten)."""
        live = self.provisioning_router_user or previous
        wanted = live if live and live != (self.pppoe_user or "") else False
        if (self.provisioning_router_user or False) != wanted:
            self.sudo().with_context(**{APPLYING: True}).write({"provisioning_router_user": wanted})

    def _router_user(self):
        """The PPPoE user the router authenticates for this contract now."""
        return self.provisioning_router_user or self.pppoe_user or ""

    def _mark_changes_pending(self, what):
        """Remember that ``what`` ('plan', 'vlan', 'pppoe', 'wifi') differs from the devices."""
        for contract in self.filtered(lambda c: c.state_service in IN_SERVICE):
            pending = set((contract.provisioning_pending_what or "").split(",")) - {""}
            pending |= set(what)
            if pending == set((contract.provisioning_pending_what or "").split(",")) - {""}:
                continue
            contract.sudo().with_context(**{APPLYING: True}).write(
                {
                    "provisioning_changes_pending": bool(pending),
                    "provisioning_pending_what": ",".join(key for key in PENDING_ORDER if key in pending),
                }
            )

    def _pending(self):
        return set((self.provisioning_pending_what or "").split(",")) - {""}

    # -- roles -------------------------------------------------------------------------
    def _check_group(self, group, message):
        if not self.env.su and not self.env.user.has_group(group):
            raise AccessError(message)

    # -- what each operation would send -------------------------------------------------
    def _olt_change_kwargs(self, driver, pending):
        """The driver's change_service arguments for what is pending on the OLT (checked, nothing sent)."""
        service, wan, wifi = self._onu_request(driver)
        kwargs = {}
        if "vlan" in pending:
            kwargs["vlan"] = service.vlan
        if "plan" in pending and service.traffic_profile:
            kwargs["traffic_profile"] = service.traffic_profile
        if "pppoe" in pending and wan is not None:
            kwargs["wan"] = wan
        if "wifi" in pending and wifi:
            kwargs["wifi"] = wifi
        return kwargs

    def _router_pending(self, pending):
        return bool(self.core_id) and bool(pending & {"plan", "pppoe"})

    def _device_plan(self, operation, params=None):
        """[(device record, driver, driver method, args, kwargs)] of ``operation`` for this contract,
        each checked before any device is touched."""
        self.ensure_one()
        params = params or {}
        olt = self.olt_id
        olt_driver = olt._provisioning_driver()
        ref = olt._onu_ref(self, type(olt_driver)) if self.olt_port_id else None
        calls = []
        if operation == "apply":
            pending = self._pending()
            # The router first: its secret reads back whole, so it is always put
            # back; an ONU's WAN password cannot be read, so an OLT change is
            # best left for last, when nothing after it can fail.
            if self._router_pending(pending):
                router_driver, subscriber = self._router_request()
                calls.append((self.core_id, router_driver, "ensure_subscriber", (subscriber,), {}))
                calls += self._router_rename_calls(router_driver, subscriber)
            kwargs = self._olt_change_kwargs(olt_driver, pending)
            if kwargs:
                calls.append((olt, olt_driver, "change_service", (ref,), kwargs))
        elif operation == "reboot":
            calls.append((olt, olt_driver, "reboot", (ref,), {}))
        elif operation == "replace":
            service, wan, wifi = self._onu_request(olt_driver, onu_id=self.onu_pon_id)
            new = dataclasses.replace(service, serial=params["serial"], pon=ref.pon, onu_id=ref.onu_id)
            calls.append((olt, olt_driver, "replace_onu", (ref, new), {"wan": wan, "wifi": wifi}))
        elif operation == "move":
            target_olt = params["olt"]
            target_driver = olt_driver if target_olt == olt else target_olt._provisioning_driver()
            new, wan, wifi = self._onu_request(
                target_driver, onu_id=params.get("onu_id"), olt=target_olt, port=params["port"]
            )
            kwargs = {"wan": wan, "wifi": wifi}
            if target_olt != olt:
                kwargs["to"] = target_driver
                # Put back (if the target refuses) with this OLT's own profiles.
                kwargs["back"] = self._onu_request(olt_driver, onu_id=self.onu_pon_id)[0]
            calls.append((olt, olt_driver, "move_onu", (ref, new), kwargs))
        elif operation == "activate":
            service, wan, wifi = self._onu_request(olt_driver)
            calls.append((olt, olt_driver, "provision", (service,), {"wan": wan, "wifi": wifi}))
            router_driver, subscriber = self._router_request()
            if router_driver is not None:
                calls.append((self.core_id, router_driver, "ensure_subscriber", (subscriber,), {}))
        elif operation in ("suspend", "reconnect"):
            suspend = operation == "suspend"
            if self._cut_on_olt():
                calls.append((olt, olt_driver, "suspend" if suspend else "resume", (ref,), {}))
            router_driver = self._router_driver()
            if router_driver is not None:
                method = "suspend_subscriber" if suspend else "resume_subscriber"
                calls.append((self.core_id, router_driver, method, (self._router_user(),), {}))
        elif operation == "terminate":
            router_driver = self._router_driver()
            if router_driver is not None:
                calls.append((self.core_id, router_driver, "remove_subscriber", (self._router_user(),), {}))
            calls.append((olt, olt_driver, "remove", (ref,), {}))
        return calls

    def _router_rename_calls(self, driver, subscriber):
        """A new PPPoE user: the new secret carries the suspension, the old one goes (in the same plan,
        so a refusal puts it back): left behind, the old secret would go on working, uncut by suspensions."""
        old = self.provisioning_router_user
        if not old or old == subscriber.name:
            return []
        calls = []
        if self.state_service == "suspended":
            calls.append((self.core_id, driver, "suspend_subscriber", (subscriber.name,), {}))
        calls.append((self.core_id, driver, "remove_subscriber", (old,), {}))
        return calls

    def _preview_text(self, operation, params=None):
        """The commands ``operation`` would send to each device now, read from the devices (nothing changed)."""
        self.ensure_one()
        blocks = []
        # A preview logs in like any operation: not beside another session (a sync, a
        # batch, a poll) on an OLT that takes one; a move's target OLT too, in id order.
        olts = self.olt_id | ((params or {}).get("olt") or self.env["silver.olt"])
        for olt in olts.sorted("id"):
            olt._lock_for_session()
        with self._secrets_out_of_server_log(self.olt_id, self.core_id):
            for device, driver, method, args, kwargs in self._device_plan(operation, params):
                masker = self._provisioning_masker(driver)
                try:
                    data = driver.preview(method, *args, **kwargs).data
                except InvalidInput as error:
                    self._input_error(error)
                except DriverError as error:
                    if operation == "apply" and method == "suspend_subscriber":
                        # The new user's secret exists only once the step before it ran.
                        note = _("then the new PPPoE user is suspended as the former one is (computed once it exists)")
                        blocks.append(f"{device.display_name}:\n  {note}")
                        continue
                    raise UserError(
                        _(
                            "%(device)s could not be read for the preview: %(error)s",
                            device=device.display_name,
                            error=masker(error.message),
                        )
                    ) from None
                lines = self._preview_lines(data["steps"], masker) or [_("(nothing to send)")]
                lines += [masker(note) for note in data["notes"]]
                blocks.append(f"{device.display_name}:\n" + "\n".join(f"  {line}" for line in lines))
        return "\n\n".join(blocks) or _("Nothing would be sent to any device.")

    @staticmethod
    def _preview_lines(steps, masker):
        """Each command under the CLI context it is typed in: a bare ``reboot`` (ZTE's ONU
        restart, typed in the ONU's management context) would read as the OLT's own."""
        lines, context = [], None
        for mode, command in steps:
            if tuple(mode) != context:
                context = tuple(mode)
                if context:
                    lines.append(masker(" > ".join(context)) + ":")
            lines.append(("  " if context else "") + masker(command))
        return lines

    # -- buttons -----------------------------------------------------------------------
    def _open_operation_wizard(self, operation):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": dict(
                self.env["silver.contract.apply.wizard"]._fields["operation"]._description_selection(self.env)
            )[operation],
            "res_model": "silver.contract.apply.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id, "default_operation": operation},
        }

    def action_apply_changes_wizard(self):
        self._check_operator()
        return self._open_operation_wizard("apply")

    def action_replace_onu_wizard(self):
        self._check_group(TECHNICIAN, _("Only provisioning technicians may replace an ONU."))
        return self._open_operation_wizard("replace")

    def action_move_onu_wizard(self):
        self._check_group(TECHNICIAN, _("Only provisioning technicians may move an ONU."))
        return self._open_operation_wizard("move")

    def action_reboot_onu_wizard(self):
        self._check_operator()
        return self._open_operation_wizard("reboot")

    def action_preview_operation(self):
        """Preview of activate / suspend / reconnect / terminate (context ``preview_operation``)."""
        self._check_operator()
        return self._open_operation_wizard(self.env.context.get("preview_operation") or "activate")

    # -- applying ------------------------------------------------------------------------
    def _apply_changes(self):
        """What is pending, on the OLT and the router, as one plan with undo; then recorded."""
        self.ensure_one()
        self._check_operator()
        self._check_state(IN_SERVICE, _("changed"))
        self._check_required(["olt_id", "olt_port_id"])
        if not self.provisioning_changes_pending:
            raise UserError(_("%s: there are no changes pending to apply.", self.display_name))
        calls = self._device_plan("apply")
        self._lock_for_operation()
        if self.provisioning_router_user:
            # The new user's secret may be another contract's: ensuring it would take it over.
            self._check_pppoe_user_is_free()
        labels = {
            "change_service": _("Change ONU service"),
            "ensure_subscriber": _("Update PPPoE subscriber"),
            "suspend_subscriber": _("Suspend PPPoE subscriber"),
            "remove_subscriber": _("Remove the former PPPoE subscriber"),
        }
        values = {
            "provisioning_changes_pending": False,
            "provisioning_pending_what": False,
            "provisioning_router_user": False,
        }
        self._run_plan("change", calls, labels, values)

    def _reboot_onu(self):
        self.ensure_one()
        self._check_operator()
        self._check_state(IN_SERVICE, _("rebooted"))
        self._check_required(["olt_id", "olt_port_id"])
        calls = self._device_plan("reboot")
        self._lock_for_operation()
        self._run_plan("reboot", calls, {"reboot": _("Reboot ONU")}, {"onu_online": False, "olt_state": "pending"})

    def _replace_onu(self, serial):
        self.ensure_one()
        self._check_group(TECHNICIAN, _("Only provisioning technicians may replace an ONU."))
        self._check_state(IN_SERVICE, _("given another ONU"))
        self._check_required(["olt_id", "olt_port_id", "serial_number"])
        try:
            serial = self.olt_id._provisioning_driver().normalize_serial(serial or "", "serial")
        except InvalidInput as error:
            field = self.env["silver.contract.apply.wizard"]._fields["new_serial"]._description_string(self.env)
            raise UserError(
                _("%(contract)s: %(field)s: %(error)s", contract=self.display_name, field=field, error=error.reason)
            ) from None
        if serial == self._normalized_serial():
            raise UserError(
                _("%(contract)s: %(serial)s is its ONU already.", contract=self.display_name, serial=serial)
            )
        calls = self._device_plan("replace", {"serial": serial})
        self._lock_for_operation()
        # The new ONU is nobody else's: no contract in service, no open operation holds it.
        self._check_onu_is_free(serial)
        old = self.olt_id._onu_ref(self)
        entries = [
            {"do": "remove_onu", "olt": self.olt_id.id, "pon": old.pon, "onu_id": old.onu_id, "serial": old.serial},
            {
                "do": "provision_onu",
                "olt": self.olt_id.id,
                "pon": old.pon,
                "onu_id": old.onu_id,
                "serial": serial,
                "created": True,
            },
        ]
        self._run_plan("replace", calls, {"replace_onu": _("Replace ONU")}, {"serial_number": serial}, entries)

    def _move_onu(self, olt, port, onu_id=None):
        self.ensure_one()
        self._check_group(TECHNICIAN, _("Only provisioning technicians may move an ONU."))
        self._check_state(IN_SERVICE, _("moved"))
        self._check_required(["olt_id", "olt_port_id", "serial_number"])
        if port.olt_id != olt:
            raise UserError(
                _(
                    "%(contract)s: %(port)s is not a port of %(olt)s.",
                    contract=self.display_name,
                    port=port.display_name,
                    olt=olt.display_name,
                )
            )
        if onu_id is not None and onu_id < 0:
            raise UserError(_("%s: the ONU id cannot be negative.", self.display_name))
        if olt == self.olt_id and port == self.olt_port_id and onu_id in (None, self.onu_pon_id):
            raise UserError(_("%s: the ONU is on that port already.", self.display_name))
        calls = self._device_plan("move", {"olt": olt, "port": port, "onu_id": onu_id})
        # Both OLTs' session locks, in id order: two moves in opposite directions never wait on each other.
        for device in sorted({olt, self.olt_id}, key=lambda record: record.id):
            device._lock_for_session()
        self._lock_for_device_operation()
        if onu_id is not None:
            holder = self._onu_id_holder(port, onu_id)
            if holder:
                raise UserError(
                    _(
                        "%(contract)s: ONU id %(onu_id)s on %(port)s is already in service on %(other)s.",
                        contract=self.display_name,
                        onu_id=onu_id,
                        port=port.display_name,
                        other=holder,
                    )
                )
        old = self.olt_id._onu_ref(self)
        values = {"olt_id": olt.id, "olt_card_id": port.olt_card_id.id, "olt_port_id": port.id}
        entries = [
            {"do": "remove_onu", "olt": self.olt_id.id, "pon": old.pon, "onu_id": old.onu_id, "serial": old.serial}
        ]
        self._run_plan("move", calls, {"move_onu": _("Move ONU")}, values, entries, moved_to=(olt, port))

    def _run_plan(self, kind, calls, labels, values, entries=(), moved_to=None):
        """Run ``calls`` as one plan over their devices, journaled; record ``values`` on success.

        A device that refuses takes back what the plan changed on every device
        (the drivers' own undo); a database that refuses the result has the
        journal taken back by the operation, as for an activation."""
        operation = self.env["silver.provisioning.operation"]._open(
            kind, self, olt=self.olt_id, router=self.core_id, state_to=self.state_service
        )
        drivers = [driver for _device, driver, *_rest in calls]
        plan = engine.Plan(*drivers)
        results = []
        marks = {}
        with contextlib.ExitStack() as stack:
            for driver in dict.fromkeys(drivers):
                stack.enter_context(driver)
            try:
                with plan:
                    for device, driver, method, args, kwargs in calls:
                        label = labels.get(method, method)
                        try:
                            results.append(
                                self._execute_with_logging(
                                    label, driver, device, lambda d, m=method, a=args, k=kwargs: getattr(d, m)(*a, **k)
                                )
                            )
                        except UserError:
                            # Where the take-back's own commands start in each transcript.
                            marks = {id(d): len(d.transcript.entries) for _dev, d, *_r in calls}
                            raise
            except UserError as error:
                self._log_take_back(calls, plan, marks)
                self._fail_plan(operation, plan, error)
            for entry in entries:
                operation.add(entry)
            if moved_to is not None:
                provisioned = results[-1].data
                values["onu_pon_id"] = provisioned.onu_id
                values["onu_pon_id_set"] = True
                operation.add(
                    {
                        "do": "provision_onu",
                        "olt": moved_to[0].id,
                        "pon": provisioned.pon,
                        "onu_id": provisioned.onu_id,
                        "serial": provisioned.serial or self._normalized_serial(),
                        "created": True,
                    }
                )
            elif kind == "change":
                operation.add(
                    {"do": "change_service", "olt": self.olt_id.id, "pending": self.provisioning_pending_what}
                )
            saved = {device.id: (device, driver) for device, driver, *_rest in calls if device._name == "silver.olt"}
            for device, driver in saved.values():
                device._save_configuration(self, driver)
            if moved_to is not None and moved_to[0] != self.olt_id:
                moved_to[0]._save_configuration(self, calls[0][4]["to"])
            try:
                with self.env.cr.savepoint():
                    # As superuser: the roles were checked before any device was touched.
                    self.sudo().with_context(**{APPLYING: True}).write(values)
                    self.flush_recordset()
            except Exception as error:  # noqa: BLE001 - turned into the operator's error below
                first = self._provisioning_masker()(str(error).splitlines()[0] if str(error) else "")
                problems = operation.take_back(self, self._journal_drivers(calls, moved_to))
                message = _("the database refused the result (%s)", first)
                if problems:
                    raise UserError(
                        _(
                            "%(error)s\nNot everything could be put back on the devices; left: %(problems)s",
                            error=message,
                            problems="; ".join(problems),
                        )
                    ) from None
                raise UserError(_("%(error)s\nThe devices were put back as they were.", error=message)) from None
        return results

    def _journal_drivers(self, calls, moved_to):
        drivers = {(device._name.split(".")[1], device.id): driver for device, driver, *_rest in calls}
        drivers = {("olt" if kind == "olt" else "router", rid): d for (kind, rid), d in drivers.items()}
        if moved_to is not None and moved_to[0] != self.olt_id:
            drivers[("olt", moved_to[0].id)] = calls[0][4]["to"]
        return drivers

    def _log_take_back(self, calls, plan, marks):
        """The commands that put the other devices back, in the chatter like any operation."""
        logged = set()
        for device, driver, *_rest in calls:
            start = marks.get(id(driver))
            if start is None or id(driver) in logged or len(driver.transcript.entries) <= start:
                continue
            logged.add(id(driver))
            masker = self._provisioning_masker(driver)
            ok = not plan.left
            headline = _("put back as it was") if ok else masker("; ".join(str(item) for item in plan.left))
            entries = self._session_entries(driver.transcript, start)
            with self._provisioning_undoing():
                self._log_operation(_("Take back the changes"), device, ok, headline, entries, masker)

    def _fail_plan(self, operation, plan, error):
        """A device refused: what the plan took back decides the words and the operation's state."""
        left = list(getattr(error, "left", None) or []) + [self._provisioning_masker()(str(item)) for item in plan.left]
        state = "left" if left or getattr(error, "outcome", "") in ("left", "unknown") else "undone"
        operation.finish(state, left="; ".join(left) or False, error=str(error))
        if state == "left":
            raise UserError(
                _(
                    "%(error)s\nNot everything could be put back on the devices; left: %(problems)s",
                    error=error,
                    problems="; ".join(left) or _("see the transcript"),
                )
            ) from None
        raise UserError(_("%(error)s\nThe devices were put back as they were.", error=error)) from None


class SilverContractWifiLine(models.Model):
    _inherit = "silver.contract.wifi.line"

    _wifi_watched = ("ssid_index", "name", "password", "is_hidden", "auth_mode", "encrypt_type")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.contract_id._mark_changes_pending(["wifi"])
        return lines

    def write(self, vals):
        if not any(name in vals for name in self._wifi_watched):
            return super().write(vals)
        before = {line.id: [line.sudo()[name] for name in self._wifi_watched] for line in self}
        result = super().write(vals)
        changed = self.filtered(lambda line: [line.sudo()[name] for name in self._wifi_watched] != before[line.id])
        changed.contract_id._mark_changes_pending(["wifi"])
        return result

    def unlink(self):
        contracts = self.contract_id
        result = super().unlink()
        contracts._mark_changes_pending(["wifi"])
        return result


class SilverProvisioningOperation(models.Model):
    _inherit = "silver.provisioning.operation"

    kind = fields.Selection(
        selection_add=[
            ("change", "Service Change"),
            ("replace", "ONU Replacement"),
            ("move", "ONU Move"),
            ("reboot", "ONU Reboot"),
        ],
        ondelete={"change": "cascade", "replace": "cascade", "move": "cascade", "reboot": "cascade"},
    )

    def _describe_entry(self, entry):
        if entry.get("do") == "change_service":
            return _(
                "service changed on %(olt)s (%(what)s)",
                olt=self._device_name("silver.olt", entry.get("olt")),
                what=entry.get("pending") or "?",
            )
        return super()._describe_entry(entry)

    def _settle(self):
        """A change keeps the service state: the contract's own fields say whether it was recorded."""
        self.ensure_one()
        if self.kind not in ("change", "replace", "move", "reboot"):
            return super()._settle()
        record = self.env[self.res_model].browse(self.res_id).exists() if self.res_id else None
        if self.kind == "reboot":
            return self._finish("done")
        if self.kind == "change":
            if record and not record.provisioning_changes_pending:
                return self._finish("done")
            return self._finish(
                "left",
                left=_("The devices hold the changes; the contract still lists them as pending: apply them again."),
            )
        entries = self._entries()
        last = next((entry for entry in reversed(entries) if entry.get("do") == "provision_onu"), None)
        if record and last and self._holds_position(record, last):
            return self._finish("done")
        problems, notes = self._take_back(entries, record or None)
        return self._finish_taken_back(problems, notes, record or None)

    @staticmethod
    def _holds_position(contract, entry):
        ref = OnuRef(pon=entry["pon"], onu_id=entry["onu_id"])
        try:
            pon = contract.olt_id._pon_address(contract.olt_port_id)
        except Exception:  # noqa: BLE001 - a contract without a port holds no position
            return False
        return (
            contract.olt_id.id == entry["olt"]
            and pon == ref.pon
            and contract.onu_pon_id == ref.onu_id
            and (contract._normalized_serial() or "") == (entry.get("serial") or "")
        )
