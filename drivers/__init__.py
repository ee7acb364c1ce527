"""Device drivers for silver_provisioning: plain Python, no Odoo.

The registry maps a platform name to its driver class, as Netmiko's
ssh_dispatcher does; adding a platform is one module and one line here.
"""

import importlib
import threading

from . import transcript
from .errors import DriverError, InvalidInput  # noqa: F401
from .models import (  # noqa: F401
    BulkChange,
    OnuRef,
    OnuService,
    RateLimit,
    Subscriber,
    Target,
    WanConfig,
    WifiConfig,
)

#: platform name -> "module:Class" (imported on first use)
PLATFORMS = {
    "huawei": "drivers.huawei:HuaweiDriver",
    "vsol": "drivers.vsol:VsolDriver",
    "zte": "drivers.zte:ZteDriver",
    "zte_c600": "drivers.zte:ZteC600Driver",
    "mikrotik": "drivers.mikrotik:MikrotikDriver",
}

OLT_PLATFORMS = ("huawei", "zte", "zte_c600", "vsol")

# Netmiko and librouteros log every line they write at DEBUG level, secrets
# included: masked for as long as this package is loaded.
transcript.install_library_filter()
ROUTER_PLATFORMS = ("mikrotik",)
_IMPORT_LOCK = threading.Lock()


def get_driver(platform):
    """The driver class for ``platform``; InvalidInput naming the field if unknown."""
    try:
        path = PLATFORMS[platform]
    except KeyError:
        raise InvalidInput("platform", f"{platform!r} is not one of {', '.join(sorted(PLATFORMS))}") from None
    module_name, class_name = path.split(":")
    # Imported by full name so the package works whatever it is called
    # inside the Odoo addon (odoo.addons.silver_provisioning.drivers).
    package = __name__
    # One import at a time: Netmiko's package imports itself in a circle, and two threads
    # importing it at once (an Odoo server's first requests and jobs) find it half-made.
    with _IMPORT_LOCK:
        module = importlib.import_module(module_name.replace("drivers", package, 1))
    return getattr(module, class_name)
