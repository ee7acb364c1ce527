from odoo import _, api, models
from odoo.exceptions import AccessError

#: the network inventory: every record says how ONUs and subscribers are provisioned
#: (addresses, credentials, profiles, T-CONTs, VLANs, ports), so only network
#: administrators create, change or delete them; everyone else reads them.
NETWORK_MODELS = frozenset({"silver.olt", "silver.olt.card", "silver.olt.card.port", "silver.vlan", "silver.core"})
NETWORK_ADMIN = "silver_provisioning.group_network_admin"


class IrModelAccess(models.Model):
    """The suite opens its models to every internal user; the network inventory is narrowed here.

    Access rules add up (a group can only be granted more), and the suite's own
    rules grant internal users everything: the check itself is narrowed, so it
    holds in the ORM, over RPC and in the views (forms read-only, no create or
    delete button) whatever the suite's access file says.
    """

    _inherit = "ir.model.access"

    @api.model
    def check(self, model, mode="read", raise_exception=True):
        if (
            mode != "read"
            and model in NETWORK_MODELS
            and not self.env.su
            and not self.env.user.has_group(NETWORK_ADMIN)
        ):
            if raise_exception:
                raise AccessError(
                    _(
                        "Only network administrators may create, change or delete %(model)s records.",
                        model=self.env["ir.model"]._get(model).name,
                    )
                )
            return False
        return super().check(model, mode, raise_exception)
