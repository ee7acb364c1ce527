"""The drivers' own exception tree.

Netmiko, paramiko and librouteros errors are translated into these at the
driver boundary, so callers (the Odoo layer, the command line) handle one
family of errors whatever the platform.  Every error carries the masked
transcript of the session in which it happened.
"""


class DriverError(Exception):
    """Base of every error a driver raises."""

    #: short machine-readable name, used by the command line and by Odoo
    code = "driver_error"
    #: whether the same operation may succeed if simply tried again later
    retryable = False

    def __init__(self, message, transcript=None):
        super().__init__(message)
        self.message = message
        self.transcript = transcript
        #: what the failed operation left on the device, as read back:
        #: "unchanged" (nothing had been changed), "undone" (changes were
        #: taken back and the device read back as before), "left" (see
        #: ``left``), or "" when no device step had been attempted/known.
        self.outcome = ""
        #: the differences from the state before the call that remain
        #: (commands that would still be needed to put it back), when "left"
        self.left = []

    def __str__(self):
        return self.message

    def to_dict(self):
        result = {"error": self.code, "message": self.message}
        if self.outcome:
            result.update(outcome=self.outcome, left=list(self.left))
        return result


class InvalidInput(DriverError):
    """A value was refused before any connection was opened."""

    code = "invalid_input"

    def __init__(self, field, message, transcript=None):
        super().__init__(f"{field}: {message}", transcript)
        self.field = field
        self.reason = message

    def to_dict(self):
        return dict(super().to_dict(), field=self.field)


class UnsupportedOperation(DriverError):
    """The platform or its firmware cannot do this; nothing was sent."""

    code = "unsupported"


class ConnectError(DriverError):
    """The device could not be reached or the session was lost."""

    code = "connect_failed"
    retryable = True


class ConnectTimeout(ConnectError):
    code = "connect_timeout"


class SessionLimit(ConnectError):
    """The device refused a login because it holds as many sessions as it
    allows ("too many users"); a session may free up: wait and retry."""

    code = "session_limit"


class AuthenticationError(DriverError):
    """The device refused the credentials; retrying will not help."""

    code = "authentication_failed"


class LoginLockedOut(AuthenticationError):
    """The device locks logins out after repeated failures: retrying would
    only keep it locked (never retried)."""

    code = "login_locked_out"


class HostKeyMismatch(DriverError):
    """The SSH host key is not the pinned one: the session was refused."""

    code = "host_key_mismatch"

    def __init__(self, message, seen=None, expected=None, transcript=None):
        super().__init__(message, transcript)
        self.seen = seen
        self.expected = expected

    def to_dict(self):
        return dict(super().to_dict(), seen=self.seen, expected=self.expected)


class CommandTimeout(DriverError):
    """The device did not answer a command in time."""

    code = "command_timeout"
    retryable = True


class CommandRejected(DriverError):
    """The device answered a command with one of its error lines."""

    code = "command_rejected"

    def __init__(self, command, device_message, transcript=None):
        super().__init__(f"{device_message} (command: {command})", transcript)
        self.command = command
        self.device_message = device_message

    def to_dict(self):
        return dict(super().to_dict(), command=self.command, device_message=self.device_message)


class DeviceBusy(CommandRejected):
    """The device kept answering 'busy' after the bounded retries."""

    code = "device_busy"
    retryable = True


class ParseError(DriverError):
    """Device output did not match what the parser knows: never guessed at."""

    code = "parse_error"


class RollbackFailed(DriverError):
    """An operation failed and undoing its completed steps failed too.

    The device may be half-configured: the message names the original
    failure and every undo that did not go through.
    """

    code = "rollback_failed"

    def __init__(self, original, undo_error, transcript=None, still_applied=()):
        failed = "; ".join(still_applied) or undo_error.message
        super().__init__(f"{original.message}; rollback failed as well: {failed}", transcript)
        self.original = original
        self.undo_error = undo_error
        self.still_applied = list(still_applied)
