#!/usr/bin/env python3
"""Odoo's command line on the interpreter running this file, as odoo-bin is.

    python tools/odoo_launch.py [odoo arguments]     # what tools/demo and tests/odoo_runner.py run

Not ``python -c "...odoo.cli.main()"``: Odoo reloads itself on SIGHUP by
re-executing ``sys.executable`` with ``sys.argv``, which works only when
``sys.argv[0]`` is a file Python can run.  With ``SILVER_PARENT_PID`` set to
the caller's pid, Odoo gets SIGTERM (a clean shutdown) when that caller dies,
even by SIGKILL (Linux: PR_SET_PDEATHSIG), so no Odoo keeps serving a demo
that is gone.
"""

import os
import signal
import sys

PARENT_VARIABLE = "SILVER_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def stop_with_parent():
    """SIGTERM to this process when the caller named in SILVER_PARENT_PID dies."""
    parent = os.environ.get(PARENT_VARIABLE, "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (ImportError, OSError, AttributeError):
        return
    if os.getppid() != int(parent):
        # The caller died before prctl took effect (or this is a stray re-run).
        os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    stop_with_parent()
    # Python put this file's folder first on sys.path: Odoo's imports must not look in tools/.
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    import odoo

    odoo.cli.main()
