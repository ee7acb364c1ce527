"""get_driver from many threads at once, in a fresh interpreter (as an Odoo server's first
requests and jobs do): every platform's class, never Netmiko found half-imported."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

PROBE = """
import threading
import drivers
errors = []
def load(platform):
    try:
        drivers.get_driver(platform)
    except Exception as error:
        errors.append(repr(error))
threads = [threading.Thread(target=load, args=(p,)) for p in list(drivers.PLATFORMS) * 4]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(len(errors), errors[:1])
"""


def test_drivers_load_from_many_threads_at_once():
    # A race: one fresh interpreter rarely shows it, several in a row did every time before the lock.
    for _attempt in range(8):
        done = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
        )
        assert done.stdout.startswith("0 "), done.stdout
