"""What every browser tour of the module shares: one way of saying it did not run.

A tour that cannot run (no Chromium, no websocket-client, or a Chromium Odoo
could not start or reach: Odoo then raises SkipTest itself) is never a silent
pass: the test is skipped, and the first skip of the run logs one ERROR line
``TOURS NOT RUN: <reason>`` (tests/odoo_runner.py fails the run on it and
repeats it as its own last word).
"""

import logging
import unittest

from odoo.tests import HttpCase
from odoo.tests.common import _find_executable

_logger = logging.getLogger(__name__)

#: the marker tests/odoo_runner.py looks for
NOT_RUN = "TOURS NOT RUN"
#: seconds one tour may take: the machines running the suite are shared and slow at times
TOUR_TIMEOUT = 120
_reported = []


def tours_unavailable():
    """Why the tours cannot run here, or ''."""
    try:
        import websocket  # noqa: F401  # pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return "the websocket-client Python package is not installed (requirements.txt)"
    try:
        _find_executable()
    except Exception:  # noqa: BLE001 - whatever Odoo raises when it finds no browser
        return "no Chromium found (install Debian's chromium package)"
    return ""


def tours_not_run(reason):
    """Skip the running test; the first time in this run, say why in one ERROR line."""
    if not _reported:
        _reported.append(reason)
        _logger.error("%s: %s", NOT_RUN, reason)
    raise unittest.SkipTest(f"{NOT_RUN}: {reason}")


class TourCase(HttpCase):
    """An HttpCase whose tours run or say loudly that they did not."""

    def setUp(self):
        super().setUp()
        reason = tours_unavailable()
        if reason:
            tours_not_run(reason)

    def start_tour(self, url_path, tour_name, step_delay=None, **kwargs):
        kwargs.setdefault("timeout", TOUR_TIMEOUT)
        try:
            return super().start_tour(url_path, tour_name, step_delay=step_delay, **kwargs)
        except unittest.SkipTest as skipped:
            # Odoo's own skip (Chromium would not start or answer): not a pass either.
            tours_not_run(f"{skipped} ({self.id()})")
