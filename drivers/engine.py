"""Runs a plan: an ordered list of steps, each with the step that undoes it.

When step k fails, the undo steps of the steps that really changed the
device (k-1 .. 1) run in reverse order, then the original error is raised.
A step the device reports as already done changed nothing, so its undo is
not run: a re-run never removes configuration it did not create.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from .errors import CommandRejected, CommandTimeout, ConnectError, DriverError, RollbackFailed


@dataclass
class Step:
    """One command and how to take it back.

    ``command`` may be a callable of the plan context, for values only known
    once an earlier step has run (the ONU id the OLT chose, a WAN index).
    ``mode`` is the CLI context the command runs in, as the commands that
    enter it from privileged mode, e.g. ``("config", "interface gpon 0/1")``.
    """

    command: Union[str, Callable[[dict], str]]
    mode: tuple = ()
    undo: Optional["Step"] = None
    #: more device answers that mean "the wanted state already exists"
    done_patterns: tuple = ()
    #: parse the answer into the context: ``capture(response_text, context)``
    capture: Optional[Callable[[str, dict], None]] = None
    #: a step that only reads the device (it never needs undoing)
    read_only: bool = False
    #: a difference no command takes away: written to the transcript, never
    #: sent; it stays in the read-back, so a rollback names it as left
    note: bool = False

    def render(self, context):
        return self.command(context) if callable(self.command) else self.command


@dataclass
class Reply:
    """A device answer, cleaned of echo, prompt, pager and asynchronous lines."""

    command: str
    text: str
    #: the device said the wanted state already existed
    already: bool = False
    elapsed: float = 0.0


@dataclass
class PlanRun:
    context: dict = field(default_factory=dict)
    replies: list = field(default_factory=list)


def run_plan(session, steps, context=None):
    """Execute ``steps`` on ``session``; undo what changed if one fails.

    ``session.execute(command, mode, done_patterns)`` returns a Reply or
    raises a DriverError.  Returns the PlanRun with the context the steps
    filled in.
    """
    run = PlanRun(context=context if context is not None else {})
    undo_stack = []
    for step in steps:
        command = step.render(run.context)
        try:
            reply = session.execute(command, step.mode, step.done_patterns)
        except DriverError as error:
            _roll_back(session, undo_stack, run.context, error)
            raise
        run.replies.append(reply)
        if step.capture:
            try:
                step.capture(reply.text, run.context)
            except DriverError as error:
                # The command did run: its undo belongs on the stack.
                if step.undo and not reply.already:
                    undo_stack.append(step.undo)
                _roll_back(session, undo_stack, run.context, error)
                raise
        if step.undo and not reply.already and not step.read_only:
            undo_stack.append(step.undo)
    return run


def _roll_back(session, undo_stack, context, error):
    """Run every undo, newest first.  One that fails does not stop the older
    ones: the less is left behind, the better; the failures are all named."""
    if not undo_stack:
        return
    session.note(f"rolling back {len(undo_stack)} step(s) after: {error.message}")
    failures = []
    for undo in reversed(undo_stack):
        command = undo.render(context)
        try:
            session.execute(command, undo.mode, undo.done_patterns)
        except DriverError as undo_error:
            failures.append(undo_error)
            session.note(f"undo failed, still applied on the device: {command}")
    if failures:
        raise RollbackFailed(error, failures[0], still_applied=[f.message for f in failures]) from error
    session.note("rollback complete: the device is as it was before the operation")


# ---------------------------------------------------------------------------
# Convergence: read what the device holds, compare with what is wanted, send
# the difference.  One ``observe`` and one ``diff`` per platform and operation;
# the loop below is the only place that decides what a timeout or a lost
# session means.
# ---------------------------------------------------------------------------

#: errors after which a command may or may not have taken effect on the device
UNKNOWN_OUTCOME = (CommandTimeout, ConnectError)


@dataclass
class Converged:
    """What ``converge`` did: the views before and after, and what it sent."""

    before: dict
    after: dict
    context: dict
    sent: list = field(default_factory=list)

    @property
    def created(self):
        """Keys of the objects this call created (absent before, present after)."""
        return [key for key in self.after if key not in self.before]

    @property
    def preexisting(self):
        """Keys of the wanted objects that were on the device before the call."""
        return [key for key in self.after if key in self.before]

    @property
    def changed(self):
        return bool(self.sent)


class _Run:
    """One convergence: the session handle, the resync budget, what was sent."""

    def __init__(self, driver, context):
        self.driver = driver
        self.context = context
        self.sent = []
        self.resyncs = 0
        #: the newest view read from the device, to name what is left if the
        #: device cannot be reached again
        self.last_view = None
        #: commands that answered as done since ``last_view`` was read
        self.since_read = []
        #: the command whose outcome is unknown (sent, never answered), until
        #: the device is read back
        self.in_doubt = None
        #: whether a command that changes the device was ever sent
        self.attempted = False
        #: fresh logins allowed beyond the driver's budget: one, for taking
        #: back, after the budget went on trying to finish
        self.extra_resyncs = 0

    def note(self, text):
        self.driver.transcript.note(text)

    def resync(self, error):
        """After an unknown outcome: a fresh session, within the driver's budget."""
        if self.resyncs >= self.driver.resync_budget + self.extra_resyncs:
            raise error
        self.resyncs += 1
        self.note(f"outcome unknown ({error.message}): logging in again to read the device back")
        self.driver.reconnect()

    def read(self, observe):  # pylint: disable=method-required-super  # not an Odoo model
        """``observe()`` on a live session; a read is safe to repeat."""
        while True:
            try:
                view = observe()
            except UNKNOWN_OUTCOME as error:
                self.resync(error)
                continue
            self.last_view, self.since_read, self.in_doubt = view, [], None
            return view

    def execute(self, step):
        command = step.render(self.context)
        if step.note:
            self.note(str(command))
            return Reply(str(command), "")
        if not step.read_only:
            self.attempted = True
            self.in_doubt = str(command)
        try:
            reply = self.driver.session.execute(command, step.mode, step.done_patterns)
        except CommandRejected:
            # the device answered, refusing it: not in doubt
            self.in_doubt = None
            raise
        if not step.read_only:
            self.in_doubt = None
            self.sent.append(str(command))
            self.since_read.append(str(command))
        if step.capture:
            step.capture(reply.text, self.context)
        return reply

    def drive(self, observe, current, wanted, diff):
        """Send ``diff(current, wanted)``; after an unknown outcome read back and
        send what is still missing.  Returns the state reached."""
        while True:
            steps = diff(current, wanted, self.context)
            if not steps:
                return current
            try:
                for step in steps:
                    self.execute(step)
            except UNKNOWN_OUTCOME as error:
                self.resync(error)
                current = self.read(observe)
                continue
            # Every step answered as the device does on success.
            self.last_view, self.since_read = wanted, []
            return wanted


def read(driver, observe):
    """``observe()`` (anything that only reads the device, a login included),
    logging in again after a timeout or a lost session, within the driver's
    resync budget: for the reads an operation makes outside ``converge`` (the
    firmware at login, the status it returns after converging).  An error
    that still escapes carries no ``outcome``: what the device holds is the
    caller's to say (after a converge that changed it, not "unchanged")."""
    return _Run(driver, {}).read(observe)


def converge(driver, observe, wanted, diff, context=None):
    """Bring the device to ``wanted(before, context)`` and return ``Converged``.

    ``observe()`` reads the relevant part of the device into a view (a dict of
    comparable values, keyed by object); ``diff(current, wanted, context)``
    returns the Steps that turn ``current`` into ``wanted`` (an empty list when
    they agree).  The same diff takes the device back: when a step fails for
    good, the device is read back and driven to the view read before the call,
    then read once more to verify it.  The error raised then says what the
    device holds: ``outcome`` "unchanged", "undone", "left" (RollbackFailed,
    with the differences that remain) or "unknown" (the device could not be
    read back and only an unanswered command may have changed it).
    """
    run = _Run(driver, context if context is not None else {})
    try:
        before = run.read(observe)
        target = wanted(before, run.context)
    except DriverError as error:
        error.outcome = error.outcome or "unchanged"  # nothing was sent
        raise
    preview = getattr(driver, "previewing", None)
    if preview is not None:
        # A dry run: the difference is the plan; nothing is sent.
        preview.extend(render_plan(diff(before, target, run.context), run.context))
        return Converged(before, target, run.context)
    try:
        after = run.drive(observe, before, target, diff)
    except DriverError as error:
        _restore(run, observe, before, diff, error)
        raise
    journal = getattr(driver, "plan_journal", None)
    if journal is not None and run.sent:
        journal.append(_Part(driver, observe, diff, before, run.context))
    return Converged(before, after, run.context, run.sent)


#: what a preview shows for a value the device itself chooses when an
#: earlier command of the plan runs (the ONT id Huawei picks, a WAN index)
CHOSEN_BY_DEVICE = "<chosen by the device>"


class _Placeholders(dict):
    """A plan context where what is not known before sending reads as a
    placeholder (only for rendering: every key is "there")."""

    def __missing__(self, key):
        return CHOSEN_BY_DEVICE

    def __contains__(self, key):
        return True

    def get(self, key, default=None):
        return self[key]


def render_plan(steps, context):
    """The commands ``steps`` would send, in order, as (mode, command) pairs;
    a command that needs a value only the device gives shows the placeholder."""
    plan = []
    known = _Placeholders(context)
    for step in steps:
        if step.note or step.read_only:
            continue
        try:
            command = step.render(known)
        except (DriverError, KeyError, TypeError, ValueError):
            command = f"{step.command.__name__ if callable(step.command) else step.command} ({CHOSEN_BY_DEVICE})"
        plan.append((tuple(step.mode), str(command)))
    return plan


# ---------------------------------------------------------------------------
# One plan over several convergences, on one device or several (an ONU moved
# between OLTs, a plan change on the OLT and on the router): when one part
# fails, the parts done before it are driven back to what they read first,
# newest first, by their own observe and diff.
# ---------------------------------------------------------------------------


#: plan-context key: what a diff skipped taking back, the device having no
#: command to undo it (named as left, never reported undone)
UNRESTORABLE = "unrestorable"


@dataclass
class _Part:
    driver: object
    observe: Callable
    diff: Callable
    before: dict
    context: dict


@dataclass
class _Compensation:
    """A part whose undo is an operation of its own (registering a removed ONU
    again with its whole service), for what a read-back cannot hold."""

    undo: Callable
    label: str


@contextmanager
def unjournaled(driver):
    """Converges inside are not parts of the plan (a compensation covers them)."""
    journal, driver.plan_journal = driver.plan_journal, None
    try:
        yield
    finally:
        driver.plan_journal = journal


class Plan:
    """``with Plan(olt, router):`` every converge on these drivers inside is one
    part of the plan.  A DriverError inside takes back the parts that changed a
    device (the failing converge took back its own) and is raised again with
    ``outcome`` "undone", or as RollbackFailed ("left") naming what remains."""

    def __init__(self, *drivers):
        self.drivers = list(dict.fromkeys(driver for driver in drivers if driver is not None))
        self.parts = []
        #: after a failure: what the take-back left (empty when all was put back)
        self.left = []

    def __enter__(self):
        # A plan inside another (an OLT operation inside the contract's plan
        # over OLT and router) hands its parts to the outer one when it succeeds.
        self.outer = [driver.plan_journal for driver in self.drivers]
        for driver in self.drivers:
            driver.plan_journal = self.parts
        return self

    def __exit__(self, kind, error, traceback):
        if error is None:
            self._detach()
            outer = next((journal for journal in self.outer if journal is not None), None)
            if outer is not None:
                outer.extend(self.parts)
            return False
        # The take-back's own converges (an ONU registered again) belong to no
        # plan: journaled in an outer one, its failure would take them back too.
        for driver in self.drivers:
            driver.plan_journal = None
        try:
            if not self.parts:
                return False
            if not isinstance(error, DriverError):
                # A failure the caller turned into its own error (Odoo's, with the
                # device's words): the parts are taken back all the same, and what
                # is left is on ``self.left`` for the caller to tell.
                self._undo(DriverError(str(error)))
                return False
            failed = self._undo(error)
        finally:
            self._detach()
        if failed is not error:
            raise failed from error
        return False

    def _detach(self):
        for driver, journal in zip(self.drivers, self.outer, strict=True):
            driver.plan_journal = journal

    def compensate(self, driver, undo, label):
        """Record a part done outside the journal, taken back by ``undo()``."""
        if driver.previewing is None:
            self.parts.append(_Compensation(undo, label))

    def _undo(self, error):
        """Take back every recorded part; the error to raise (``error`` itself
        when everything is as it was)."""
        left = list(error.left) if error.outcome in ("left", "unknown") else []
        for part in reversed(self.parts):
            if isinstance(part, _Compensation):
                try:
                    part.undo()
                except DriverError as undo_error:
                    left.append(f"{part.label}: {undo_error.message}")
                continue
            run = _Run(part.driver, part.context)
            run.attempted = True
            marker = DriverError(error.message)
            try:
                _restore(run, part.observe, part.before, part.diff, marker)
            except RollbackFailed as failed:
                left.extend(failed.left)
            # What the diff skipped on the way back, the device having no
            # command for it (a platform's diff lists it under this key).
            left.extend(item for item in part.context.get(UNRESTORABLE, ()) if item not in left)
        self.parts.clear()
        self.left = list(left)
        if left:
            failed = _rollback_failed(error, error, left)
            error.outcome, error.left = "left", list(left)
            return failed
        error.outcome = "undone"
        error.message = f"{error.message} (every device was put back as it was)"
        error.args = (error.message,)
        return error


def _restore(run, observe, before, diff, error):
    """Put the device back to ``before`` after ``error``; sets error.outcome."""
    if not run.attempted:
        error.outcome = "unchanged"
        return
    run.note(f"taking back what this operation changed, after: {error.message}")
    run.extra_resyncs = 1
    try:
        current = run.read(observe)
        if not diff(current, before, run.context):
            error.outcome = "unchanged"
            run.note("read back: nothing had changed on the device")
            return
        run.drive(observe, current, before, diff)
        left = diff(run.read(observe), before, run.context)
    except DriverError as undo_error:
        left = _pending(run, before, diff)
        run.note("could not take everything back: " + undo_error.message)
        # Out of reach with nothing known to have changed: only the command
        # that went unanswered may have run, and nobody can tell.
        known = isinstance(undo_error, UNKNOWN_OUTCOME) and all(item.startswith(_IN_DOUBT) for item in left)
        raise _rollback_failed(error, undo_error, left, "unknown" if known else "left") from error
    if left:
        commands = [str(step.render(run.context)) for step in left]
        raise _rollback_failed(error, error, commands) from error
    error.outcome = "undone"
    run.note("undone: read back, the device is as it was before the operation")


def _pending(run, before, diff):
    """What still differs from ``before`` as last known (for a device out of reach):
    the difference at the last read-back, what answered as done since, and
    the command whose outcome is unknown."""
    if run.last_view is None:
        return ["the device could not be read back"]
    try:
        left = [str(step.render(run.context)) for step in diff(run.last_view, before, run.context)]
    except DriverError as error:
        # The diff itself cannot put it back (a WAN whose password cannot be read): its own words.
        left = [error.message]
    except KeyError:
        left = ["the device could not be read back"]
    left += [f"done, not taken back: {command}" for command in run.since_read]
    if run.in_doubt is not None:
        left.append(f"{_IN_DOUBT}{run.in_doubt}")
    return left


_IN_DOUBT = "outcome unknown (no answer, not read back): "


def _rollback_failed(error, undo_error, left, outcome="left"):
    failed = RollbackFailed(error, undo_error, still_applied=left)
    failed.outcome = outcome
    failed.left = list(left)
    return failed
