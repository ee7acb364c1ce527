from . import (
    silver_contract_apply_wizard,
    silver_olt_host_key_wizard,
    silver_olt_onboarding_wizard,
    silver_olt_sync_wizard,
    silver_onu_assign_wizard,
    silver_provisioning_drift_accept_wizard,
)
