import json
import logging
import time

from markupsafe import Markup
from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import identity_exact
from odoo.exceptions import AccessError, UserError
from odoo.tools import str2bool

from ..drivers import OLT_PLATFORMS, BulkChange, OnuRef, Target, get_driver, validation
from ..drivers.errors import CommandTimeout, ConnectError, DriverError, InvalidInput
from .silver_provisioning_labels import OLT_TARGET_SOURCES, InputLabels, field_string, target_labels

_logger = logging.getLogger(__name__)

#: first key of the two-key PostgreSQL advisory locks taken per OLT
#: (an arbitrary constant, so our locks never collide with another addon's)
OLT_LOCK_NAMESPACE = 74_615_301
#: ONUs per bulk_apply call of a manual sync: progress is reported between chunks
SYNC_CHUNK = 16
#: seconds an operator's request waits for an OLT another session (e.g. a manual sync) holds
LOCK_WAIT_SECONDS = 15
LOCK_POLL_SECONDS = 0.5
PLATFORM_SELECTION = [
    ("huawei", "Huawei SmartAX"),
    ("zte", "ZTE C300/C320"),
    ("zte_c600", "ZTE C600/C650"),
    ("vsol", "V-SOL"),
]
assert {key for key, _label in PLATFORM_SELECTION} == set(OLT_PLATFORMS)

#: how a device's key may be missing: the OLT's or the router's own choice, or the Settings' default
KEY_POLICIES = [
    ("default", "As in Settings"),
    ("require", "Refuse Unpinned Devices"),
    ("allow", "Trust on First Use"),
]
#: ir.config_parameter holding the default key policy (True: refuse unpinned devices)
REQUIRE_PINNED_PARAM = "silver_provisioning.require_pinned_keys"


class SilverOlt(models.Model):
    _name = "silver.olt"
    _inherit = ["silver.olt", "silver.provisioning.log.mixin", "silver.provisioning.field.guard"]
    _secret_fields = ("password", "secret_olt")
    # Configuration is for network administrators (see ir_model_access.py); a note
    # in the chatter is for everyone who reads the OLT.
    _mail_post_access = "read"

    # Suite fields redeclared without change: errors name them, in the user's language.
    ip = fields.Char()
    port_ssh = fields.Char()
    port_telnet = fields.Char()
    type_connection = fields.Selection()
    ont_lineprofile_value = fields.Char()
    ont_srvprofile_value = fields.Char()
    profile_dba_internet = fields.Char()
    tcont = fields.Char()
    gemport = fields.Char()
    connection_wan = fields.Selection()
    wan_mode = fields.Selection()
    mtu = fields.Char()
    primary_dns = fields.Char()
    secondary_dns = fields.Char()

    platform = fields.Selection(
        PLATFORM_SELECTION,
        tracking=True,
        help="The OLT's vendor and family: it chooses the driver that speaks to it.",
    )
    # Credentials: readable by network administrators only (the drivers read them as superuser).
    username = fields.Char(groups="silver_provisioning.group_network_admin")
    password = fields.Char(groups="silver_provisioning.group_network_admin")
    secret_olt = fields.Char(groups="silver_provisioning.group_network_admin")
    frame = fields.Integer(
        string="Frame / Shelf",
        compute="_compute_frame",
        store=True,
        readonly=False,
        help="First number of a PON address where the platform has three: Huawei's frame (usually 0), "
        "ZTE's shelf (usually 1).",
    )
    pon_port_base = fields.Integer(
        string="First Port Number",
        compute="_compute_frame",
        store=True,
        readonly=False,
        help="The number the OLT's CLI gives the first PON port of a card (Huawei: 0; ZTE, V-SOL: 1). "
        "Ports are numbered from 1 here, as everywhere in the suite.",
    )
    host_key_fingerprint = fields.Char(
        string="Pinned SSH Host Key",
        tracking=True,
        groups="silver_provisioning.group_network_admin",
        copy=False,
        help="SHA256 fingerprint of the OLT's SSH host key. When set, a session to a device presenting "
        "another key is refused before any password is sent.",
    )
    traffic_table_value = fields.Char(
        string="Traffic Profile", help="Default traffic table index or speed profile name for new ONUs."
    )
    onu_type = fields.Char(string="Default ONU Type", help="ZTE: the ONU type registered with each ONU.")
    key_policy = fields.Selection(
        KEY_POLICIES,
        string="Unpinned Host Key",
        default="default",
        required=True,
        tracking=True,
        help="Whether a session may go to an OLT whose SSH host key is not pinned (the key it presents is then "
        "trusted as it is). Refusing also refuses Telnet, which has no key to pin.",
    )
    key_pin_state = fields.Selection(
        [
            ("pinned", "Pinned"),
            ("unpinned", "Not Pinned"),
            ("ignored", "Pinned but Not Checked (Telnet)"),
            ("none", "No Key (Telnet)"),
        ],
        string="Host Key",
        compute="_compute_key_pin_state",
        compute_sudo=True,
    )
    driver_options = fields.Text(
        groups="silver_provisioning.group_network_admin",
        help='Platform options for the driver as JSON, e.g. {"firmware": "ma5800"}.',
    )
    discovered_onu_ids = fields.One2many("silver.olt.discovered.onu", "olt_id", string="Discovered ONUs")
    discovered_onu_count = fields.Integer(compute="_compute_discovered_onu_count", compute_sudo=True)
    last_discovery_date = fields.Datetime(readonly=True, copy=False)
    sync_state = fields.Selection(
        [
            ("none", "Never"),
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("partial", "Done with Failures"),
            ("failed", "Failed"),
        ],
        string="Manual Sync",
        default="none",
        readonly=True,
        copy=False,
    )
    sync_progress = fields.Float(readonly=True, copy=False)
    sync_description = fields.Char(string="Last Sync", readonly=True, copy=False)
    sync_date = fields.Datetime(string="Last Sync Date", readonly=True, copy=False)
    sync_summary = fields.Html(readonly=True, copy=False, sanitize=True)
    sync_job_count = fields.Integer(compute="_compute_sync_job_count")

    @api.depends("type_connection", "host_key_fingerprint")
    def _compute_key_pin_state(self):
        for olt in self:
            pinned = bool(olt.host_key_fingerprint)
            if (olt.type_connection or "ssh") == "telnet":
                olt.key_pin_state = "ignored" if pinned else "none"
            else:
                olt.key_pin_state = "pinned" if pinned else "unpinned"

    def _requires_pinned_key(self):
        if self.key_policy == "require":
            return True
        if self.key_policy == "allow":
            return False
        return str2bool(self.env["ir.config_parameter"].sudo().get_param(REQUIRE_PINNED_PARAM, "False"))

    def _check_key_policy(self, target):
        """Refuse, before any password is sent, a session the key policy does not allow."""
        if not self._requires_pinned_key() or (target.protocol == "ssh" and target.host_key):
            return
        if target.protocol != "ssh":
            raise UserError(
                _(
                    "%(olt)s is reached over Telnet, which has no host key to check, and unpinned "
                    "devices are refused (%(field)s).",
                    olt=self.display_name,
                    field=self._field_label("key_policy"),
                )
            )
        raise UserError(
            _(
                "%(olt)s: its SSH host key is not pinned and unpinned devices are refused "
                "(%(field)s): a network administrator pins it with Fetch and Pin Host Key.",
                olt=self.display_name,
                field=self._field_label("key_policy"),
            )
        )

    @api.depends("platform")
    def _compute_frame(self):
        for olt in self:
            olt.frame = 1 if olt.platform in ("zte", "zte_c600") else 0
            olt.pon_port_base = 0 if olt.platform == "huawei" else 1

    def _compute_discovered_onu_count(self):
        groups = self.env["silver.olt.discovered.onu"]._read_group(
            [("olt_id", "in", self.ids), ("is_assigned", "=", False), ("is_present", "=", True)],
            ["olt_id"],
            ["__count"],
        )
        counts = {olt.id: count for olt, count in groups}
        for olt in self:
            olt.discovered_onu_count = counts.get(olt.id, 0)

    def _compute_sync_job_count(self):
        Job = self.env["queue.job"].sudo()
        for olt in self:
            olt.sync_job_count = Job.search_count([("channel", "=", olt._sync_channel())]) if olt.id else 0

    @api.constrains("driver_options")
    def _check_driver_options(self):
        for olt in self:
            olt._driver_options()

    # -- the driver ----------------------------------------------------------
    def _provisioning_platform_label(self):
        return dict(PLATFORM_SELECTION).get(self.platform, self.platform or "")

    def _provisioning_secrets(self):
        olt = self.sudo()
        return [olt.password, olt.secret_olt]

    def _driver_options(self):
        try:
            options = json.loads(self.driver_options or "{}")
        except ValueError as error:
            raise UserError(
                _("%(field)s: not valid JSON (%(error)s)", field=self._field_label("driver_options"), error=error)
            ) from None
        if not isinstance(options, dict):
            raise UserError(
                _('%s: must be a JSON object like {"firmware": "ma5800"}', self._field_label("driver_options"))
            )
        return options

    def _provisioning_target(self):
        self.ensure_one()
        olt = self.sudo()
        if not olt.platform:
            raise UserError(_("%s: choose the OLT's platform first.", self._field_label("platform")))
        protocol = olt.type_connection or "ssh"
        port = olt.port_ssh if protocol == "ssh" else olt.port_telnet
        try:
            port = int(str(port).strip())
        except ValueError:
            field = "port_ssh" if protocol == "ssh" else "port_telnet"
            raise UserError(
                _("%(field)s: %(value)r is not a port number.", field=self._field_label(field), value=port)
            ) from None
        options = dict(olt._driver_options(), frame=olt.frame)
        return Target(
            platform=olt.platform,
            host=(olt.ip or "").strip(),
            port=port,
            protocol=protocol,
            username=olt.username or "",
            password=olt.password or "",
            secret=olt.secret_olt or "",
            host_key=olt.host_key_fingerprint or "",
            options=options,
        )

    def _provisioning_driver(self):
        """A driver for this OLT; its target is checked, nothing is opened yet."""
        self.ensure_one()
        target = self._provisioning_target()
        try:
            driver = get_driver(self.platform or "")(target)
            driver.check_target()
        except InvalidInput as error:
            self._target_labels().raise_error(error)
        except ImportError as error:
            raise UserError(
                _(
                    "No driver is installed for the platform %(platform)s (%(error)s).",
                    platform=self._provisioning_platform_label(),
                    error=error,
                )
            ) from None
        self._check_key_policy(target)
        return driver

    def _field_label(self, name):
        """A field of this OLT as its form labels it, with the OLT's name: 'Primary DNS (OLT Centro)'."""
        return f"{field_string(self, name)} ({self.display_name})"

    def _target_labels(self):
        extra = {}
        if (self.type_connection or "ssh") == "telnet":
            extra["port"] = ("device", "port_telnet")
        return target_labels(self, OLT_TARGET_SOURCES, extra)

    def _sync_labels(self):
        return InputLabels(self.env, {"sync": self.env["silver.olt.sync.wizard"], "olt": self}, own="sync")

    # -- PON addresses -------------------------------------------------------
    def _pon_address(self, port, driver_class=None):
        """The PON address of a silver.olt.card.port as this OLT's platform writes it."""
        self.ensure_one()
        driver_class = driver_class or get_driver(self.platform)
        numbers = [port.olt_card_id.num_card, port.num_port - 1 + self.pon_port_base]
        if driver_class.pon_parts == 3:
            numbers.insert(0, self.frame)
        return "/".join(str(number) for number in numbers)

    def _ports_by_pon(self, driver_class=None):
        driver_class = driver_class or get_driver(self.platform)
        return {self._pon_address(port, driver_class): port for port in self.port_ids}

    # -- concurrency ---------------------------------------------------------
    def _lock_for_session(self):
        """One session per OLT, for every operation: activate, suspend, reconnect,
        terminate, status, discovery and the manual sync all take this lock first.

        Held until the transaction ends, across workers and servers (a
        PostgreSQL advisory lock): the next operation reads the device only
        after this one's change is on it, and a one-session OLT never sees two
        logins.  A manual sync holds it for minutes, so the wait is bounded:
        the operator is told.
        """
        self.ensure_one()
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not self._try_lock_for_session():
            if time.monotonic() >= deadline:
                raise UserError(
                    _("%s is busy with another session (manual sync?) - try again in a moment.", self.display_name)
                )
            time.sleep(LOCK_POLL_SECONDS)

    def _try_lock_for_session(self):
        self.ensure_one()
        self.env.cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", (OLT_LOCK_NAMESPACE, self.id))
        return self.env.cr.fetchone()[0]

    # -- seams the contract actions use ------------------------------------
    def _onu_ref(self, contract, driver_class=None):
        return OnuRef(
            pon=self._pon_address(contract.olt_port_id, driver_class),
            onu_id=contract.onu_pon_id,
            serial=contract._normalized_serial() or "",
        )

    def _provision_onu_base(self, contract, driver, service, wan=None, wifi=()):
        """Register the ONU with its service, WAN and WiFi as one plan on the OLT."""
        return contract._execute_with_logging(
            _("Provision ONU"), driver, self, lambda d: d.provision(service, wan=wan, wifi=wifi)
        )

    def _provision_onu_wan(self, contract, driver, wan):
        ref = self._onu_ref(contract, type(driver))
        return contract._execute_with_logging(_("Configure ONU WAN"), driver, self, lambda d: d.provision_wan(ref, wan))

    def _provision_onu_wifi(self, contract, driver, wifi):
        ref = self._onu_ref(contract, type(driver))
        return contract._execute_with_logging(
            _("Configure ONU WiFi %s", wifi.index), driver, self, lambda d: d.provision_wifi(ref, wifi)
        )

    def _provision_free_onu(self, contract, driver, service, wan, wifi, seen):
        """Read the OLT, then provision: never an ONU another contract has in service.

        One logged operation, read before any write: the ONU is waiting in
        auto-find (not registered: free) on the contract's PON, or, when it is
        not, no ONU id another contract holds on that PON answers with its
        serial.  ``seen['waiting']`` tells the caller the ONU was not registered.
        """
        serial = validation.normalize_serial(service.serial)

        def read_then_provision(d):
            self._check_onu_free_on_device(contract, d, service, serial, seen)
            return d.provision(service, wan=wan, wifi=wifi)

        return contract._execute_with_logging(_("Provision ONU"), driver, self, read_then_provision)

    def _check_onu_free_on_device(self, contract, driver, service, serial, seen):
        from .silver_contract import OnuNotFree

        waiting = {onu.serial: onu for onu in driver.discover().data or []}
        found = waiting.get(serial)
        if found is not None:
            seen["waiting"] = True
            if found.pon and found.pon != service.pon:
                port = self._ports_by_pon(type(driver)).get(found.pon)
                where = port.display_name if port else found.pon
                raise OnuNotFree(
                    _(
                        "%(serial)s is waiting in auto-find on %(found)s, not on the contract's PON %(pon)s: "
                        "choose the PON port it is connected to.",
                        serial=serial,
                        found=where,
                        pon=service.pon,
                    )
                )
            return
        seen["waiting"] = False
        # An unsettled operation's ONU is its contract's even before that contract says so.
        positions = contract._positions_in_service() + self.env["silver.provisioning.operation"]._open_positions(
            self.id, service.pon, exclude_contracts=contract.ids
        )
        for onu_id, holder in positions:
            try:
                status = driver.status(OnuRef(pon=service.pon, onu_id=onu_id)).data
            except (ConnectError, CommandTimeout):
                raise
            except DriverError:
                continue  # nothing registered there
            try:
                on_device = validation.normalize_serial(status.serial or "")
            except InvalidInput:
                continue
            if on_device == serial:
                raise OnuNotFree(
                    _(
                        "%(serial)s is registered on this OLT as ONU %(onu_id)s of PON %(pon)s, which is %(other)s's: "
                        "nothing was changed.",
                        serial=serial,
                        onu_id=onu_id,
                        pon=service.pon,
                        other=holder,
                    )
                )

    def _onu_holds(self, record, driver, ref):
        """Whether ONU ``ref`` is on the OLT with its serial (read back before removing it)."""
        try:
            status = self._read_onu_status(record, driver, OnuRef(pon=ref.pon, onu_id=ref.onu_id)).data
        except UserError:
            return False
        try:
            return not ref.serial or validation.normalize_serial(status.serial or "") == ref.serial
        except InvalidInput:
            return False

    def disable_onu(self, contract, driver=None):
        driver = driver or self._provisioning_driver()
        return self._disable_onu_ref(contract, driver, self._onu_ref(contract, type(driver)))

    def enable_onu(self, contract, driver=None):
        driver = driver or self._provisioning_driver()
        return self._enable_onu_ref(contract, driver, self._onu_ref(contract, type(driver)))

    def _disable_onu_ref(self, record, driver, ref):
        return record._execute_with_logging(_("Disable ONU"), driver, self, lambda d: d.suspend(ref))

    def _enable_onu_ref(self, record, driver, ref):
        return record._execute_with_logging(_("Enable ONU"), driver, self, lambda d: d.resume(ref))

    def _remove_onu(self, contract, driver, ref=None):
        ref = ref or self._onu_ref(contract, type(driver))
        return contract._execute_with_logging(_("Remove ONU"), driver, self, lambda d: d.remove(ref))

    def _read_onu_status(self, contract, driver, ref=None):
        ref = ref or self._onu_ref(contract, type(driver))
        return contract._execute_with_logging(_("Read ONU status"), driver, self, lambda d: d.status(ref))

    def _save_configuration(self, record, driver):
        if self.is_write_olt:
            record._execute_with_logging(_("Save configuration"), driver, self, lambda d: d.save())

    # -- host key ------------------------------------------------------------
    def action_fetch_host_key(self):
        """Read the SSH host key the OLT presents (no login) and pin it."""
        self._check_network_admin()
        for olt in self:
            olt._pin_host_key(olt._fetch_host_key())
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Host key pinned"),
                "message": ", ".join(self.mapped("host_key_fingerprint")),
                "sticky": True,
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_preview_host_key(self):
        """Read the key the OLT presents and ask, showing its fingerprint, before trusting it."""
        self.ensure_one()
        self._check_network_admin()
        wizard = self.env["silver.olt.host.key.wizard"].create(
            {"olt_id": self.id, "fingerprint": self._fetch_host_key(), "previous": self.host_key_fingerprint}
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Trust the SSH host key of %s?", self.display_name),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def _fetch_host_key(self):
        """The fingerprint of the SSH host key the OLT presents now (no login)."""
        from ..drivers.cli import fetch_host_key

        target = self._provisioning_target()
        if target.protocol != "ssh":
            raise UserError(_("%s: host keys exist on SSH only.", self._field_label("type_connection")))
        try:
            return fetch_host_key(target.host, target.port, timeout=target.connect_timeout)
        except DriverError as error:
            raise UserError(
                _("Could not read the host key of %(olt)s: %(error)s", olt=self.display_name, error=error.message)
            ) from None

    def _pin_host_key(self, seen):
        previous = self.host_key_fingerprint
        self.host_key_fingerprint = seen
        self.message_post(
            body=Markup("<p>{}</p><pre>{}</pre>").format(
                _("SSH host key pinned (previous: %s)", previous or _("none")), seen
            ),
            subtype_xmlid="silver_provisioning.mt_provisioning_log",
        )

    def _check_network_admin(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_network_admin"):
            raise AccessError(_("Only network administrators may do this."))

    def _check_technician(self):
        if not self.env.su and not self.env.user.has_group("silver_provisioning.group_provisioning_technician"):
            raise AccessError(_("Only provisioning technicians may do this."))

    # -- discovery -------------------------------------------------------------
    def action_discover_onus(self):
        """Read every PON port's auto-find list in one session and record it."""
        self._check_technician()
        counts = []
        for olt in self:
            driver = olt._provisioning_driver()
            olt._lock_for_session()
            with olt._secrets_out_of_server_log(), driver:
                result = olt._execute_with_logging(_("Discover ONUs"), driver, olt, lambda d: d.discover())
            created, _seen, _vanished = olt.sudo()._store_discovered_onus(result.data or [], type(driver))
            counts.append(
                _(
                    "%(olt)s: %(found)s ONU(s) waiting found, %(new)s of them new.",
                    olt=olt.display_name,
                    found=len(result.data or []),
                    new=len(created),
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Discovery done"),
                "message": "\n".join(counts),
                "type": "success",
                "next": self.action_view_discovered_onus(),
            },
        }

    def _store_discovered_onus(self, found, driver_class, now=None):
        """Create new records, update changed ones, mark vanished ones; a few queries in all."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        Discovered = self.env["silver.olt.discovered.onu"]
        existing = {onu.serial_number: onu for onu in Discovered.search([("olt_id", "=", self.id)])}
        ports = self._ports_by_pon(driver_class)
        assigned = self._assigned_serials()
        to_create, seen = [], Discovered
        for onu in found:
            port = ports.get(onu.pon)
            values = {
                "olt_index": onu.olt_index or onu.pon,
                "pon": onu.pon,
                "olt_card_id": port.olt_card_id.id if port else False,
                "olt_port_id": port.id if port else False,
                "model": onu.model or False,
                "version": onu.version or False,
                "software_version": onu.software_version or False,
                "vendor_id": onu.vendor_id or False,
                "loid": onu.loid or False,
                "password": onu.password or False,
                "mac": onu.mac or False,
                "contract_id": assigned.get(onu.serial, False),
                "is_assigned": onu.serial in assigned,
            }
            record = existing.get(onu.serial)
            if record is None:
                to_create.append(dict(values, olt_id=self.id, serial_number=onu.serial, first_seen=now))
                continue
            seen |= record
            changed = {
                key: value
                for key, value in values.items()
                if record._fields[key].convert_to_write(record[key], record) != value
            }
            if changed:
                record.write(changed)
        created = Discovered.create(to_create) if to_create else Discovered
        (seen | created).write({"is_present": True, "last_seen": now})
        vanished = Discovered.browse([rec.id for serial, rec in existing.items() if rec not in seen])
        if vanished:
            vanished.write({"is_present": False})
        self.last_discovery_date = now
        return created, seen, vanished

    def _assigned_serials(self):
        """Vendor-form serial -> contract id, for the ONUs already provisioned on a contract."""
        contracts = self.env["silver.contract"].search(
            [("olt_id", "=", self.id), ("serial_number", "!=", False), ("state_service", "in", ("active", "suspended"))]
        )
        return {serial: contract.id for contract in contracts if (serial := contract._normalized_serial())}

    def action_view_discovered_onus(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("silver_provisioning.silver_olt_discovered_onu_action")
        action["domain"] = [("olt_id", "in", self.ids)]
        action["context"] = {"default_olt_id": self[:1].id, "search_default_waiting": 1}
        return action

    # -- manual sync -------------------------------------------------------------
    def _sync_channel(self):
        return f"root.silver_provisioning.olt_{self.id}"

    def action_open_sync_wizard(self):
        self._check_network_admin()
        return {
            "type": "ir.actions.act_window",
            "res_model": "silver.olt.sync.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_olt_id": self.id, "active_id": self.id, "active_model": self._name},
        }

    def action_sync_olt_manual(self, kind, params):
        """Queue a change for every active ONU of this OLT; one job per OLT at a time."""
        self._check_network_admin()
        self.ensure_one()
        change = BulkChange(kind, dict(params))
        try:
            get_driver(self.platform or "")(self._provisioning_target()).check_bulk_change(change)
        except InvalidInput as error:
            self._sync_labels().raise_error(error)
        except DriverError as error:  # e.g. a change the platform cannot make
            raise UserError(_("%(olt)s: %(error)s", olt=self.display_name, error=error.message)) from None
        self._ensure_sync_channel()
        description = self._sync_description(kind, params)
        # Written before the job is queued: a job run at once (no delay) writes its end state after it.
        self.write({"sync_state": "queued", "sync_progress": 0.0, "sync_description": description})
        self.with_delay(
            channel=self._sync_channel(),
            description=_("Manual sync of %(olt)s: %(change)s", olt=self.display_name, change=description),
            identity_key=identity_exact,
            max_retries=5,
        )._job_sync_olt_manual(kind, dict(params))
        return True

    def _ensure_sync_channel(self):
        """The OLT's own channel, under root.silver_provisioning (see data/queue_job_data.xml)."""
        Channel = self.env["queue.job.channel"].sudo()
        parent = self.env.ref("silver_provisioning.channel_silver_provisioning")
        name = self._sync_channel().rsplit(".", 1)[1]
        if not Channel.search_count([("name", "=", name), ("parent_id", "=", parent.id)]):
            Channel.create({"name": name, "parent_id": parent.id})

    @staticmethod
    def _sync_description(kind, params):
        return f"{kind}: " + ", ".join(f"{key}={value}" for key, value in sorted(params.items()) if value)

    def _job_sync_olt_manual(self, kind, params):
        """Job: apply one change to every active ONU of the OLT in one session.

        Nothing the job's own transaction writes can collide with a contract
        operation (it would fail to serialize, and queue_job would push the
        change again): progress, results and the contracts' new VLAN go through
        cursors of their own, and each chunk the OLT accepted is journaled at
        once, so a re-run of the same job skips what it pushed already.
        """
        self.ensure_one()
        olt = self.sudo()
        if not olt._try_lock_for_session():
            raise RetryableJobError(_("%s is busy with another session; retrying later.", olt.display_name), seconds=30)
        contracts = (
            self.env["silver.contract"]
            .sudo()
            .search(
                [("olt_id", "=", olt.id), ("state_service", "=", "active"), ("olt_port_id", "!=", False)],
                order="olt_port_id, onu_pon_id",
            )
        )
        driver = olt._provisioning_driver()
        operation, pushed_before = olt._sync_operation(self.env.context.get("job_uuid"))
        change = BulkChange(kind, dict(params))
        outcome = {
            contract: (True, _("applied by an earlier run of this job"))
            for contract in contracts
            if contract.id in pushed_before
        }
        items = [
            (contract, olt._onu_ref(contract, type(driver)))
            for contract in contracts
            if contract.id not in pushed_before
        ]
        failure = None
        with olt._secrets_out_of_server_log(), driver:
            for start in range(0, len(items), SYNC_CHUNK):
                chunk = items[start : start + SYNC_CHUNK]
                try:
                    result = olt._execute_with_logging(
                        _("Manual sync: %s", self._sync_description(kind, params)),
                        driver,
                        olt,
                        lambda d, chunk=chunk: d.bulk_apply([ref for _c, ref in chunk], change),
                    )
                except UserError as error:
                    if getattr(error, "retryable", False) and not outcome:
                        # Nothing was changed yet: the whole job can simply run again later.
                        raise RetryableJobError(str(error), seconds=60) from None
                    failure = error
                    for contract, _ref in items[start:]:
                        outcome[contract] = (False, str(error))
                    break
                by_ref = {(item.onu.pon, item.onu.onu_id): item for item in result.data}
                for contract, ref in chunk:
                    item = by_ref.get((ref.pon, ref.onu_id))
                    outcome[contract] = (bool(item and item.ok), item.error if item else _("no answer"))
                pushed = [contract for contract, _ref in chunk if outcome[contract][0]]
                operation.add({"do": "sync_chunk", "olt": olt.id, "contracts": [c.id for c in pushed]})
                if kind == "vlan":
                    olt._follow_vlan_change(params.get("vlan"), pushed)
                olt._report_sync_progress(min(start + SYNC_CHUNK, len(items)) / len(items) * 100.0)
            if failure is None and any(ok for ok, _error in outcome.values()):
                olt._save_configuration(olt, driver)
        state = "done"
        if failure is not None or not all(ok for ok, _error in outcome.values()):
            state = "failed" if not any(ok for ok, _error in outcome.values()) and outcome else "partial"
        operation.finish(
            "done" if state == "done" else "left",
            left=False if state == "done" else _("%s: see the OLT's Manual Sync tab", state),
        )
        values = {
            "sync_state": state,
            "sync_progress": 100.0,
            "sync_date": fields.Datetime.now(),
            "sync_summary": olt._sync_summary_html(outcome),
        }
        if not olt._write_sync_values(values):
            olt.write(values)
        return {contract.name: {"ok": ok, "error": error} for contract, (ok, error) in outcome.items()}

    def _sync_operation(self, job_uuid):
        """(the operation journaling this sync job, ids of the contracts an earlier run pushed)."""
        from .silver_provisioning_operation import OperationHandle

        Operation = self.env["silver.provisioning.operation"]
        earlier = Operation._find_open_sync(self, job_uuid)
        if earlier:
            operation_id, entries = earlier
            handle = OperationHandle(self.env, operation_id)
            handle.entries = list(entries)
            return handle, {cid for entry in entries for cid in entry.get("contracts", [])}
        return Operation._open("sync", self, olt=self, job_uuid=job_uuid, hooks=False), set()

    def _follow_vlan_change(self, vlan, contracts):
        """The contracts whose ONU moved to ``vlan`` point at that VLAN, when the OLT has it.

        Written and committed at once, apart from the job's transaction (the
        OLT holds the change already); contracts this transaction created
        itself are not visible there and are written here.
        """
        record = self.vlan_ids.filtered(lambda rec: rec.vlanid == int(vlan or 0))[:1]
        if not record or not contracts:
            return
        ids = [contract.id for contract in contracts]
        with self.env.registry.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '10s'")
            cr.execute("SELECT id FROM silver_contract WHERE id IN %s", (tuple(ids),))
            committed = [row[0] for row in cr.fetchall()]
            if committed:
                api.Environment(cr, SUPERUSER_ID, {})["silver.contract"].browse(committed).write({"vlan_id": record.id})
        rest = [contract_id for contract_id in ids if contract_id not in committed]
        if rest:
            self.env["silver.contract"].sudo().browse(rest).write({"vlan_id": record.id})
        self.env["silver.contract"].browse(committed).invalidate_recordset(["vlan_id"])

    def _report_sync_progress(self, percent):
        """Progress seen by users while the job still runs: its own, committed transaction.

        Best effort: a progress that cannot be written is skipped.
        """
        try:
            self._write_sync_values({"sync_state": "running", "sync_progress": percent})
        except Exception:
            _logger.debug("sync progress of OLT %s not written", self.id, exc_info=True)

    def _write_sync_values(self, values):
        """Write sync_* fields of this OLT from a separate, committed transaction.

        The job's own transaction does not write these columns: a side cursor
        commits progress on the same row, so a write from the job's snapshot
        would fail to serialize and queue_job would rerun the whole change.
        Returns False (nothing written) when the row is not committed yet, i.e.
        created by the calling transaction, which alone can then write it.
        """
        self.ensure_one()
        with self.env.registry.cursor() as cr:
            # Never wait long on our own job's transaction should it hold the row.
            cr.execute("SET LOCAL lock_timeout = '10s'")
            cr.execute("SELECT id FROM silver_olt WHERE id = %s", (self.id,))
            if not cr.rowcount:
                # Created in this very transaction: no other one can have written it.
                return False
            self.with_env(self.env(cr=cr, su=True)).write(values)
        self.invalidate_recordset(list(values))
        return True

    def _sync_summary_html(self, outcome):
        if not outcome:
            return Markup("<p>{}</p>").format(_("No active ONU on this OLT."))
        ok_count = sum(1 for ok, _error in outcome.values() if ok)
        rows = Markup().join(
            Markup("<tr><td>{}</td><td>{}</td><td>{}</td></tr>").format(
                contract.name, _("OK") if ok else _("FAILED"), error or ""
            )
            for contract, (ok, error) in outcome.items()
        )
        return Markup(
            "<p>{summary}</p><table class='table table-sm'><thead><tr><th>{c}</th><th>{r}</th><th>{e}</th>"
            "</tr></thead><tbody>{rows}</tbody></table>"
        ).format(
            summary=_("%(ok)s of %(total)s ONUs updated.", ok=ok_count, total=len(outcome)),
            c=_("Contract"),
            r=_("Result"),
            e=_("Device message"),
            rows=rows,
        )

    def action_view_sync_jobs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Jobs of %s", self.display_name),
            "res_model": "queue.job",
            "view_mode": "tree,form",
            "domain": [("channel", "=", self._sync_channel())],
        }
