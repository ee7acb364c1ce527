import base64
import logging
import re
import threading
import traceback
from contextlib import contextmanager

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, models, tools
from odoo.exceptions import UserError

from ..drivers.errors import CommandRejected, DriverError, RollbackFailed
from ..drivers.transcript import Masker

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


def hide_login_users(text, usernames):
    """``text`` without the device login users (whole words only: 'admin' but not 'admin-state')."""
    for name in sorted({name for name in usernames if name}, key=len, reverse=True):
        text = re.sub(rf"(?<![\w.@-]){re.escape(name)}(?![\w.@-])", LOGIN_USER_MASK, text)
    return text


class DeviceOperationError(UserError):
    """A device refused or failed an operation; what operators see (no traceback).

    ``retryable`` tells a background job whether trying again later may help
    (a dropped connection, a busy device) or not (bad credentials, a refused command).
    """

    def __init__(self, message, retryable=False, outcome="", left=()):
        super().__init__(message)
        self.retryable = retryable
        #: what the failed operation left on the device, as the driver read it back
        #: ("unchanged", "undone", "left" with ``left``; "" when the driver does not say)
        self.outcome = outcome
        self.left = list(left)


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
        :raise UserError: with the device's own words, after the log is written
        """
        self.ensure_one()
        masker = self._provisioning_masker(driver)
        start = len(driver.transcript.entries)
        try:
            result = callback(driver)
        except DriverError as error:
            transcript = self._transcript_text(error.transcript or driver.transcript, start, masker)
            headline = masker(self._device_error_words(error))
            self._log_operation(
                operation, device, False, headline, transcript, masker, undo_failed=isinstance(error, RollbackFailed)
            )
            _logger.info("%s on %s failed: %s", operation, device.display_name, headline)
            outcome = getattr(error, "outcome", "") or ("left" if isinstance(error, RollbackFailed) else "")
            raise DeviceOperationError(
                _(
                    "%(operation)s failed on %(device)s: %(error)s",
                    operation=operation,
                    device=device.display_name,
                    error=headline,
                ),
                retryable=error.retryable,
                outcome=outcome,
                left=[masker(item) for item in getattr(error, "left", None) or getattr(error, "still_applied", [])],
            ) from None
        except Exception as error:
            # A fault of ours or of a library: still logged, still a clear message for the operator.
            # The traceback goes to the server log masked: exception texts may quote a secret.
            _logger.error(
                "%s on %s failed unexpectedly:\n%s",
                operation,
                device.display_name,
                masker("".join(traceback.format_exception(error))),
            )
            transcript = self._transcript_text(driver.transcript, start, masker)
            headline = masker(_("unexpected error (%(type)s): %(error)s", type=type(error).__name__, error=error))
            self._log_operation(operation, device, False, headline, transcript, masker, undo_failed=True)
            raise DeviceOperationError(
                _(
                    "%(operation)s failed on %(device)s: %(error)s",
                    operation=operation,
                    device=device.display_name,
                    error=headline,
                ),
                outcome="left",
                left=[_("unknown: see the transcript")],
            ) from None
        summary = self._result_summary(result)
        transcript = self._transcript_text(result.transcript or driver.transcript, start, masker)
        self._log_operation(operation, device, True, masker(summary), transcript, masker)
        return result

    @staticmethod
    def _device_error_words(error):
        """The device's own error text first: it is what a technician searches for."""
        if isinstance(error, CommandRejected):
            return f"{error.device_message} (command: {error.command})"
        if isinstance(error, RollbackFailed):
            return error.message
        return error.message or error.__class__.__name__

    def _result_summary(self, result):
        data = result.data
        if data is None:
            return _("done")
        if isinstance(data, list):
            return _("%s item(s)", len(data))
        if hasattr(data, "to_dict"):
            parts = [f"{key}={value}" for key, value in data.to_dict().items() if value not in (None, "", [], {})]
            return ", ".join(parts)
        return str(data)

    def _transcript_text(self, transcript, start, masker):
        if transcript is None:
            return ""
        # The driver masked every entry already; mask again with what Odoo knows.
        return masker(transcript.to_text(start))

    # -- message -----------------------------------------------------------
    def _log_operation(self, operation, device, ok, headline, transcript, masker, undo_failed=False):
        body, attachment = self._build_log_message(operation, device, ok, headline, transcript, undo_failed)
        self._post_log_message(masker(body) if isinstance(body, str) else body, attachment)

    def _build_log_message(self, operation, device, ok, headline, transcript, undo_failed=False):
        """(Markup body, attachment values or None).  Built here, posted elsewhere."""
        status = _("OK") if ok else _("FAILED")
        first_line = (
            Markup("<p><b>{status}</b>: {headline}</p>").format(status=status, headline=headline)
            if not ok
            else Markup("<p><b>{operation}: {status}</b></p>").format(operation=operation, status=status)
        )
        details = Markup(
            "<ul>"
            "<li>{l_op}: {operation}</li>"
            "<li>{l_by}: {user}</li>"
            "<li>{l_dev}: {device} ({platform}, {host})</li>"
            "<li>{l_res}: {result}</li>"
            "</ul>"
        ).format(
            l_op=_("Operation"),
            operation=operation,
            l_by=_("Requested by"),
            user=self.env.user.name,
            l_dev=_("Device"),
            device=device.display_name,
            platform=device._provisioning_platform_label(),
            host=device.ip or "",
            l_res=_("Result"),
            result=headline if ok else self._failure_outcome(undo_failed),
        )
        attachment = None
        lines = transcript.splitlines()
        if len(lines) > TRANSCRIPT_INLINE_LINES or len(transcript) > TRANSCRIPT_INLINE_CHARS:
            if ok:
                shown = "\n".join(lines[:TRANSCRIPT_INLINE_LINES])[:TRANSCRIPT_INLINE_CHARS]
                text = _(
                    "Transcript shortened: %(shown)s of %(total)s lines shown, the whole of it is attached.",
                    shown=min(len(lines), TRANSCRIPT_INLINE_LINES),
                    total=len(lines),
                )
            else:
                # A failure is read from its end: where it stopped and what was taken back.
                shown = "\n".join(lines[-TRANSCRIPT_INLINE_LINES:])[-TRANSCRIPT_INLINE_CHARS:]
                text = _(
                    "Transcript shortened: the last %(shown)s of %(total)s lines shown, the whole of it is attached.",
                    shown=min(len(lines), TRANSCRIPT_INLINE_LINES),
                    total=len(lines),
                )
            note = Markup("<p>{}</p>").format(text)
            attachment = {
                "name": f"transcript-{self._name.replace('.', '_')}-{self.id}.txt",
                "raw": transcript.encode("utf-8"),
                "mimetype": "text/plain",
                "description": TRANSCRIPT_MARKER,
            }
        else:
            shown, note = transcript, Markup()
        block = Markup("<pre>{}</pre>").format(shown) if shown else Markup()
        return first_line + details + note + block, attachment

    def _failure_outcome(self, undo_failed):
        if undo_failed:
            return _("failed; the device may be left half-configured, check the transcript")
        return _("failed; what the operation had changed on the device was undone")

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
