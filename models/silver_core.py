from odoo import _, fields, models
from odoo.exceptions import AccessError, UserError

from ..drivers import RateLimit, Subscriber, Target, get_driver
from ..drivers.errors import InvalidInput

#: driver field name -> router field, so an error names what the user can fix
TARGET_FIELDS = {
    "host": "ip",
    "port": "port",
    "protocol": "api_tls",
    "username": "username",
    "options.suspend_method": "suspend_method",
    "options.address_list": "suspend_address_list",
    "options.suspend_profile": "suspend_profile",
}
#: the suite's fields that say where and how to connect: changing them redirects the credentials
CONNECTION_FIELDS = frozenset({"ip", "port", "api_tls", "username", "password"})


class SilverCore(models.Model):
    _name = "silver.core"
    _inherit = ["silver.core", "silver.provisioning.log.mixin"]

    username = fields.Char(groups="silver_provisioning.group_network_admin")
    password = fields.Char(groups="silver_provisioning.group_network_admin")
    api_tls = fields.Boolean(
        string="API over TLS",
        help="Speak to the router's api-ssl service instead of the plain API.",
    )
    suspend_method = fields.Selection(
        [
            ("disable_secret", "Disable the PPPoE secret"),
            ("address_list", "Add the address to a firewall address list"),
            ("profile", "Move the secret to a suspension profile"),
        ],
        string="Suspension Method",
        default="disable_secret",
        required=True,
        help="How a suspended subscriber is cut on this router; reconnection undoes exactly that.",
    )
    suspend_address_list = fields.Char(string="Suspension Address List", default="CORTADOS")
    suspend_profile = fields.Char(string="Suspension Profile", default="CORTADO")

    def write(self, vals):
        if (not self.env.su and CONNECTION_FIELDS.intersection(vals)
                and not self.env.user.has_group("silver_provisioning.group_network_admin")):
            raise AccessError(_("Only network administrators may change a router's connection settings."))
        return super().write(vals)

    def _provisioning_platform_label(self):
        return "MikroTik RouterOS"

    def _provisioning_secrets(self):
        return [self.sudo().password]

    def _field_label(self, name):
        return f"{self._fields[name]._description_string(self.env)} ({self._description})"

    def _provisioning_target(self):
        self.ensure_one()
        router = self.sudo()
        return Target(
            platform="mikrotik",
            host=(router.ip or "").strip(),
            port=router.port or 0,
            protocol="api-ssl" if router.api_tls else "api",
            username=router.username or "",
            password=router.password or "",
            options={
                "suspend_method": router.suspend_method or "disable_secret",
                "address_list": router.suspend_address_list or "CORTADOS",
                "suspend_profile": router.suspend_profile or "CORTADO",
                # A profile per plan carries the rate limit; otherwise a simple queue does.
                "rate_limit_method": "profile" if router.is_pppoe_profile else "queue",
            },
        )

    def _provisioning_driver(self):
        self.ensure_one()
        try:
            driver = get_driver("mikrotik")(self._provisioning_target())
            driver.check_target()
        except InvalidInput as error:
            self._raise_invalid_input(
                error, {key: self._field_label(name) for key, name in TARGET_FIELDS.items()}
            )
        except ImportError as error:
            raise UserError(_("No driver is installed for MikroTik routers (%s).", error)) from None
        return driver

    # -- subscribers -------------------------------------------------------------
    def _subscriber_for(self, contract):
        """The PPPoE subscriber a contract stands for on this router."""
        plan = contract._service_plan()
        rate = None
        if plan and (plan.upload_bandwidth or plan.download_bandwidth):
            rate = RateLimit(
                up=plan.upload_bandwidth,
                down=plan.download_bandwidth,
                burst_up=plan.burst_limit_upload,
                burst_down=plan.burst_limit_download,
                threshold_up=plan.burst_threshold_upload,
                threshold_down=plan.burst_threshold_download,
                burst_time_up=plan.burst_time_upload,
                burst_time_down=plan.burst_time_download,
                priority=plan.queue_priority or 8,
            )
        profile = "default"
        if self.is_pppoe_profile and plan and plan.traffic_profile_index:
            profile = plan.traffic_profile_index
        address = (contract.ip_public or "") if contract.is_ip_public else ""
        if rate and (profile == "default" if self.is_pppoe_profile else not address):
            # Nothing on the router to hang the limit on: the router's default profile shapes it.
            rate = None
        return Subscriber(
            name=contract.pppoe_user or "",
            password=contract.pppoe_password or "",
            profile=profile,
            remote_address=address,
            comment=contract._device_description(),
            rate_limit=rate,
        )

    def _ensure_subscriber(self, contract, driver, subscriber):
        return contract._execute_with_logging(
            _("Create PPPoE subscriber"), driver, self, lambda d: d.ensure_subscriber(subscriber)
        )

    def _remove_subscriber(self, contract, driver):
        name = contract.pppoe_user
        return contract._execute_with_logging(
            _("Remove PPPoE subscriber"), driver, self, lambda d: d.remove_subscriber(name)
        )

    def _suspend_subscriber(self, contract, driver):
        name = contract.pppoe_user
        return contract._execute_with_logging(
            _("Suspend PPPoE subscriber"), driver, self, lambda d: d.suspend_subscriber(name)
        )

    def _resume_subscriber(self, contract, driver):
        name = contract.pppoe_user
        return contract._execute_with_logging(
            _("Resume PPPoE subscriber"), driver, self, lambda d: d.resume_subscriber(name)
        )
