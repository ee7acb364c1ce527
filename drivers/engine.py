"""Runs a plan: an ordered list of steps, each with the step that undoes it.

When step k fails, the undo steps of the steps that really changed the
device (k-1 .. 1) run in reverse order, then the original error is raised.
A step the device reports as already done changed nothing, so its undo is
not run: a re-run never removes configuration it did not create.
"""

from dataclasses import dataclass, field
from typing import Callable, Optional, Union

from .errors import DriverError, RollbackFailed


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
