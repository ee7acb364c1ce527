"""A contract operation on the devices, recorded apart from the transaction that asks for it.

The record is committed through a cursor of its own before any device is
touched, and every change a device accepts is added to its journal the same
way, at once.  Whatever then happens to the asking transaction (a refusal of
the final write, a failure at COMMIT, a rollback later in the request, a
worker killed half-way), the journal says what the devices hold that the
database may not:

- after the COMMIT, a post-commit hook settles it (``done``);
- after a rollback (a failed COMMIT included), a post-rollback hook takes back
  what the journal lists (``undone``), or says in words what it could not
  (``left``, shown on the contract);
- when neither hook ran (the process died), the recovery cron finds it open,
  reads the devices back and does the same.

Only what the operation itself created is taken back: the journal records,
per step, whether the device held the object before (``created``).
"""

import json
import logging
import random
import re
import time
from datetime import timedelta

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError

from ..drivers import OnuRef, validation
from ..drivers.errors import InvalidInput

_logger = logging.getLogger(__name__)

#: first key of the advisory locks the asking transaction holds on its operation
OPERATION_LOCK_NAMESPACE = 74_615_302
#: the job key of a billing batch's step (see silver_provisioning_batch.py)
BATCH_STEP_KEY = re.compile(r"batch_line:(\d+):(router|olt)")
BATCH_STEP_QUERIES = {
    "router": "SELECT router_step FROM silver_provisioning_batch_line WHERE id = %s",
    "olt": "SELECT olt_step FROM silver_provisioning_batch_line WHERE id = %s",
}
#: an open operation younger than this is left to the hooks of its own transaction
RECOVERY_MIN_AGE_SECONDS = 60

KINDS = [
    ("activate", "Activation"),
    ("suspend", "Suspension"),
    ("reconnect", "Reconnection"),
    ("terminate", "Termination"),
    ("sync", "Manual Sync"),
]
STATES = [
    ("open", "In Progress"),
    ("done", "Done"),
    ("undone", "Put Back"),
    ("left", "Left on the Devices"),
    ("resolved", "Resolved"),
]


class LeftOnPurpose(UserError):
    """An entry deliberately not taken back: what it is, in words, goes to 'what is left'."""


class SilverProvisioningOperation(models.Model):
    _name = "silver.provisioning.operation"
    _description = "Provisioning Operation"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    state = fields.Selection(STATES, default="open", required=True, readonly=True, index=True)
    # No foreign keys: the operation is committed before the asking transaction,
    # which may have created the contract (or the OLT) itself.
    res_model = fields.Char(string="Document Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(string="Document", model_field="res_model", readonly=True, index=True)
    olt_ref = fields.Integer(string="OLT ID", readonly=True)
    core_ref = fields.Integer(string="Router ID", readonly=True)
    contract_id = fields.Many2one("silver.contract", compute="_compute_records")
    olt_id = fields.Many2one("silver.olt", compute="_compute_records", string="OLT")
    core_id = fields.Many2one("silver.core", compute="_compute_records", string="Router")
    state_from = fields.Char(string="Service State Before", readonly=True)
    state_to = fields.Char(string="Service State Wanted", readonly=True)
    requested_by = fields.Char(readonly=True)
    job_uuid = fields.Char(string="Job", readonly=True, index=True)
    lock_token = fields.Integer(readonly=True, copy=False)
    journal = fields.Text(readonly=True, default="[]", help="What the devices accepted, in order (JSON).")
    journal_text = fields.Text(string="Device Changes", compute="_compute_journal_text")
    left_description = fields.Text(string="What Is Left", readonly=True)
    error = fields.Text(readonly=True)
    date_done = fields.Datetime(string="Settled on", readonly=True)

    def _compute_records(self):
        for operation in self:
            contract = self.env["silver.contract"]
            if operation.res_model == "silver.contract" and operation.res_id:
                contract = contract.browse(operation.res_id).exists()
            operation.contract_id = contract
            operation.olt_id = self.env["silver.olt"].browse(operation.olt_ref).exists() if operation.olt_ref else False
            operation.core_id = (
                self.env["silver.core"].browse(operation.core_ref).exists() if operation.core_ref else False
            )

    @api.depends("journal")
    def _compute_journal_text(self):
        for operation in self:
            operation.journal_text = "\n".join(operation._describe_entry(entry) for entry in operation._entries())

    def _entries(self):
        try:
            return json.loads(self.journal or "[]")
        except ValueError:
            return []

    # -- words --------------------------------------------------------------------
    def _device_name(self, model, record_id):
        record = self.env[model].sudo().browse(record_id).exists() if record_id else None
        return record.display_name if record else f"{model},{record_id}"

    def _describe_entry(self, entry):
        """One journal entry as an operator reads it: what is on which device."""
        do = entry.get("do")
        olt = self._device_name("silver.olt", entry.get("olt"))
        router = self._device_name("silver.core", entry.get("router"))
        onu = {"serial": entry.get("serial") or "?", "olt": olt, "pon": entry.get("pon"), "id": entry.get("onu_id")}
        name = {"name": entry.get("name"), "router": router}
        words = {
            "provision_onu": _("ONU %(serial)s registered on %(olt)s, PON %(pon)s, ONU id %(id)s", **onu),
            "disable_onu": _("ONU %(serial)s disabled on %(olt)s, PON %(pon)s, ONU id %(id)s", **onu),
            "enable_onu": _("ONU %(serial)s enabled on %(olt)s, PON %(pon)s, ONU id %(id)s", **onu),
            "remove_onu": _("ONU %(serial)s removed from %(olt)s, PON %(pon)s, ONU id %(id)s", **onu),
            "ensure_subscriber": _("PPPoE secret %(name)s created or updated on %(router)s", **name),
            "suspend_subscriber": _("PPPoE secret %(name)s suspended on %(router)s", **name),
            "resume_subscriber": _("PPPoE secret %(name)s reconnected on %(router)s", **name),
            "remove_subscriber": _("PPPoE secret %(name)s removed from %(router)s", **name),
            "sync_chunk": _("%(count)s ONU(s) changed by the manual sync", count=len(entry.get("contracts") or [])),
        }
        return words.get(do, do or "?")

    # -- opening, from the asking transaction ------------------------------------
    @api.model
    def _open(self, kind, record, olt=None, router=None, state_to=None, job_uuid=None, hooks=True):
        """An operation committed now, before any device is touched; returns its handle.

        The asking transaction holds an advisory lock on the operation's token
        until it ends: the recovery never takes over an operation still running.
        Its post-commit and post-rollback hooks settle the operation.
        """
        token = random.randint(1, 2**31 - 1)  # noqa: S311 - a lock key, not a secret
        self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (OPERATION_LOCK_NAMESPACE, token))
        values = {
            "name": _(
                "%(kind)s of %(record)s",
                kind=dict(self._fields["kind"]._description_selection(self.env))[kind],
                record=record.display_name,
            ),
            "kind": kind,
            "res_model": record._name,
            "res_id": record.id,
            "olt_ref": olt.id if olt else 0,
            "core_ref": router.id if router else 0,
            "state_from": record["state_service"] if "state_service" in record._fields else False,
            "state_to": state_to or False,
            "requested_by": self.env.user.name,
            "job_uuid": job_uuid or False,
            "lock_token": token,
        }
        with self.env.registry.cursor() as cr:
            operation_id = self.with_env(api.Environment(cr, SUPERUSER_ID, {})).create(values).id
        handle = OperationHandle(self.env, operation_id)
        if hooks:
            # Settled once the transaction is over, whichever way it ends.
            self.env.cr.postcommit.add(handle.settle_after_transaction)
            self.env.cr.postrollback.add(handle.settle_after_transaction)
        return handle

    @api.model
    def _find_open_sync(self, olt, job_uuid):
        """The operation of an earlier run of this sync job, to carry on where it stopped."""
        if not job_uuid:
            return None
        with self.env.registry.cursor() as cr:
            found = self.with_env(api.Environment(cr, SUPERUSER_ID, {})).search(
                [
                    ("job_uuid", "=", job_uuid),
                    ("kind", "=", "sync"),
                    ("res_model", "=", olt._name),
                    ("res_id", "=", olt.id),
                ],
                limit=1,
            )
            return (found.id, found._entries()) if found else None

    # -- settling, from a transaction of its own -----------------------------------
    @api.model
    def _settle_ids(self, operation_ids, wait_for_owner=False):
        """Settle each open operation whose asking transaction is over; returns the states reached."""
        states = {}
        for operation_id in operation_ids:
            try:
                states[operation_id] = self._settle_one(operation_id, wait_for_owner)
            except Exception:  # noqa: BLE001 - one operation never stops the others; logged masked
                _logger.exception("provisioning operation %s could not be settled", operation_id)
                states[operation_id] = "open"
        return states

    @api.model
    def _settle_one(self, operation_id, wait_for_owner=False):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"lang": self.env.context.get("lang")})
            Operation = env["silver.provisioning.operation"]
            cr.execute(
                "SELECT lock_token, state FROM silver_provisioning_operation WHERE id = %s FOR UPDATE SKIP LOCKED",
                (operation_id,),
            )
            row = cr.fetchone()
            if not row:
                return None  # gone, or another settler has it right now
            token, state = row
            if state != "open":
                return state
            if not Operation._owner_is_gone(token, wait_for_owner):
                return "open"
            operation = Operation.browse(operation_id)
            return operation._settle()

    def _owner_is_gone(self, token, wait=False):
        """Whether the transaction that opened the operation has ended (its lock is free)."""
        deadline = time.monotonic() + (5 if wait else 0)
        while True:
            self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (OPERATION_LOCK_NAMESPACE, token))
            if self.env.cr.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def _settle(self):
        """Compare what the database says with what the operation wanted; take back the rest."""
        self.ensure_one()
        record = self.env[self.res_model].browse(self.res_id).exists() if self.res_id else None
        if self.kind == "sync" or self._batch_step_committed():
            return self._finish("done")
        current = record.state_service if record is not None and "state_service" in record._fields else None
        if record and current == self.state_to and current != self.state_from:
            return self._finish("done")
        if record and current not in (self.state_from, self.state_to):
            return self._finish(
                "left",
                left=_(
                    "The contract changed to %(state)s meanwhile; check the devices against it: %(changes)s",
                    state=current,
                    changes="; ".join(self._describe_entry(e) for e in self._entries()),
                ),
            )
        problems, notes = self._take_back(self._entries(), record or None)
        return self._finish_taken_back(problems, notes, record or None)

    def _batch_step_committed(self):
        """Whether this is a billing batch's step whose line was committed as done.

        The batch settles it after that commit; a worker that died in between
        leaves it open with the contract still in its former state (the
        contract changes with its last step only), which the comparison below
        would read as "not recorded" and take the device's change back under
        a line that says it is done.
        """
        match = BATCH_STEP_KEY.fullmatch(self.job_uuid or "")
        if not match:
            return False
        self.env.cr.execute(BATCH_STEP_QUERIES[match[2]], (int(match[1]),))
        row = self.env.cr.fetchone()
        return bool(row and row[0] == "done")

    def _finish_taken_back(self, problems, notes, record):
        state = "left" if problems else "undone"
        self._finish(state, left="; ".join(problems) if problems else False)
        if record:
            record._post_settlement(self, notes)
        return state

    def _finish(self, state, left=False, error=False):
        self.write(
            {
                "state": state,
                "left_description": left or False,
                "error": error or self.error or False,
                "date_done": fields.Datetime.now(),
            }
        )
        return state

    # -- who holds what ----------------------------------------------------------
    @api.model
    def _open_rows(self, exclude_contracts=(), exclude_operations=()):
        """The open operations of the other committed contracts, read committed, apart (they are committed
        apart; a contract not committed yet holds nothing another could see, and if its transaction dies,
        the undo still leaves what another contract took meanwhile):
        [(contract id, contract name, operation name, journal entries, contract serial, router id, PPPoE user)]."""
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '5s'")
            cr.execute(
                """
                SELECT o.res_id, c.name, o.name, o.journal, c.serial_number, c.core_id, c.pppoe_user
                  FROM silver_provisioning_operation o
                  JOIN silver_contract c ON c.id = o.res_id
                 WHERE o.state = 'open' AND o.res_model = 'silver.contract'
                   AND o.res_id != ALL(%s) AND o.id != ALL(%s)
              ORDER BY o.id
                """,
                (list(exclude_contracts) or [0], list(exclude_operations) or [0]),
            )
            rows = cr.fetchall()
        result = []
        for res_id, contract_name, name, journal, typed, core_id, user in rows:
            try:
                entries = json.loads(journal or "[]")
            except ValueError:
                entries = []
            result.append((res_id, contract_name, name, entries, typed, core_id, user))
        return result

    @api.model
    def _open_holders(self, serial=None, router_id=None, pppoe_user=None, exclude_contracts=(), exclude_operations=()):
        """[(contract id, contract name, operation name)] of the open operations holding ONU ``serial``
        or secret ``pppoe_user`` on router ``router_id``: by their contract, or by what their journal
        says the devices accepted."""
        holders = []
        for res_id, contract_name, name, entries, typed, core_id, user in self._open_rows(
            exclude_contracts, exclude_operations
        ):
            serials = {_normalized(typed)} | {_normalized(e.get("serial")) for e in entries if e.get("olt")}
            secrets = {(core_id, user)} | {(e.get("router"), e.get("name")) for e in entries if e.get("router")}
            if (serial and serial in serials) or (router_id and pppoe_user and (router_id, pppoe_user) in secrets):
                holders.append((res_id, contract_name, name))
        return holders

    @api.model
    def _open_positions(self, olt_id, pon, exclude_contracts=()):
        """[(ONU id, contract name)] the open operations of the other contracts registered on ``pon``."""
        return sorted(
            {
                (e["onu_id"], contract_name)
                for _res_id, contract_name, _name, entries, *_rest in self._open_rows(exclude_contracts)
                for e in entries
                if e.get("do") == "provision_onu"
                and e.get("olt") == olt_id
                and e.get("pon") == pon
                and e.get("onu_id") is not None
            }
        )

    def _holder_now(self, entry, contract):
        """Words naming who holds, now, what ``entry`` touched: a contract in service or another open
        operation; None when nobody else does (the undo may go ahead)."""
        exclude = [contract.id] if contract else []
        Contract = self.env["silver.contract"].browse(exclude)
        serial = _normalized(entry.get("serial")) if entry.get("olt") else None
        router_id, user = (entry.get("router"), entry.get("name")) if entry.get("router") else (None, None)
        if serial:
            holders = Contract._serial_holders(serial, fresh=True, flush=False)
            if holders:
                return _("%s now has it in service", holders[0][1])
        if router_id and user:
            query = """
                SELECT name FROM silver_contract
                 WHERE id != ALL(%s) AND core_id = %s AND pppoe_user = %s AND state_service IN ('active', 'suspended')
                 ORDER BY id LIMIT 1
            """
            params = (exclude or [0], router_id, user)
            self.env.cr.execute(query, params)
            row = self.env.cr.fetchone() or next(iter(Contract._committed_rows(query, params)), None)
            if row:
                return _("%s now has it in service", row[0])
        others = self._open_holders(serial, router_id, user, exclude, self.ids)
        if others:
            return _(
                "%(contract)s now holds it (%(operation)s, still open)", contract=others[0][1], operation=others[0][2]
            )
        return None

    def _check_not_held_by_another(self, entry, contract):
        """Never take back what another contract now holds: left, in words naming it."""
        holder = self._holder_now(entry, contract)
        if holder:
            raise LeftOnPurpose(_("%s, so it was left there", holder))

    # -- taking back ---------------------------------------------------------------
    @api.model
    def _take_back(self, entries, contract, drivers=None, verify=True):
        """Undo journal ``entries`` newest first; returns ([what is left, in words], [notes]).

        ``drivers`` reuses sessions the caller has open ({('olt', id): driver});
        without them each device is reached afresh, under its session lock.
        ``verify`` reads an ONU back before removing it, so an id that now
        holds another serial is never removed, and leaves what another
        contract in service, or another open operation, now holds (the caller's
        own undo, under its locks, right after its own changes, needs neither).
        """
        own = {}
        try:
            return self._take_back_entries(entries, contract, own, drivers or {}, verify)
        finally:
            for driver in own.values():
                driver.__exit__(None, None, None)

    def _take_back_entries(self, entries, contract, own, given, verify):
        drivers = _Drivers(self, given, own)
        problems, notes = [], []
        saved = set()
        for entry in reversed(entries):
            try:
                note = self._undo_entry(entry, contract, drivers, verify)
            except LeftOnPurpose as kept:
                problems.append(_("%(change)s: %(why)s", change=self._describe_entry(entry), why=str(kept)))
                continue
            except UserError as error:
                problems.append(
                    _("%(change)s (undo failed: %(error)s)", change=self._describe_entry(entry), error=str(error))
                )
                continue
            if note:
                notes.append(note)
            if entry.get("olt") and entry.get("do") != "save":
                saved.add(entry["olt"])
        for olt_id in saved:
            olt = self.env["silver.olt"].browse(olt_id).exists()
            if olt and olt.is_write_olt:
                try:
                    olt._save_configuration(contract or olt, self._driver_for(("olt", olt_id), drivers))
                except UserError as error:
                    problems.append(
                        _(
                            "the configuration of %(olt)s was not saved (%(error)s)",
                            olt=olt.display_name,
                            error=str(error),
                        )
                    )
        return problems, notes

    def _driver_for(self, key, drivers):
        return drivers.get(key)

    def _undo_entry(self, entry, contract, drivers, verify):
        """Take back one journal entry; returns a note for what was kept on purpose, or None."""
        do = entry.get("do")
        if do in ("provision_onu", "disable_onu", "enable_onu", "remove_onu"):
            return self._undo_olt_entry(entry, contract, drivers, verify)
        if do in ("ensure_subscriber", "suspend_subscriber", "resume_subscriber", "remove_subscriber"):
            return self._undo_router_entry(entry, contract, drivers, verify)
        return None

    def _log_target(self, contract, device):
        """The record the undo is logged on: the contract when it exists, else the device."""
        return contract if contract else device

    def _undo_olt_entry(self, entry, contract, drivers, verify):
        olt = self.env["silver.olt"].browse(entry["olt"]).exists()
        if not olt:
            raise UserError(_("the OLT no longer exists"))
        do = entry["do"]
        if do == "provision_onu" and entry.get("created") is False:
            return _("%s: it was on the OLT before this operation, so it was left there.", self._describe_entry(entry))
        if do == "provision_onu" and not entry.get("created"):
            # Neither the driver nor the auto-find list said the ONU was new: never removed on a guess.
            raise LeftOnPurpose(
                _(
                    "it was not waiting in auto-find before this operation and may have been "
                    "registered already, so it was left on the OLT"
                )
            )
        if verify:
            self._check_not_held_by_another(entry, contract)
        driver = self._driver_for(("olt", olt.id), drivers)
        ref = OnuRef(pon=entry["pon"], onu_id=entry["onu_id"], serial=entry.get("serial") or "")
        target = self._log_target(contract, olt)
        if do == "provision_onu":
            if verify and not olt._onu_holds(target, driver, ref):
                return _("%s: no longer on the OLT, nothing to remove.", self._describe_entry(entry))
            olt._remove_onu(target, driver, ref)
        elif do == "disable_onu":
            olt._enable_onu_ref(target, driver, ref)
        elif do == "enable_onu":
            olt._disable_onu_ref(target, driver, ref)
        elif do == "remove_onu":
            if not contract:
                raise UserError(_("the contract is gone: the ONU cannot be registered again from it"))
            contract._restore_onu(olt, driver, onu_id=ref.onu_id)
        return None

    def _undo_router_entry(self, entry, contract, drivers, verify=True):
        router = self.env["silver.core"].browse(entry["router"]).exists()
        if not router:
            raise UserError(_("the router no longer exists"))
        do = entry["do"]
        if do == "ensure_subscriber" and entry.get("created") is None:
            raise LeftOnPurpose(_("the router did not say whether the secret is new, so it was left there"))
        if do == "ensure_subscriber" and not entry.get("created"):
            return _(
                "%s: the secret was on the router before this operation, so it was left there.",
                self._describe_entry(entry),
            )
        if verify:
            self._check_not_held_by_another(entry, contract)
        driver = self._driver_for(("router", router.id), drivers)
        target = self._log_target(contract, router)
        name = entry["name"]
        with driver:
            if do == "ensure_subscriber":
                router._remove_subscriber_named(target, driver, name)
            elif do == "suspend_subscriber":
                router._resume_subscriber_named(target, driver, name)
            elif do == "resume_subscriber":
                router._suspend_subscriber_named(target, driver, name)
            elif do == "remove_subscriber":
                if not contract:
                    raise UserError(_("the contract is gone: the secret cannot be created again from it"))
                router._ensure_subscriber(contract, driver, router._subscriber_for(contract.sudo()))
        return None

    # -- recovery ----------------------------------------------------------------------
    @api.model
    def _cron_recover_operations(self, min_age=RECOVERY_MIN_AGE_SECONDS):
        """Settle the operations left open by a transaction that ended without its hooks."""
        with self.env.registry.cursor() as cr:
            # The database's clock, to the microsecond: the operations' create_date is its own.
            limit = cr.now() - timedelta(seconds=min_age)
            ids = (
                self.with_env(api.Environment(cr, SUPERUSER_ID, {}))
                .search([("state", "=", "open"), ("kind", "!=", "sync"), ("create_date", "<=", limit)], order="id")
                .ids
            )
        return self._settle_ids(ids)

    # -- buttons ------------------------------------------------------------------------
    def action_retry_take_back(self):
        """Network administrators: try again to take back what an operation left."""
        self.env["silver.olt"]._check_network_admin()
        for operation in self.filtered(lambda op: op.state == "left").sudo():
            contract = operation.contract_id
            problems, notes = operation._take_back(operation._entries(), contract or None)
            operation._finish_taken_back(problems, notes, contract or None)
        return True

    def action_mark_resolved(self):
        """Network administrators: what was left has been dealt with by hand."""
        self.env["silver.olt"]._check_network_admin()
        self.filtered(lambda op: op.state in ("left", "open")).sudo().write(
            {"state": "resolved", "date_done": fields.Datetime.now()}
        )
        return True


def _normalized(serial):
    try:
        return validation.normalize_serial(serial or "") if serial else None
    except InvalidInput:
        return None


class _Drivers:
    """The sessions a take-back uses: the caller's own, else one per device, opened once, under its lock."""

    def __init__(self, operation, given, own):
        self.operation = operation
        self.given = given
        self.own = own

    def get(self, key):
        if key in self.given:
            return self.given[key]
        if key not in self.own:
            model = "silver.olt" if key[0] == "olt" else "silver.core"
            device = self.operation.env[model].browse(key[1]).exists()
            if not device:
                raise UserError(_("the device no longer exists"))
            if model == "silver.olt":
                device._lock_for_session()
            driver = device._provisioning_driver()
            driver.__enter__()
            self.own[key] = driver
        return self.own[key]


class OperationHandle:
    """The asking transaction's side of an operation: journal now, settle later."""

    def __init__(self, env, operation_id):
        self.env = env
        self.registry = env.registry
        self.id = operation_id
        self.entries = []
        self.settled = False

    def _write(self, values):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["silver.provisioning.operation"].browse(self.id).write(values)

    def add(self, entry):
        """A change a device accepted: in the journal, committed, before anything else happens."""
        self.entries.append(entry)
        self._write({"journal": json.dumps(self.entries)})

    def take_back(self, contract, drivers):
        """Undo the journal now, on the caller's sessions, and settle; returns what is left, in words."""
        Operation = self.env["silver.provisioning.operation"]
        problems, _notes = Operation._take_back(self.entries, contract, drivers, verify=False)
        self.finish("left" if problems else "undone", left="; ".join(problems) if problems else False)
        return problems

    def finish(self, state, left=False, error=False):
        values = {"state": state, "left_description": left or False, "date_done": fields.Datetime.now()}
        if error:
            values["error"] = error
        self._write(values)
        self.settled = True

    def settle_after_transaction(self):
        """Post-commit / post-rollback hook: settle from a transaction of its own."""
        if self.settled:
            return
        self.settled = True
        try:
            self.env["silver.provisioning.operation"]._settle_ids([self.id], wait_for_owner=True)
        except Exception:  # noqa: BLE001 - a hook must never break the cursor's close
            _logger.exception("provisioning operation %s not settled after its transaction", self.id)


def settlement_message(operation, notes):
    """The chatter note for an operation settled after its transaction: what the devices hold now."""
    if operation.state == "left":
        headline = _(
            "%(operation)s could not be recorded and not everything could be put back on the devices. Left: %(left)s",
            operation=operation.name,
            left=operation.left_description,
        )
    else:
        headline = _(
            "%(operation)s could not be recorded: the devices were put back as they were.", operation=operation.name
        )
    items = Markup().join(Markup("<li>{}</li>").format(note) for note in notes)
    return Markup("<p><b>{}</b></p>").format(headline) + (Markup("<ul>{}</ul>").format(items) if notes else Markup())
