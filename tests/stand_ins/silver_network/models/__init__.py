from . import silver_core, silver_olt
