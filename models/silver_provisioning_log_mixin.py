import base64
import logging
import re
import threading
import traceback
from contextlib import contextmanager

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, fields, models, tools
from odoo.exceptions import UserError

from ..drivers.errors import CommandRejected, DriverError, InvalidInput, RollbackFailed
from ..drivers.transcript import Masker
from .silver_provisioning_driver_reasons import DriverReasons
from .silver_provisioning_transcript_render import TranscriptRenderer

_logger = logging.getLogger(__name__)

#: transcripts longer than this go into a text attachment, the message keeps the head
TRANSCRIPT_INLINE_LINES = 40
TRANSCRIPT_INLINE_CHARS = 4000
#: ir.attachment.description of a transcript: the record rule that keeps them
#: from users outside the provisioning groups looks for it
TRANSCRIPT_MARKER = "silver_provisioning transcript"
#: what stands for a device's login user in logs (the user name is for administrators)
LOGIN_USER_MASK = "[login]"
#: loggers whose lines may quote a value being written: Odoo's SQL logger prints a
#: refused statement with its parameters, and PostgreSQL's DETAIL the whole row
SERVER_LOGGERS = ("odoo.sql_db", "odoo.models", "odoo.service.model", "odoo.http", "odoo.addons.silver_provisioning")

_masks = threading.local()
#: the open log groups of this thread (one message per operation) and whether an undo runs
_log_state = threading.local()


def _group_stack():
    stack = getattr(_log_state, "groups", None)
    if stack is None:
        stack = _log_state.groups = []
    return stack


#: a statement writing a table that holds secrets (its values, and PostgreSQL's DETAIL of a
#: refused row, are withheld from the SQL log whoever runs it, inside an operation or not)
_SECRET_TABLE_WRITE = re.compile(
    r'\b(?P<verb>INSERT INTO|UPDATE)\s+"?(?P<table>silver_contract_wifi_line|silver_contract|silver_olt_discovered_onu'
    r'|silver_olt|silver_core)"?(?![\w])'
)


def _withheld_statement(message):
    """A SQL log line about a write to a table with secrets: the statement and the refused row withheld."""
    match = _SECRET_TABLE_WRITE.search(message)
    if not match:
        return None
    head = message.split(match.group(0), 1)[0]
    error = ""
    if "\nERROR:" in message:
        error = "\nERROR: " + message.split("\nERROR:", 1)[1].strip().splitlines()[0]
    return f"{head}{match.group('verb')} {match.group('table')} (values withheld: they may hold secrets){error}"


class _SecretsOutOfServerLog(logging.Filter):
    """Keeps secrets out of the server log.

    Always: a logged statement writing a table with secrets loses its values
    and PostgreSQL's DETAIL (the whole refused row).  While an operation runs
    in this thread: every line is masked with its secrets.
    """

    def filter(self, record):
        if record.name == "odoo.sql_db":
            withheld = _withheld_statement(record.getMessage())
            if withheld is not None:
                record.msg, record.args = withheld, ()
        maskers = getattr(_masks, "stack", None)
        if not maskers:
            return True
        message = record.getMessage()
        masked = message
        for masker in maskers:
            masked = masker(masked)
        if masked != message:
            record.msg, record.args = masked, ()
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            for masker in maskers:
                text = masker(text)
            record.exc_text, record.exc_info = text, None
        return True


_FILTER = _SecretsOutOfServerLog()
for _name in SERVER_LOGGERS:
    _logger_ = logging.getLogger(_name)
    if not any(isinstance(existing, _SecretsOutOfServerLog) for existing in _logger_.filters):
        _logger_.addFilter(_FILTER)


@contextmanager
def secrets_out_of_server_log(*maskers):
    """While the block runs, no line this thread logs carries these maskers' secrets."""
    stack = getattr(_masks, "stack", None)
    if stack is None:
        stack = _masks.stack = []
    stack.extend(maskers)
    try:
        yield
    finally:
        del stack[len(stack) - len(maskers) :]


class LogMasker(Masker):
    """A Masker that also hides the device login users."""

    def __init__(self, secrets=(), usernames=()):
        super().__init__(secrets)
        self.usernames = [name for name in usernames if name]

    def __call__(self, text):
        text = super().__call__(text)
        return hide_login_users(text, self.usernames) if text and self.usernames else text

    def login_only(self, text):
        """``text`` with the login users hidden, whole words only: safe on a short value
        (the secrets' line-wrap rule would take a value's start for a wrapped secret's tail)."""
        return hide_login_users(text, self.usernames) if text and self.usernames else text

    def secrets_only(self, text):
        """``text`` with the secrets masked, the words left: for a message whose device
        parts were masked already (the login's word in our labels would give it away)."""
        return Masker.__call__(self, text)


def hide_login_users(text, usernames):
    """``text`` without the device login users (whole words only: 'admin' but not 'admin-state')."""
    for name in sorted({name for name in usernames if name}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.@-]){re.escape(name)}(?![\w.@-])", LOGIN_USER_MASK, text)
    return text


class DeviceOperationError(UserError):
    """A device refused or failed an operation; what operators see (no traceback).

    ``retryable`` tells a background job whether trying again later may help
    (a dropped connection, a busy device) or not (bad credentials, a refused command).
    ``thread`` is the (model, id) whose chatter holds the log of the failure: the
    web client's dialog for this class (static/src/js/device_error_dialog.js)
    reloads that chatter, since the log was committed apart from the request.
    """

    def __init__(self, message, retryable=False, outcome="", left=(), thread=None):
        super().__init__(message)
        self.retryable = retryable
        #: what the failed operation left on the device, as the driver read it back
        #: ("unchanged", "undone", "left" with ``left``, "unknown"; "" when not told)
        self.outcome = outcome
        self.left = list(left)
        #: serialised with the error to the web client (odoo.http.serialize_exception)
        self.context = {"silver_thread": {"model": thread[0], "id": thread[1]}} if thread else {}


class SilverProvisioningLogMixin(models.AbstractModel):
    """Runs device operations and logs each one to the record's chatter.

    ``_execute_with_logging`` is the single path every device operation
    takes.  Its message is written through a cursor of its own and committed
    there, so it survives when the operation fails and the caller's
    transaction is rolled back.
    """

    _name = "silver.provisioning.log.mixin"
    _description = "Provisioning log (chatter of device operations)"

    # -- secrets -----------------------------------------------------------
    def _provisioning_secrets(self):
        """Every secret this record may bring into a transcript or an error."""
        return []

    def _provisioning_masker(self, driver=None):
        """Masks the secrets of this record (and of ``driver``'s device), and the device's login user."""
        if driver is None:
            return Masker(self._provisioning_secrets())
        target = driver.target
        return LogMasker([*self._provisioning_secrets(), target.password, target.secret], [target.username])

    @contextmanager
    def _secrets_out_of_server_log(self, *records):
        """Run a block whose failures the server logs (a refused SQL statement) without our secrets.

        Pending writes are flushed inside the block: a refusal found at flush
        time is logged while the secrets are still known.
        """
        maskers = [Masker(record._provisioning_secrets()) for record in (self, *records) if record]
        with secrets_out_of_server_log(*maskers):
            yield
            self.env.flush_all()

    # -- the single path ---------------------------------------------------
    def _execute_with_logging(self, operation, driver, device, callback):
        """Run ``callback(driver)`` (one driver operation) and log it.

        :param operation: what was asked, for people ('Activate service')
        :param driver: an open or lazy driver of ``device``
        :param device: the silver.olt / silver.core record spoken to
        :param callback: performs the operation, returns an OperationResult
        :return: the OperationResult
        :raise DeviceOperationError: with the device's own words and what was left, after the log is written
        """
        self.ensure_one()
        masker = self._provisioning_masker(driver)
        start = len(driver.transcript.entries)
        try:
            result = callback(driver)
        except DriverError as error:
            entries = self._session_entries(error.transcript or driver.transcript, start)
            headline = masker(self._device_error_words(error))
            outcome = self._error_outcome(error, entries)
            left = [masker(item) for item in getattr(error, "left", None) or getattr(error, "still_applied", [])]
            self._log_operation(operation, device, False, headline, entries, masker, outcome=outcome, left=left)
            _logger.info("%s on %s failed: %s", operation, device.display_name, headline)
            raise self._device_error(operation, device, headline, outcome, left, retryable=error.retryable) from None
        except Exception as error:
            # A fault of ours or of a library: still logged, still a clear message for the operator.
            # The traceback goes to the server log masked: exception texts may quote a secret.
            _logger.error(
                "%s on %s failed unexpectedly:\n%s",
                operation,
                device.display_name,
                masker("".join(traceback.format_exception(error))),
            )
            entries = self._session_entries(driver.transcript, start)
            headline = masker(_("unexpected error (%(type)s): %(error)s", type=type(error).__name__, error=error))
            # Nothing sent: nothing changed.  Else nobody knows (never "left: unknown", which
            # would claim something is known to be left).
            outcome = "unknown" if any(entry.kind == "send" for entry in entries) else "unchanged"
            self._log_operation(operation, device, False, headline, entries, masker, outcome=outcome)
            raise self._device_error(operation, device, headline, outcome, []) from None
        # The login in the values only (a label may hold its word, see TranscriptRenderer.mask);
        # the secrets in the whole sentence, where their line-wrap rule reads whole lines.
        summary = getattr(masker, "secrets_only", masker)(
            self._result_summary(result, getattr(masker, "login_only", None))
        )
        entries = self._session_entries(result.transcript or driver.transcript, start)
        self._log_operation(operation, device, True, summary, entries, masker)
        return result

    def _device_error(self, operation, device, headline, outcome, left, retryable=False):
        """The operator's error: the device's words, then what the failed operation left."""
        return DeviceOperationError(
            _(
                "%(operation)s failed on %(device)s: %(error)s\n%(outcome)s",
                operation=operation,
                device=device.display_name,
                error=headline,
                outcome=self._renderer().outcome_words(outcome, left),
            ),
            retryable=retryable,
            outcome=outcome,
            left=left,
            thread=(self._name, self.id),
        )

    @staticmethod
    def _error_outcome(error, entries):
        """The driver's outcome; when it does not say: unchanged if no command reached the device."""
        if getattr(error, "outcome", ""):
            return error.outcome
        if isinstance(error, RollbackFailed):
            return "left"
        if not any(entry.kind == "send" for entry in entries):
            # Refused connection, bad credentials, a value refused before sending: nothing was changed.
            return "unchanged"
        return "unknown"

    def _device_error_words(self, error):
        """The device's own error text first: it is what a technician searches for."""
        if isinstance(error, InvalidInput):
            # Ours, not the device's: in the user's language (the drivers write English).
            return f"{error.field}: {DriverReasons(self.env).translate(error.reason)}"
        if isinstance(error, CommandRejected):
            return f"{error.device_message} (command: {error.command})"
        if isinstance(error, RollbackFailed):
            return error.message
        return error.message or error.__class__.__name__

    def _renderer(self, masker=None):
        return TranscriptRenderer(self.env, masker)

    def _result_summary(self, result, masker=None):
        return self._renderer(masker).result_in_words(result.data)

    @staticmethod
    def _session_entries(transcript, start):
        """The transcript entries of this operation (a session may carry several)."""
        if transcript is None:
            return []
        return list(transcript.entries[start:])

    def _transcript_text(self, transcript, start, masker):
        """The operation's transcript as plain text (the server log, the attachment)."""
        rows = TranscriptRenderer.transcript_rows(self._session_entries(transcript, start), masker)
        return TranscriptRenderer.plain_text(rows)

    # -- one message per operation ----------------------------------------
    @contextmanager
    def _provisioning_log_group(self, operation):
        """Gather every device step logged on this record while the block runs into one message.

        The message is posted when the block ends, whether it succeeded or
        raised, so a failure, the undo of what came before it and the error
        read as one story.  Nested groups on the same record join the outer one.
        """
        self.ensure_one()
        stack = _group_stack()
        key = (self._name, self.id)
        if any(group["key"] == key for group in stack):
            yield
            return
        group = {"key": key, "operation": operation, "sections": []}
        stack.append(group)
        try:
            yield
        finally:
            stack.remove(group)
            if group["sections"]:
                self._post_sections(operation, group["sections"])

    @staticmethod
    @contextmanager
    def _provisioning_undoing():
        """Steps logged while the block runs take back an earlier one: they are marked as undo."""
        _log_state.undo = getattr(_log_state, "undo", 0) + 1
        try:
            yield
        finally:
            _log_state.undo -= 1

    # -- message -----------------------------------------------------------
    def _log_operation(self, operation, device, ok, headline, entries, masker, outcome="", left=()):
        """Log one device step: into the open group of this record, else as a message of its own."""
        section = {
            "operation": operation,
            "device": device.display_name,
            "platform": device._provisioning_platform_label(),
            "host": device.ip or "",
            "ok": ok,
            "headline": headline,
            "rows": TranscriptRenderer.transcript_rows(entries, masker),
            "outcome": outcome,
            "left": list(left),
            "undo": bool(getattr(_log_state, "undo", 0)),
            "at": fields.Datetime.now(),
        }
        key = (self._name, self.id)
        for group in _group_stack():
            if group["key"] == key:
                group["sections"].append(section)
                return
        self._post_sections(operation, [section], masker)

    def _post_sections(self, operation, sections, masker=None):
        body, attachment = self._build_log_message(operation, sections)
        masker = masker or self._provisioning_masker()
        # Every device part was masked as it was rendered; this pass only keeps secrets out.
        mask = getattr(masker, "secrets_only", masker)
        self._post_log_message(mask(body) if isinstance(body, str) else body, attachment)

    def _build_log_message(self, operation, sections):
        """(Markup body, attachment values or None) of one operation's steps.  Built here, posted elsewhere."""
        render = self._renderer()
        failed = [section for section in sections if not section["ok"] and not section["undo"]]
        undo_failed = [section for section in sections if not section["ok"] and section["undo"]]
        if failed:
            first = failed[0]
            first_line = Markup("<p><b>{status}</b>: {headline}</p>").format(
                status=_("FAILED"), headline=first["headline"]
            )
            result = render.outcome_words("left" if undo_failed else first["outcome"], first["left"])
            if any(section["undo"] for section in sections) and not undo_failed:
                result = _("%s The steps before it were undone (below).", result)
        else:
            first_line = Markup("<p><b>{operation}: {status}</b></p>").format(operation=operation, status=_("OK"))
            result = "; ".join(section["headline"] for section in sections)
        details = Markup(
            "<ul><li>{l_op}: {operation}</li><li>{l_by}: {user}</li><li>{l_res}: {result}</li></ul>"
        ).format(
            l_op=_("Operation"),
            operation=operation,
            l_by=_("Requested by"),
            user=self.env.user.name,
            l_res=_("Result"),
            result=result,
        )
        blocks, shortened, total = [], False, 0
        for section in sections:
            rows = section["rows"]
            total += len(rows)
            if len(rows) > TRANSCRIPT_INLINE_LINES or sum(len(row[1]) for row in rows) > TRANSCRIPT_INLINE_CHARS:
                shortened = True
                # A failure is read from its end: where it stopped and what was taken back.
                rows = rows[:TRANSCRIPT_INLINE_LINES] if section["ok"] else rows[-TRANSCRIPT_INLINE_LINES:]
            blocks.append(self._section_html(section, rows))
        note = Markup()
        attachment = None
        if shortened:
            note = Markup("<p>{}</p>").format(
                _(
                    "Transcript shortened: at most %(shown)s lines per step shown (%(total)s in all), "
                    "the whole of it is attached.",
                    shown=TRANSCRIPT_INLINE_LINES,
                    total=total,
                )
            )
            attachment = {
                "name": render.attachment_name(self, operation, sections[0]["at"]),
                "raw": self._sections_text(sections).encode("utf-8"),
                "mimetype": "text/plain",
                "description": TRANSCRIPT_MARKER,
            }
        return first_line + details + note + Markup("").join(blocks), attachment

    def _section_html(self, section, rows):
        status = _("OK") if section["ok"] else _("FAILED")
        label = _("Undo: %s", section["operation"]) if section["undo"] else section["operation"]
        css = "o_silver_step o_silver_undo" if section["undo"] else "o_silver_step"
        return Markup(
            '<div class="{css}"><p><b>{label}: {status}</b> &#8212; {device} ({platform}, {host}): {headline}</p>'
            "{table}</div>"
        ).format(
            css=css,
            label=label,
            status=status,
            device=section["device"],
            platform=section["platform"],
            host=section["host"],
            headline=section["headline"],
            table=self._renderer().render_rows(rows),
        )

    def _sections_text(self, sections):
        parts = []
        for section in sections:
            status = _("OK") if section["ok"] else _("FAILED")
            label = _("Undo: %s", section["operation"]) if section["undo"] else section["operation"]
            parts.append(f"== {label}: {status} - {section['device']}: {section['headline']}")
            parts.append(TranscriptRenderer.plain_text(section["rows"]))
        return "\n".join(parts)

    def _post_log_message(self, body, attachment=None):
        """Write the message on its own cursor so a rollback of ours keeps it."""
        values = {
            "model": self._name,
            "res_id": self.id,
            "record_name": self.display_name,
            "body": body,
            "message_type": "notification",
            "is_internal": True,
            "subtype_id": self.env.ref("silver_provisioning.mt_provisioning_log").id,
        }
        author = self.env.user.partner_id
        # Computed here, where the record is visible: the log's cursor may not see it yet.
        values["email_from"] = author.email_formatted or False
        values["reply_to"] = self.sudo()._notify_get_reply_to(default=values["email_from"])[self.id]
        values["message_id"] = tools.generate_tracking_message_id("silver-provisioning")
        try:
            with self.env.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                # The author may have been created in the caller's transaction.
                cr.execute("SELECT id FROM res_partner WHERE id = %s", (author.id,))
                values["author_id"] = author.id if cr.fetchone() else False
                if attachment:
                    record = env["ir.attachment"].create(self._attachment_values(attachment))
                    values["attachment_ids"] = [(4, record.id)]
                env["mail.message"].create(values)
        except Exception:
            _logger.warning(
                "provisioning log for %s,%s written in the main transaction", self._name, self.id, exc_info=True
            )
            values.pop("attachment_ids", None)
            values["author_id"] = author.id
            if attachment:
                record = self.env["ir.attachment"].sudo().create(self._attachment_values(attachment))
                values["attachment_ids"] = [(4, record.id)]
            self.env["mail.message"].sudo().create(values)

    def _attachment_values(self, attachment):
        return {
            "name": attachment["name"],
            "mimetype": attachment["mimetype"],
            "description": attachment.get("description") or False,
            "datas": base64.b64encode(attachment["raw"]),
            "res_model": self._name,
            "res_id": self.id,
        }
