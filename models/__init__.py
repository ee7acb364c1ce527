# The mixin first: the models below inherit from it when their classes are built.
# isort: skip_file
from . import silver_provisioning_log_mixin
from . import silver_olt
from . import silver_core
from . import silver_contract
from . import silver_olt_discovered_onu
