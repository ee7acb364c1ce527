# The Odoo test suite; loaded only when Odoo imports the addon (pytest, which
# collects tests/drivers and tests/simulator, imports this package too).
if __name__.startswith("odoo.addons."):
    from . import (
        test_concurrency,
        test_contract_changes,
        test_contract_service,
        test_demo_data,
        test_discovery,
        test_failures,
        test_i18n_es,
        test_inventory_alarms,
        test_inventory_converge,
        test_inventory_drift,
        test_inventory_history,
        test_inventory_onboarding,
        test_inventory_poll_devices,
        test_inventory_polling,
        test_inventory_store,
        test_labels,
        test_operations,
        test_ownership,
        test_pinning,
        test_recovery_ownership,
        test_review_fixes,
        test_roles,
        test_server_log,
        test_sync_security,
    )
