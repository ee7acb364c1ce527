"""Billing batches: suspend or reconnect many contracts, one job and one session per device.

A batch has one line per contract and, per line, one step per device the
contract needs (the router's PPPoE secret, the OLT's ONU).  Each device gets
one queue_job job on its own channel: one login, the lines one after the
other, one save at the end.  A line's first step (the router's for a
suspension: the cut the customer feels) comes before its second: the second
device's job takes each line once its first step is committed, so both
devices work side by side; a line whose first step failed is not touched on
the second device.

Each line is committed on its own as soon as its step is done, with its
journal entry and chatter log: a job killed half-way (or retried by
queue_job) runs again over the lines still to do only.  A contract changes
state only once its last device step is done, so the database never says
"suspended" while a device still serves the customer.
"""

import json
import logging
import threading
import time
from contextlib import contextmanager

import psycopg2
from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.exceptions import UserError

from ..drivers.errors import DriverError
from .silver_olt import OLT_LOCK_NAMESPACE

_logger = logging.getLogger(__name__)

KINDS = [("suspend", "Suspension"), ("reconnect", "Reconnection")]
STEP_STATES = [
    ("todo", "To Do"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
]
LINE_STATES = [("pending", "Pending"), ("done", "Done"), ("failed", "Failed"), ("skipped", "Skipped")]
BATCH_STATES = [("queued", "Queued"), ("done", "Done"), ("partial", "Partly Failed"), ("failed", "Failed")]

#: per kind: (service state the contract must be in, state it reaches, date field stamped)
TRANSITIONS = {
    "suspend": ("active", "suspended", "date_cut"),
    "reconnect": ("suspended", "active", "date_reconnection"),
}
#: the device acted on first, per kind: a suspension cuts the PPPoE session
#: first (what the customer feels); a reconnection brings the ONU up first so
#: the secret comes back on a line that works
FIRST_DEVICE = {"suspend": "router", "reconnect": "olt"}
DEVICES = {"router": ("silver.core", "core_id"), "olt": ("silver.olt", "olt_id")}
#: how long the second device's job waits for a line's first step before it
#: gives the rest back to queue_job (retried later), and how often it looks
WAIT_SECONDS = 300
WAIT_POLL_SECONDS = 0.2


def _committed_journal(env, operation_id):
    """The journal of an operation as committed (by its own cursor, which this transaction may not see yet)."""
    with env.registry.cursor() as cr:
        cr.execute("SELECT journal FROM silver_provisioning_operation WHERE id = %s", (operation_id,))
        row = cr.fetchone()
    return json.loads(row[0] or "[]") if row else []


def _committed_open_operation(env, key):
    """(id, lock token, journal) of the open operation a killed run left for this step, or None."""
    with env.registry.cursor() as cr:
        cr.execute(
            "SELECT id, lock_token, journal FROM silver_provisioning_operation "
            "WHERE job_uuid = %s AND state = 'open' ORDER BY id DESC LIMIT 1",
            (key,),
        )
        row = cr.fetchone()
    return (row[0], row[1], json.loads(row[2] or "[]")) if row else None


def _state_words(contract, state):
    """A service state as the user reads it inside a sentence ("already suspended", "ya suspendido")."""
    labels = dict(contract._fields["state_service"]._description_selection(contract.env))
    return (labels.get(state) or state or "").lower()


def _other(device):
    return "olt" if device == "router" else "router"


def commit_progress(env):
    """What is done so far is committed: a killed or retried job never redoes it."""
    env.flush_all()
    if getattr(threading.current_thread(), "testing", False):
        # A test's transaction never commits: run what a COMMIT runs, the
        # hooks that settle the operations and the precommit work.
        env.cr.precommit.run()
        env.cr.postcommit.run()
    else:
        env.cr.commit()  # pylint: disable=invalid-commit


class SilverProvisioningBatch(models.Model):
    _name = "silver.provisioning.batch"
    _description = "Provisioning Batch"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    kind = fields.Selection(KINDS, required=True, readonly=True)
    state = fields.Selection(BATCH_STATES, compute="_compute_counts", store=True)
    line_ids = fields.One2many("silver.provisioning.batch.line", "batch_id", string="Contracts", readonly=True)
    requested_by = fields.Char(readonly=True)
    line_count = fields.Integer(string="Contract Count", compute="_compute_counts", store=True)
    done_count = fields.Integer(string="Done", compute="_compute_counts", store=True)
    failed_count = fields.Integer(string="Failed", compute="_compute_counts", store=True)
    pending_count = fields.Integer(string="Pending", compute="_compute_counts", store=True)
    login_count = fields.Integer(string="Logins", readonly=True, help="Device logins the batch's jobs made.")
    save_count = fields.Integer(string="Saves", readonly=True, help="Configuration saves the batch's OLT jobs made.")
    note = fields.Text(string="Device Notes", readonly=True)

    @api.depends("line_ids.state")
    def _compute_counts(self):
        for batch in self:
            states = batch.line_ids.mapped("state")
            batch.line_count = len(states)
            batch.done_count = states.count("done")
            batch.failed_count = states.count("failed") + states.count("skipped")
            batch.pending_count = states.count("pending")
            if batch.pending_count:
                batch.state = "queued"
            elif batch.failed_count == batch.line_count and batch.line_count:
                batch.state = "failed"
            elif batch.failed_count:
                batch.state = "partial"
            else:
                batch.state = "done"

    # -- creating ------------------------------------------------------------------
    @api.model
    def _create_for(self, kind, contracts):
        """A batch of ``contracts`` with its lines and steps; nothing is enqueued yet."""
        label = dict(self._fields["kind"]._description_selection(self.env))[kind]
        batch = self.sudo().create(
            {
                "name": _("%(kind)s of %(count)s contract(s)", kind=label, count=len(contracts)),
                "kind": kind,
                "requested_by": self.env.user.name,
            }
        )
        self.env["silver.provisioning.batch.line"].sudo().create(
            [batch._line_values(contract) for contract in contracts]
        )
        return batch

    def _line_values(self, contract):
        """One line: the steps ``contract`` needs, or why it is left out (before any device is touched)."""
        wanted_from, wanted_to, _date = TRANSITIONS[self.kind]
        values = {"batch_id": self.id, "contract_id": contract.id, "router_step": False, "olt_step": False}
        if contract.state_service == wanted_to:
            return dict(values, state="done", message=_("already %s", _state_words(contract, wanted_to)))
        missing = [name for name in ("olt_id", "olt_port_id") if not contract[name]]
        if contract.core_id and not contract.pppoe_user:
            missing.append("pppoe_user")
        if contract.state_service != wanted_from:
            return dict(
                values, state="skipped", message=_("the service is %s", _state_words(contract, contract.state_service))
            )
        if missing:
            labels = ", ".join(contract._fields[name]._description_string(self.env) for name in missing)
            return dict(values, state="failed", message=_("fill in %s first", labels))
        values.update(
            router_id=contract.core_id.id,
            olt_id=contract.olt_id.id,
            router_step="todo" if contract.core_id else False,
            olt_step="todo" if contract._cut_on_olt() else False,
        )
        return values

    # -- enqueueing ------------------------------------------------------------------
    def _enqueue(self):
        """Every device's job at once, each on its device's channel; returns how many.

        The devices work side by side: the second device's job takes each line
        as soon as its first step is committed (it waits for it, see
        ``_run_device``), and the first device's job visits its lines turn
        about over the second devices so that each of them gets work from the
        start.  The first device's jobs get the higher priority (run first
        where they share workers, and in tests).
        """
        self.ensure_one()
        first = FIRST_DEVICE[self.kind]
        count = 0
        for device in (first, _other(first)):
            model, _field = DEVICES[device]
            todo = self.line_ids.filtered(lambda line, d=device: line[f"{d}_step"] == "todo")
            ids = sorted(set(todo[f"{device}_id"].ids))
            for record in self.env[model].sudo().browse(ids):
                if device == "olt":
                    record._ensure_sync_channel()
                    channel = record._sync_channel()
                else:
                    record._ensure_inventory_channel()
                    channel = record._inventory_channel()
                delayed = self.with_delay(
                    channel=channel,
                    priority=5 if device == first else 10,
                    description=_("%(batch)s on %(device)s", batch=self.name, device=record.display_name),
                    max_retries=5,
                )
                (delayed._job_run_olt if device == "olt" else delayed._job_run_router)(record.id)
                count += 1
        return count

    def _queued_message(self):
        """What was queued, in words, for the notification of the list actions."""
        devices = self._device_keys()
        words = _(
            "%(count)s contract(s) queued in %(jobs)s job(s): %(routers)s router(s), %(olts)s OLT(s).",
            count=self.pending_count,
            jobs=len(devices),
            routers=len([key for key in devices if key[0] == "router"]),
            olts=len([key for key in devices if key[0] == "olt"]),
        )
        if self.failed_count:
            words += " " + _("%s contract(s) left out (see the batch).", self.failed_count)
        return words

    def _device_keys(self):
        return {
            (device, line[f"{device}_id"].id)
            for line in self.line_ids
            for device in DEVICES
            if line[f"{device}_step"] == "todo"
        }

    # -- the jobs ------------------------------------------------------------------
    def _job_run_router(self, router_id):
        """Job: this batch's steps on one router, in one session."""
        return self._run_device("router", router_id)

    def _job_run_olt(self, olt_id):
        """Job: this batch's steps on one OLT, in one session, saved once at the end."""
        return self._run_device("olt", olt_id)

    def _run_device(self, device, device_id):
        self.ensure_one()
        batch = self.sudo()
        model, _field = DEVICES[device]
        record = self.env[model].sudo().browse(device_id)
        lines = batch.line_ids.filtered(lambda line: line[f"{device}_id"].id == device_id)
        # A re-run (queue_job's retry, a killed job run again) finds the lines
        # it committed as done and leaves them.
        todo = lines.filtered(lambda line: line[f"{device}_step"] == "todo")
        # A run killed after its last line and before its save: the re-run saves.
        unsaved = lines.filtered(lambda line: line.olt_step == "done" and not line.olt_saved)
        if device != "olt" or not record.is_write_olt:
            unsaved = unsaved.browse()
        if not todo and not unsaved:
            return batch._device_summary(lines, device)
        try:
            driver = record._provisioning_driver()
        except UserError as error:
            todo._fail_remaining(device, str(error))
            batch._commit_progress()
            return batch._device_summary(lines, device)
        try:
            return batch._run_device_session(device, record, driver, lines, todo, unsaved)
        except RetryableJobError as error:
            if not batch._last_try():
                raise
            # queue_job would mark the job failed and leave its lines pending for
            # ever, the contracts' first steps unexplained: they are failed, in words.
            lines.invalidate_recordset()
            left = lines.filtered(lambda line: line[f"{device}_step"] == "todo")
            left._fail_remaining(device, _("not done, the job gave up: %s", error.args[0] if error.args else error))
            batch._commit_progress()
            return batch._device_summary(lines, device)

    def _last_try(self):
        """Whether this run is the job's last: queue_job fails the job for good if it asks for a retry."""
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return False
        self.env.cr.execute("SELECT retry, max_retries FROM queue_job WHERE uuid = %s", (uuid,))
        row = self.env.cr.fetchone()
        # The row holds the runs before this one (queue_job counts this one after it ends).
        return bool(row and row[1] and row[0] + 1 >= row[1])

    def _run_device_session(self, device, record, driver, lines, todo, unsaved):
        """The device's lines in one session; RetryableJobError when the device is busy or the
        other device's steps are late."""
        batch = self
        done_here, waited_out = [], False
        with batch._device_session_held(device, record), record._secrets_out_of_server_log(), driver:
            try:
                driver.open()
            except DriverError as error:
                # A refused (or impossible) login stops the batch on this device:
                # each further try would count towards the device's lockout.
                message = _(
                    "login to %(device)s failed: %(error)s",
                    device=record.display_name,
                    error=driver.masker(error.message),
                )
                todo._fail_remaining(device, message)
                batch._commit_progress()
                return batch._device_summary(lines, device)
            pending = batch._visit_order(todo, device)
            waiting_since = time.monotonic()
            while pending:
                pending = [line for line in pending if line[f"{device}_step"] == "todo"]
                ready = [line for line in pending if line._ready_for(device)]
                if not ready and pending:
                    if time.monotonic() - waiting_since > WAIT_SECONDS:
                        waited_out = True
                        break
                    # The first device's job commits each line; a new snapshot sees it.
                    time.sleep(WAIT_POLL_SECONDS)
                    batch._commit_progress()
                    lines.invalidate_recordset()
                    continue
                waiting_since = time.monotonic()
                for line in ready:
                    if line._run_step(device, record, driver):
                        done_here.append(line)
                    batch._commit_progress()
                    batch._line_committed(line)
                pending = [line for line in pending if line not in ready]
            to_save = list(unsaved) + done_here
            if device == "olt" and to_save and record.is_write_olt:
                batch._save_olt(record, driver, to_save)
        batch._add_counts(logins=driver.logins)
        batch._commit_progress()
        if waited_out:
            # The lines done stay done; the retry takes the rest.
            raise RetryableJobError(
                _("%s: the other device's steps are not done yet; trying again later.", record.display_name), seconds=60
            )
        return batch._device_summary(lines, device)

    @contextmanager
    def _device_session_held(self, device, record):
        """The OLT's session lock, held across this job's commits (a lock of the database
        session, not of one transaction): no other operation logs in to the OLT while the
        batch's session is open.  A router takes operations side by side: no lock."""
        if device != "olt":
            yield
            return
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (OLT_LOCK_NAMESPACE, record.id))
        if not cr.fetchone()[0]:
            raise RetryableJobError(
                _("%s is busy with another session; retrying later.", record.display_name), seconds=30
            )
        try:
            yield
        finally:
            try:
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, record.id))
            except psycopg2.Error:
                # An aborted transaction refuses every statement, and the lock
                # outlives it (it is the connection's): released after the rollback.
                cr.rollback()
                cr.execute("SELECT pg_advisory_unlock(%s, %s)", (OLT_LOCK_NAMESPACE, record.id))

    def _visit_order(self, lines, device):
        """The first device's lines turn about over their second device, so each of those starts at once."""
        if device != FIRST_DEVICE[self.kind]:
            return list(lines)
        other = _other(device)
        queues = {}
        for line in lines:
            queues.setdefault(line[f"{other}_id"].id, []).append(line)
        ordered = []
        for rank in range(max((len(queue) for queue in queues.values()), default=0)):
            ordered += [queue[rank] for queue in queues.values() if rank < len(queue)]
        return ordered

    def _save_olt(self, olt, driver, lines):
        """One save for the whole batch on this OLT.

        The lines were committed before it (each contract on its own): a failed
        save cannot take them back, and the OLT would bring their ONUs back at
        its next restart.  It is said on the batch, on each line, and on each
        contract's chatter, where whoever opens the contract looks.
        """
        try:
            olt._save_configuration(olt, driver)
        except UserError as error:
            self._add_note(
                _("%(olt)s: the configuration could not be saved: %(error)s", olt=olt.display_name, error=error)
            )
            for line in lines:
                line._report_unsaved(olt, error)
        else:
            self._add_counts(saves=1)
            self.env["silver.provisioning.batch.line"].concat(*lines).write({"olt_saved": True})
        self._commit_progress()

    def _add_counts(self, logins=0, saves=0):
        self.env.cr.execute(
            "UPDATE silver_provisioning_batch SET login_count = COALESCE(login_count, 0) + %s, "
            "save_count = COALESCE(save_count, 0) + %s "
            "WHERE id = %s",
            (logins, saves, self.id),
        )
        self.invalidate_recordset(["login_count", "save_count"])

    def _add_note(self, text):
        self.note = "\n".join(filter(None, [self.note, text]))

    def _device_summary(self, lines, device):
        return {line.contract_id.display_name: (line[f"{device}_step"], line.message or "") for line in lines}

    def _commit_progress(self):
        commit_progress(self.env)

    def _line_committed(self, line):
        """Called after each line is committed (a seam for the kill tests)."""

    # -- views ---------------------------------------------------------------------
    def action_view_contracts(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.name,
            "res_model": "silver.contract",
            "view_mode": "tree,form",
            "domain": [("id", "in", self.line_ids.contract_id.ids)],
        }


class SilverProvisioningBatchLine(models.Model):
    _name = "silver.provisioning.batch.line"
    _description = "Provisioning Batch Line"
    _order = "batch_id, id"

    batch_id = fields.Many2one("silver.provisioning.batch", required=True, ondelete="cascade", index=True)
    contract_id = fields.Many2one("silver.contract", required=True, ondelete="cascade", index=True)
    router_id = fields.Many2one("silver.core", ondelete="set null")
    olt_id = fields.Many2one("silver.olt", string="OLT", ondelete="set null")
    router_step = fields.Selection(STEP_STATES)
    olt_step = fields.Selection(STEP_STATES, string="OLT Step")
    state = fields.Selection(LINE_STATES, default="pending", required=True, index=True)
    message = fields.Char(string="Result")
    router_operation_ref = fields.Integer(string="Router Operation")
    olt_operation_ref = fields.Integer(string="OLT Operation")
    date_done = fields.Datetime(string="Done on")
    olt_saved = fields.Boolean(string="Saved on the OLT", readonly=True)

    def _steps(self):
        first = FIRST_DEVICE[self.batch_id.kind]
        return [device for device in (first, _other(first)) if self[f"{device}_step"]]

    def _ready_for(self, device):
        """Whether every step before ``device``'s is over (done, or failed and this one skipped)."""
        steps = self._steps()
        return all(self[f"{step}_step"] != "todo" for step in steps[: steps.index(device)])

    def _fail_remaining(self, device, message):
        for line in self:
            line._step_failed(device, message)

    def _report_unsaved(self, olt, error):
        words = _(
            "%(olt)s accepted this contract's step but could not save its configuration (%(error)s): a restart "
            "of the OLT brings the ONU back as it was. Save the OLT's configuration.",
            olt=olt.display_name,
            error=error,
        )
        self.message = words
        self.contract_id.sudo()._post_log_message(Markup("<p>{}</p>").format(words))

    def _step_failed(self, device, message):
        """This step failed: later steps are not taken, and what earlier ones left is said."""
        values = {f"{device}_step": "failed", "state": "failed", "message": message, "date_done": fields.Datetime.now()}
        for other in self._steps():
            if other != device and self[other + "_step"] == "todo":
                values[f"{other}_step"] = "skipped"
        self.write(values)
        self._report_left_by_earlier_step(device, message)

    def _report_left_by_earlier_step(self, device, message):
        """The first device already changed, the second refused: the operation of the first says so."""
        steps = self._steps()
        index = steps.index(device)
        for earlier in steps[:index]:
            if self[f"{earlier}_step"] != "done" or not self[f"{earlier}_operation_ref"]:
                continue
            from .silver_provisioning_operation import OperationHandle

            operation = self.env["silver.provisioning.operation"].sudo()
            changes = "; ".join(
                operation._describe_entry(entry)
                for entry in _committed_journal(self.env, self[f"{earlier}_operation_ref"])
            )
            left = _(
                "%(changes)s; the next step failed (%(error)s): the contract keeps its state until a new batch "
                "finishes it",
                changes=changes,
                error=message,
            )
            OperationHandle(self.env, self[f"{earlier}_operation_ref"]).finish("left", left=left)
            self.message = _("%(error)s (left: %(changes)s)", error=message, changes=changes)

    def _run_step(self, device, record, driver):
        """This line's step on ``record`` with the open ``driver``; True when done."""
        self.ensure_one()
        batch = self.batch_id
        contract = self.contract_id.sudo()
        wanted_from, wanted_to, date_field = TRANSITIONS[batch.kind]
        steps = self._steps()
        earlier = steps[: steps.index(device)]
        if any(self[f"{step}_step"] != "done" for step in earlier):
            self._step_failed(device, _("not attempted: the %s step is not done", earlier[0]))
            return False
        operation = None
        try:
            with self.env.cr.savepoint():
                if device == "olt":
                    # The OLT's session lock ends with each commit: taken again per line.
                    record._lock_for_session()
                contract._lock_for_device_operation()
                if contract.state_service == wanted_to:
                    # Another batch (or a manual action) got there first: what was asked is so.
                    self._already_there(device, _state_words(contract, wanted_to))
                    return False
                if contract.state_service != wanted_from:
                    self.write(
                        {
                            f"{device}_step": "skipped",
                            "state": "skipped",
                            "message": _("the service is %s now", _state_words(contract, contract.state_service)),
                        }
                    )
                    return False
                operation = self._step_operation(device, contract, record)
                with contract._secrets_out_of_server_log(record):
                    operation.add(self._do_step(device, contract, record, driver))
                values = {f"{device}_step": "done", f"{device}_operation_ref": operation.id}
                if device == steps[-1]:
                    contract.write({"state_service": wanted_to, date_field: fields.Datetime.now()})
                    values.update(state="done", message=False, date_done=fields.Datetime.now())
                self.write(values)
        except UserError as error:
            if operation is not None:
                # The driver put the device back itself (its own plan's undo), or says
                # what is left; a journal carried on from a killed run is left as it is.
                outcome = getattr(error, "outcome", "") or ""
                left = outcome in ("left", "unknown") or bool(operation.entries)
                Operation = self.env["silver.provisioning.operation"]
                described = "; ".join(Operation._describe_entry(entry) for entry in operation.entries)
                operation.finish("left" if left else "undone", left=described or False, error=str(error))
            self._step_failed(device, str(error))
            return False
        # Committed with the line by the caller; the operation is then settled.
        self.env.cr.postcommit.add(lambda: operation.finish("done"))
        return True

    def _already_there(self, device, state):
        values = {"state": "done", "message": _("already %s", state), "date_done": fields.Datetime.now()}
        for step in self._steps():
            if step == device or self[f"{step}_step"] == "todo":
                values[f"{step}_step"] = "skipped"
        self.write(values)

    def _step_operation(self, device, contract, record):
        """The journal of this step, committed before the device is touched.

        Settled by the batch, not by the transaction's hooks: after the first
        step the contract has not changed state yet, which the hooks would
        read as "not recorded" and take back.  An operation a killed run left
        open for this same step is carried on, not opened twice.
        """
        from .silver_provisioning_operation import OPERATION_LOCK_NAMESPACE, OperationHandle

        Operation = self.env["silver.provisioning.operation"].sudo()
        key = f"batch_line:{self.id}:{device}"
        earlier = _committed_open_operation(self.env, key)
        if earlier:
            operation_id, token, entries = earlier
            # Ours from now on: the recovery cron leaves an operation whose lock is held.
            self.env.cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", (OPERATION_LOCK_NAMESPACE, token))
            handle = OperationHandle(self.env, operation_id)
            handle.entries = entries
            return handle
        kind = self.batch_id.kind
        return Operation._open(
            kind,
            contract,
            olt=record if device == "olt" else None,
            router=record if device == "router" else None,
            state_to=TRANSITIONS[kind][1],
            job_uuid=key,
            hooks=False,
        )

    def _do_step(self, device, contract, record, driver):
        """Send this step to the device (logged on the contract's chatter); returns its journal entry."""
        suspend = self.batch_id.kind == "suspend"
        if device == "router":
            cut = record._suspend_subscriber if suspend else record._resume_subscriber
            cut(contract, driver)
            return {
                "do": "suspend_subscriber" if suspend else "resume_subscriber",
                "router": record.id,
                "name": contract._router_user(),
            }
        ref = record._onu_ref(contract, type(driver))
        (record.disable_onu if suspend else record.enable_onu)(contract, driver)
        return {
            "do": "disable_onu" if suspend else "enable_onu",
            "olt": record.id,
            "pon": ref.pon,
            "onu_id": ref.onu_id,
            "serial": ref.serial,
        }
