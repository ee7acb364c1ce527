import socket
import ssl

from markupsafe import Markup
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import str2bool

from ..drivers import RateLimit, Subscriber, Target, get_driver
from ..drivers.errors import InvalidInput
from .silver_olt import KEY_POLICIES, REQUIRE_PINNED_PARAM
from .silver_provisioning_labels import ROUTER_TARGET_SOURCES, field_string, target_labels

#: RouterOS's own default ports, when the router record leaves the port empty
API_PORTS = {"api": 8728, "api-ssl": 8729}


def fetch_certificate_fingerprint(host, port, timeout=10.0):
    """'SHA256:...' of the TLS certificate a router presents, read without logging in (to pin it)."""
    from ..drivers.mikrotik import certificate_fingerprint  # librouteros is needed for this only

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # Read only: RouterOS certificates are mostly self-signed, the pin is what is checked later.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return certificate_fingerprint(tls.getpeercert(binary_form=True))


class SilverCore(models.Model):
    _name = "silver.core"
    _inherit = ["silver.core", "silver.provisioning.log.mixin", "silver.provisioning.field.guard"]
    _secret_fields = ("password",)
    _mail_post_access = "read"

    ip = fields.Char()
    port = fields.Integer()
    username = fields.Char(groups="silver_provisioning.group_network_admin")
    password = fields.Char(groups="silver_provisioning.group_network_admin")
    api_tls = fields.Boolean(
        string="API over TLS",
        help="Speak to the router's api-ssl service instead of the plain API.",
    )
    tls_fingerprint = fields.Char(
        string="Pinned TLS Certificate",
        tracking=True,
        copy=False,
        groups="silver_provisioning.group_network_admin",
        help="SHA256 fingerprint of the certificate the router's api-ssl service presents. When set, a session "
        "to a router presenting another certificate is refused before the password is sent.",
    )
    key_policy = fields.Selection(
        KEY_POLICIES,
        string="Unpinned Certificate",
        default="default",
        required=True,
        tracking=True,
        help="Whether a session may go to a router whose TLS certificate is not pinned (the certificate it "
        "presents is then trusted as it is). Refusing also refuses the plain API, which has no certificate.",
    )
    key_pin_state = fields.Selection(
        [
            ("pinned", "Pinned"),
            ("unpinned", "Not Pinned"),
            ("ignored", "Pinned but Not Checked (plain API)"),
            ("none", "No Certificate (plain API)"),
        ],
        string="TLS Certificate",
        compute="_compute_key_pin_state",
        compute_sudo=True,
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

    @api.depends("api_tls", "tls_fingerprint")
    def _compute_key_pin_state(self):
        for router in self:
            pinned = bool(router.tls_fingerprint)
            if router.api_tls:
                router.key_pin_state = "pinned" if pinned else "unpinned"
            else:
                router.key_pin_state = "ignored" if pinned else "none"

    def _provisioning_platform_label(self):
        return "MikroTik RouterOS"

    def _provisioning_secrets(self):
        return [self.sudo().password]

    def _field_label(self, name):
        return f"{field_string(self, name)} ({self.display_name})"

    def _protocol(self):
        return "api-ssl" if self.api_tls else "api"

    def _provisioning_target(self):
        self.ensure_one()
        router = self.sudo()
        protocol = router._protocol()
        return Target(
            platform="mikrotik",
            host=(router.ip or "").strip(),
            port=router.port or 0,
            protocol=protocol,
            username=router.username or "",
            password=router.password or "",
            # The driver checks the api-ssl certificate against it before the password is sent.
            host_key=(router.tls_fingerprint or "") if protocol == "api-ssl" else "",
            options={
                "suspend_method": router.suspend_method or "disable_secret",
                "address_list": router.suspend_address_list or "CORTADOS",
                "suspend_profile": router.suspend_profile or "CORTADO",
                # A profile per plan carries the rate limit; otherwise a simple queue does.
                "rate_limit_method": "profile" if router.is_pppoe_profile else "queue",
            },
        )

    def _requires_pinned_key(self):
        if self.key_policy == "require":
            return True
        if self.key_policy == "allow":
            return False
        return str2bool(self.env["ir.config_parameter"].sudo().get_param(REQUIRE_PINNED_PARAM, "False"))

    def _check_key_policy(self, target):
        """Refuse, before the password is sent, a session the key policy does not allow."""
        if not self._requires_pinned_key() or (target.protocol == "api-ssl" and target.host_key):
            return
        if target.protocol != "api-ssl":
            raise UserError(
                _(
                    "%(router)s is reached over the plain API, which has no certificate to check, and "
                    "unpinned devices are refused (%(field)s): turn on %(tls)s and pin its certificate.",
                    router=self.display_name,
                    field=self._field_label("key_policy"),
                    tls=field_string(self, "api_tls"),
                )
            )
        raise UserError(
            _(
                "%(router)s: its TLS certificate is not pinned and unpinned devices are refused "
                "(%(field)s): a network administrator pins it with Fetch and Pin Certificate.",
                router=self.display_name,
                field=self._field_label("key_policy"),
            )
        )

    def _provisioning_driver(self):
        self.ensure_one()
        target = self._provisioning_target()
        try:
            driver = get_driver("mikrotik")(target)
            driver.check_target()
        except InvalidInput as error:
            target_labels(self, ROUTER_TARGET_SOURCES).raise_error(error)
        except ImportError as error:
            raise UserError(_("No driver is installed for MikroTik routers (%s).", error)) from None
        self._check_key_policy(target)
        return driver

    # -- certificate -------------------------------------------------------------
    def action_fetch_tls_fingerprint(self):
        """Read the api-ssl certificate the router presents (no login) and pin it."""
        self.env["silver.olt"]._check_network_admin()
        for router in self:
            if not router.api_tls:
                raise UserError(_("%s: certificates exist on the API over TLS only.", router._field_label("api_tls")))
            target = router._provisioning_target()
            port = target.port or API_PORTS["api-ssl"]
            try:
                seen = fetch_certificate_fingerprint(target.host, port, timeout=target.connect_timeout)
            except (OSError, ssl.SSLError) as error:
                raise UserError(
                    _(
                        "Could not read the TLS certificate of %(router)s: %(error)s",
                        router=router.display_name,
                        error=error,
                    )
                ) from None
            previous = router.sudo().tls_fingerprint
            router.sudo().tls_fingerprint = seen
            router.message_post(
                body=Markup("<p>{}</p><pre>{}</pre>").format(
                    _("TLS certificate pinned (previous: %s)", previous or _("none")), seen
                ),
                subtype_xmlid="silver_provisioning.mt_provisioning_log",
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Certificate pinned"),
                "message": ", ".join(self.sudo().mapped("tls_fingerprint")),
                "sticky": True,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

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
        return self._remove_subscriber_named(contract, driver, contract._router_user())

    def _suspend_subscriber(self, contract, driver):
        return self._suspend_subscriber_named(contract, driver, contract._router_user())

    def _resume_subscriber(self, contract, driver):
        return self._resume_subscriber_named(contract, driver, contract._router_user())

    def _remove_subscriber_named(self, record, driver, name):
        return record._execute_with_logging(
            _("Remove PPPoE subscriber"), driver, self, lambda d: d.remove_subscriber(name)
        )

    def _suspend_subscriber_named(self, record, driver, name):
        return record._execute_with_logging(
            _("Suspend PPPoE subscriber"), driver, self, lambda d: d.suspend_subscriber(name)
        )

    def _resume_subscriber_named(self, record, driver, name, enable=False):
        # ``enable``: the drift ledger converging an active contract; a secret
        # disabled by hand on the router is enabled too (a resume alone restores
        # only what a suspension recorded).
        options = {"enable": True} if enable else {}
        return record._execute_with_logging(
            _("Resume PPPoE subscriber"), driver, self, lambda d: d.resume_subscriber(name, **options)
        )
