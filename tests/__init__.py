# The Odoo test suite; loaded only when Odoo imports the addon (pytest, which
# collects tests/drivers and tests/simulator, imports this package too).
if __name__.startswith("odoo.addons."):
    from . import test_contract_service
    from . import test_failures
    from . import test_discovery
    from . import test_sync_security
    from . import test_concurrency
