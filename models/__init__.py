# The mixins first: the models below inherit from them when their classes are built.
# isort: skip_file
from . import silver_provisioning_log_mixin
from . import silver_provisioning_field_guard
from . import ir_model_access
from . import silver_provisioning_operation
from . import silver_olt
from . import silver_core
from . import silver_contract
from . import silver_contract_wifi_line
from . import silver_olt_discovered_onu
from . import product_template
from . import res_config_settings

# Reading the network back (polling, readings, alarms, drift ledger).
from . import silver_olt_onu
from . import silver_onu_reading
from . import silver_olt_polling
from . import silver_olt_inventory_store
from . import silver_contract_readings
from . import silver_contract_status
from . import silver_olt_sync_ui
from . import silver_provisioning_drift

# The operators' screens: the provisioned-ONU list and the OLT dashboard.
from . import silver_olt_dashboard

# Every day's service changes (issue 12): billing batches and zero-touch activation.
from . import silver_provisioning_batch
from . import silver_contract_batch
from . import silver_olt_zero_touch
