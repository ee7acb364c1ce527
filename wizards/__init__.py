from . import silver_olt_sync_wizard, silver_onu_assign_wizard
