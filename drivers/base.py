"""The driver interface: every platform is used the same way.

    driver = get_driver("huawei")(target)
    with driver:                      # one login for everything inside
        result = driver.provision(service, wan=wan, wifi=[wifi])
        status = driver.status(OnuRef(result.data.pon, result.data.onu_id))

Each public operation validates all of its input first, so bad input is
refused before any connection is opened (the session itself opens lazily,
on the first command).  Each returns an OperationResult carrying the typed
payload and the masked transcript; each failure is a DriverError carrying
the same transcript.

Platforms subclass OltDriver (CLI OLTs, see drivers/cli.py) or RouterDriver
(MikroTik) and supply the underscore hooks, which raise NotImplementedError
here.
"""

import abc
import re
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import replace

from . import engine
from . import validation as v
from .errors import (
    AuthenticationError,
    CommandTimeout,
    ConnectError,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
    UnsupportedOperation,
)
from .models import BulkChange, BulkItemResult, OperationResult
from .transcript import Masker, Transcript


class PreviewStop(Exception):
    """A preview that cannot go further without sending (not a DriverError:
    nothing failed)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class BaseDriver(abc.ABC):
    platform = None
    #: protocols this platform speaks: 'ssh', 'telnet', 'api', 'api-ssl'
    protocols = ()

    def __init__(self, target):
        self.target = target
        self.masker = Masker([target.password, target.secret])
        self.transcript = Transcript(self.masker)
        self._connection = None
        self._depth = 0
        #: SSH host key fingerprint seen on the last connection (to pin it)
        self.seen_host_key = ""
        #: the refusal a login after a lost session met (never retried)
        self._login_refused = None
        #: logins the device accepted (counted by the session, before the
        #: platform's own reads at login)
        self.logins = 0
        #: during ``preview``: the (mode, command) pairs the operation's
        #: converges would send (engine.converge fills it, sends nothing)
        self.previewing = None
        #: inside an engine.Plan: the converges done so far (to take back)
        self.plan_journal = None

    # -- session lifetime ------------------------------------------------
    def __enter__(self):
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if self._depth == 0:
            self.close()

    def check_target(self):
        target = self.target
        if target.protocol not in self.protocols:
            raise InvalidInput("protocol", f"{target.protocol!r} is not one of {', '.join(self.protocols)}")
        if not target.host or any(ch.isspace() for ch in target.host):
            raise InvalidInput("host", "is required and may not hold spaces")
        v.check_int("port", target.port, 1, 65535)
        if not target.username:
            raise InvalidInput("username", "is required")
        if any(ch.isspace() or not ch.isprintable() for ch in target.username):
            # Typed at a login prompt: a newline would answer the next prompt.
            raise InvalidInput("username", "may not hold spaces or control characters")
        self.check_session_options()
        return target

    #: the session options every platform takes, with their limits
    SESSION_SECONDS = {"busy_delay": 600.0, "reconnect_delay": 600.0}
    SESSION_COUNTS = {"max_resyncs": 10, "reconnect_attempts": 10}

    def check_session_options(self):
        """``options.busy_delay``/``reconnect_delay`` (seconds) and
        ``options.max_resyncs``/``reconnect_attempts`` (counts)."""
        options = self.target.options
        for name, high in self.SESSION_SECONDS.items():
            if name in options:
                v.check_seconds(f"options.{name}", options[name], 0.0, high)
        for name, high in self.SESSION_COUNTS.items():
            if name in options:
                v.check_int(f"options.{name}", options[name], 0 if name == "max_resyncs" else 1, high)

    @property
    def connection(self):
        """The open session, opened on first use."""
        if self._connection is None:
            if self._login_refused is not None:
                # Once refused after a lost session, never again in this
                # driver's life: each try would count towards a lockout.
                raise self._login_refused
            self._connection = self._open()
        return self._connection

    def open(self):
        """Log in now rather than at the first command."""
        return self.connection

    def close(self):
        if self._connection is not None:
            connection, self._connection = self._connection, None
            self._close(connection)

    #: fresh logins one operation may make after a timeout or a lost session
    #: (Target.options['max_resyncs'] overrides); bounded because devices lock
    #: out repeated logins and limit sessions
    max_resyncs = 2
    #: seconds between dropping a session and logging in again (the device
    #: needs a moment to notice the old session is gone); doubled after each
    #: refused attempt (options['reconnect_delay'])
    reconnect_delay = 1.0
    #: logins one reconnect tries before giving up (options['reconnect_attempts'])
    reconnect_attempts = 3

    @property
    def resync_budget(self):
        return int(self.target.options.get("max_resyncs", self.max_resyncs))

    def reconnect(self):
        """Drop the current session (it is out of step) and log in again.

        Bounded: ``reconnect_attempts`` logins, ``reconnect_delay`` apart
        (doubling), for a device that still counts the old session against
        its limit or is briefly unreachable.  A refused password (or a lockout)
        is never retried: devices lock out repeated failed logins.
        """
        connection, self._connection = self._connection, None
        if connection is not None:
            self._abandon(connection)
        options = self.target.options
        delay = float(options.get("reconnect_delay", self.reconnect_delay))
        attempts = int(options.get("reconnect_attempts", self.reconnect_attempts))
        for attempt in range(1, attempts + 1):
            time.sleep(delay)
            try:
                return self.connection
            except (AuthenticationError, HostKeyMismatch) as error:
                self._login_refused = error
                raise
            except ConnectError as error:
                if attempt == attempts:
                    raise
                self.transcript.note(
                    f"login {attempt} of {attempts} after the lost session failed ({error.message}): "
                    f"trying again in {delay * 2:g} s"
                )
                delay *= 2
        raise AssertionError("unreachable")

    def _abandon(self, connection):
        """Release a session that is out of step, without its logout dialogue."""
        with suppress(Exception):
            self._close(connection)

    def _begin(self):
        """Log in for an operation.  A session lost while it is being prepared
        (the platform's reads at login: the firmware) is opened again, bounded;
        a device that cannot be reached or refuses the login is not retried
        here (the caller, a background job, retries later)."""
        logins = self.logins
        try:
            try:
                self.open()
            except (ConnectError, CommandTimeout):
                if self.logins == logins:
                    raise
                engine.read(self, self.open)
        except DriverError as error:
            error.outcome = error.outcome or "unchanged"  # nothing was sent yet
            raise

    @contextmanager
    def _operation(self, name):
        """One operation: logs in (unless inside ``with driver`` and logged in
        already), closes the session after it unless inside ``with driver``."""
        try:
            self._begin()
            yield
        except DriverError as error:
            if error.transcript is None:
                error.transcript = self.transcript
            # Exception texts are shown to operators and logged: mask them too.
            error.message = self.masker(error.message)
            error.args = (error.message,)
            # CommandRejected carries the command itself (to_dict shows it): a
            # PPPoE or WiFi command holds the secret.
            for attribute in ("command", "device_message"):
                if isinstance(getattr(error, attribute, None), str):
                    setattr(error, attribute, self.masker(getattr(error, attribute)))
            # What is left names commands, secrets included.
            error.left = [self.masker(str(item)) for item in error.left]
            if isinstance(getattr(error, "still_applied", None), list):
                error.still_applied = [self.masker(str(item)) for item in error.still_applied]
            raise
        finally:
            if self._depth == 0:
                self.close()

    def _result(self, operation, data):
        return OperationResult(operation, data, self.transcript)

    #: the operations ``preview`` may run (each changes the device only through converge)
    previewable = ()

    def preview(self, operation, *args, **kwargs):
        """The exact commands ``operation(*args, **kwargs)`` would send to this
        device now, computed from what it holds (only reads are sent); nothing
        is changed.  Same validation and errors as the operation itself.
        Result data: {"operation", "commands": [command], "steps": [(mode, command)]}.

        A plan whose later part depends on an earlier one having run (the
        registration on a new port after the removal from the old one) shows
        the part it can compute and says so."""
        if operation not in self.previewable:
            raise InvalidInput("operation", f"{operation!r} is not one of {', '.join(self.previewable)}")
        plan, notes = [], []
        self.previewing = plan
        try:
            getattr(self, operation)(*args, **kwargs)
        except KeyError:  # pylint: disable=except-pass
            # The operation's result needs a value only the device gives (the
            # ONT id Huawei picks): the plan itself is complete.
            pass
        except PreviewStop as stop:
            notes.append(stop.reason)
        finally:
            self.previewing = None
        steps = [(mode, self.masker(command)) for mode, command in plan]
        data = {"operation": operation, "commands": [command for _, command in steps], "steps": steps, "notes": notes}
        return OperationResult("preview", data, self.transcript)

    def add_secrets(self, *secrets):
        for secret in secrets:
            self.masker.add(secret)

    @abc.abstractmethod
    def _open(self):
        """Connect and log in; return the connection object."""

    @abc.abstractmethod
    def _close(self, connection):
        """Log out and release the connection."""


class OltDriver(BaseDriver):
    """A GPON OLT."""

    protocols = ("ssh", "telnet")
    #: how many '/'-separated numbers a PON address has on this platform
    pon_parts = 3
    onu_id_range = (0, 127)
    wifi_index_max = 4
    #: where the OLT chooses the ONU id itself when none is given
    olt_assigns_onu_id = False

    # -- capabilities (may depend on target.options, e.g. firmware) ------
    def supports_wan(self):
        return True

    def supports_wifi(self):
        return True

    # -- validation: each check raises InvalidInput (or UnsupportedOperation)
    # naming the field, and returns what it checked ------------------------
    def normalize_serial(self, serial, field="serial"):
        return v.normalize_serial(serial, field)

    def check_pon(self, pon, field="pon"):
        return v.check_pon(pon, self.pon_parts, field)

    def check_ref(self, ref, prefix=""):
        self.check_pon(ref.pon, f"{prefix}pon")
        v.check_int(f"{prefix}onu_id", ref.onu_id, *self.onu_id_range)
        return ref

    def check_service(self, service):
        self.normalize_serial(service.serial)
        self.check_pon(service.pon)
        v.check_vlan(service.vlan)
        if service.user_vlan is not None:
            v.check_vlan(service.user_vlan, "user_vlan")
        if service.onu_id is not None:
            v.check_int("onu_id", service.onu_id, *self.onu_id_range)
        v.check_description(service.description)
        for name in ("line_profile", "service_profile", "dba_profile", "traffic_profile", "onu_type"):
            v.check_name(getattr(service, name), name, required=False)
        v.check_int("tcont", service.tcont, 1, 8)
        v.check_int("gemport", service.gemport, 1, 128)
        return service

    def check_wan(self, wan):
        if not self.supports_wan():
            raise UnsupportedOperation(f"WAN over OMCI is unsupported on this platform/firmware ({self.platform})")
        v.check_wan(wan)
        return wan

    def check_wifi(self, wifi):
        if not self.supports_wifi():
            raise UnsupportedOperation(f"WiFi over OMCI is unsupported on this platform/firmware ({self.platform})")
        v.check_wifi(wifi, max_index=self.wifi_index_max)
        return wifi

    # -- canonical inputs: what is checked is what is sent -------------------
    # The public operations hand the hooks these copies, so a platform never
    # formats a value other than the one that was checked ('0100' is sent as
    # 100, a serial in the 12-character upper-case form).
    def canonical_service(self, service):
        def optional_int(name, low, high):
            value = getattr(service, name)
            return None if value is None else v.check_int(name, value, low, high)

        return replace(
            service,
            serial=self.normalize_serial(service.serial),
            pon=self.check_pon(service.pon),
            vlan=v.check_vlan(service.vlan),
            user_vlan=optional_int("user_vlan", 1, 4094),
            onu_id=optional_int("onu_id", *self.onu_id_range),
            tcont=v.check_int("tcont", service.tcont, 1, 8),
            gemport=v.check_int("gemport", service.gemport, 1, 128),
        )

    def canonical_ref(self, ref, prefix=""):
        return replace(
            ref,
            pon=self.check_pon(ref.pon, f"{prefix}pon"),
            onu_id=v.check_int(f"{prefix}onu_id", ref.onu_id, *self.onu_id_range),
        )

    def canonical_wan(self, wan):
        addresses = {
            name: v.check_ipv4(getattr(wan, name), f"wan.{name}") if getattr(wan, name) else getattr(wan, name)
            for name in ("ip", "netmask", "gateway", "dns1", "dns2")
        }
        mtu = v.check_int("wan.mtu", wan.mtu, 576, 1540) if wan.mtu else wan.mtu
        return replace(wan, vlan=v.check_vlan(wan.vlan, "wan.vlan"), mtu=mtu, **addresses)

    def canonical_wifi(self, wifi):
        return replace(wifi, index=v.check_int("wifi.index", wifi.index, 1, self.wifi_index_max))

    def canonical_change(self, change):
        params = dict(change.params)
        if change.kind == "vlan":
            params["vlan"] = v.check_vlan(params.get("vlan"), "params.vlan")
        elif change.kind == "dns":
            params["primary"] = v.check_ipv4(params.get("primary", ""), "params.primary")
            if params.get("secondary"):
                params["secondary"] = v.check_ipv4(params["secondary"], "params.secondary")
        return replace(change, params=params)

    def check_bulk_change(self, change):
        if change.kind == "dns":
            v.check_dns_change(change.params)
        elif change.kind == "traffic_profile":
            v.check_name(str(change.params.get("profile", "")), "params.profile")
        elif change.kind == "vlan":
            v.check_vlan(change.params.get("vlan"), "params.vlan")
        else:
            raise InvalidInput("kind", f"{change.kind!r} is not one of dns, traffic_profile, vlan")
        return change

    # -- operations --------------------------------------------------------
    def discover(self):
        """Every ONU waiting in auto-find on every PON port, in one session."""
        self.check_target()
        with self._operation("discover"):
            return self._result("discover", self._discover())

    def provision(self, service, wan=None, wifi=()):
        """Register the ONU and its service, then WAN and WiFi, as one plan:
        a failure anywhere undoes everything this call changed."""
        self.check_target()
        self.check_service(service)
        service = self.canonical_service(service)
        wan, checked = self._checked_extras(wan, wifi)
        self.add_secrets(service.password)
        with self._operation("provision"):
            return self._result("provision", self._provision(service, wan, checked))

    def provision_base(self, service):
        return self.provision(service)

    def provision_wan(self, ref, wan):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        self.check_wan(wan)
        wan = self.canonical_wan(wan)
        self.add_secrets(wan.password)
        with self._operation("provision_wan"):
            return self._result("provision_wan", self._provision_wan(ref, wan))

    def provision_wifi(self, ref, wifi):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        self.check_wifi(wifi)
        wifi = self.canonical_wifi(wifi)
        self.add_secrets(wifi.key)
        with self._operation("provision_wifi"):
            return self._result("provision_wifi", self._provision_wifi(ref, wifi))

    def suspend(self, ref):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        with self._operation("suspend"):
            return self._result("suspend", self._suspend(ref))

    def resume(self, ref):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        with self._operation("resume"):
            return self._result("resume", self._resume(ref))

    def remove(self, ref):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        with self._operation("remove"):
            return self._result("remove", self._remove(ref))

    def status(self, ref):
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        with self._operation("status"):
            return self._result("status", self._status(ref))

    def save(self):
        """Write the running configuration; sent again on a fresh login after a
        lost answer, since saving twice is harmless and an unsaved OLT loses
        the whole operation at its next reboot."""
        self.check_target()
        with self._operation("save"):
            return self._result("save", engine.read(self, self._save))

    def bulk_apply(self, refs, change):
        """Apply one change to many ONUs in one session; one result per ONU."""
        self.check_target()
        self.check_bulk_change(change)
        change = self.canonical_change(change)
        refs, checked = list(refs), []
        for number, ref in enumerate(refs):
            self.check_ref(ref, prefix=f"onus[{number}].")
            checked.append(self.canonical_ref(ref, prefix=f"onus[{number}]."))
        with self._operation("bulk_apply"):
            # Logged in (by _operation) before the first ONU: a device that
            # cannot be reached fails the whole job (a background job retries
            # it), not each ONU.
            results = self._bulk_apply(checked, change)
            # Each result names the ONU as the caller did (callers match on it).
            results = [replace(item, onu=ref) for item, ref in zip(results, refs, strict=True)]
            return self._result("bulk_apply", results)

    # -- changes to a live service -------------------------------------------
    previewable = (
        "provision",
        "provision_wan",
        "provision_wifi",
        "suspend",
        "resume",
        "remove",
        "change_service",
        "replace_onu",
        "move_onu",
        "reboot",
    )

    def change_service(self, ref, vlan=None, traffic_profile=None, wan=None, wifi=()):
        """Change what a registered ONU carries, as one plan with undo: the
        service VLAN, the speed profile (traffic table), the WAN (PPPoE
        credentials) and WiFi lines.  Only what is given is touched.  The VLAN
        and profile converge (a re-run sends nothing); a PPPoE password or WiFi
        key cannot be read back, so a WAN or SSID given is always sent."""
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        if vlan is None and not traffic_profile and wan is None and not wifi:
            raise InvalidInput("changes", "name at least one of vlan, traffic_profile, wan, wifi")
        if vlan is not None:
            vlan = v.check_vlan(vlan, "vlan")
        if traffic_profile:
            traffic_profile = v.check_name(str(traffic_profile), "traffic_profile")
        wan, checked = self._checked_extras(wan, wifi)
        with self._operation("change_service"), engine.Plan(self):
            changed = [name for name, value in (("vlan", vlan), ("traffic_profile", traffic_profile)) if value]
            if changed:
                self._change_onu(ref, vlan, traffic_profile)
            if wan is not None:
                self._provision_wan(ref, wan)
                changed.append("wan")
            for item in checked:
                self._provision_wifi(ref, item)
                changed.append(f"wifi:{item.index}")
            return self._result("change_service", {"pon": ref.pon, "onu_id": ref.onu_id, "changed": changed})

    def _change_onu(self, ref, vlan, traffic_profile):
        """The service VLAN and/or speed profile of one ONU; by default the bulk
        change of each, one converge after the other (both parts of the plan)."""
        if vlan is not None:
            self._apply_change_resynced(ref, BulkChange("vlan", {"vlan": vlan}))
        if traffic_profile:
            self._apply_change_resynced(ref, BulkChange("traffic_profile", {"profile": traffic_profile}))

    def _apply_change_resynced(self, ref, change):
        """``_apply_change`` as a bulk run makes it: after a lost session or a
        timeout (also in the reads it makes before converging) a fresh login
        and the change again, which converges; bounded by the resync budget."""
        resyncs = 0
        while True:
            try:
                return self._apply_change(ref, change, {})
            except (ConnectError, CommandTimeout) as error:
                if resyncs >= self.resync_budget:
                    error.outcome = error.outcome or "unknown"
                    raise
                resyncs += 1
                self.transcript.note(f"ONU {ref.pon}:{ref.onu_id} interrupted ({error.message}): logging in again")
                self.reconnect()

    def _check_service_at(self, ref, service, field):
        """The new service is complete and valid; its serial is not the one it replaces."""
        self.check_ref(ref)
        self.check_service(service)
        if service.password:
            self.add_secrets(service.password)
        return self.canonical_ref(ref), self.canonical_service(service)

    def _checked_extras(self, wan, wifi):
        if wan is not None:
            self.check_wan(wan)
            wan = self.canonical_wan(wan)
            self.add_secrets(wan.password)
        checked = []
        for item in wifi:
            self.check_wifi(item)
            checked.append(self.canonical_wifi(item))
            self.add_secrets(item.key)
        return wan, checked

    def replace_onu(self, ref, service, wan=None, wifi=()):
        """A new ONU (``service.serial``) on the port, ONU id and service of the
        one registered at ``ref`` (whose serial ``ref.serial`` is): the old
        registration goes, the new one comes with the whole service (``wan``,
        ``wifi`` as activation sends them).  One plan: if the new one fails,
        the old ONU is registered again with its service."""
        self.check_target()
        ref, service = self._check_service_at(ref, service, "serial")
        if service.pon != ref.pon or (service.onu_id is not None and service.onu_id != ref.onu_id):
            raise InvalidInput("pon", "a replacement keeps the port and ONU id: use move_onu to change them")
        if not ref.serial:
            raise InvalidInput("serial", "the serial of the ONU being replaced is required (to put it back)")
        if self.normalize_serial(ref.serial) == service.serial:
            raise InvalidInput("serial", f"{service.serial} is the serial already registered there")
        service = replace(service, onu_id=ref.onu_id)
        wan, wifi = self._checked_extras(wan, wifi)
        old = replace(service, serial=self.normalize_serial(ref.serial))
        with self._operation("replace_onu"), engine.Plan(self) as plan:
            self._remove_for_plan(plan, ref, old, wan, wifi)
            result = self._register_for_plan(self, service, wan, wifi, ref)
            return self._result("replace_onu", result)

    def move_onu(self, ref, service, wan=None, wifi=(), to=None, back=None):
        """The ONU registered at ``ref`` to ``service.pon`` (and ``service.onu_id``,
        or the id the OLT gives), on this OLT or on the OLT driver ``to``: removed
        here, registered there with its whole service, as one plan: if the new
        registration fails, the ONU is registered here again as it was.

        ``back`` is the service as this OLT registers it (its profiles), for
        putting the ONU back; required for a move to another OLT, whose
        profiles (or platform) are not this one's."""
        destination = to or self
        self.check_target()
        destination.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        destination.check_service(service)
        service = destination.canonical_service(service)
        if not ref.serial:
            raise InvalidInput("serial", "the serial of the ONU being moved is required")
        if destination is self and service.pon == ref.pon and service.onu_id in (None, ref.onu_id):
            raise InvalidInput("pon", "the ONU is on that port already")
        if back is None and destination is not self:
            # The destination's service carries the destination's profiles: registered
            # with them here, the ONU would be refused and the customer left offline.
            raise InvalidInput("back", "is required")
        if back is not None:
            self.check_service(back)
            back = self.canonical_service(back)
        wan, wifi = destination._checked_extras(wan, wifi)
        # The undo registers the ONU here again with the same WAN and WiFi, as far as
        # this OLT sets them (elsewhere TR-069 does, as at its activation here).
        back_wan, back_wifi = self._checked_extras(
            wan if self.supports_wan() else None, wifi if self.supports_wifi() else ()
        )
        old = replace(back or service, pon=ref.pon, onu_id=ref.onu_id, serial=self.normalize_serial(ref.serial))
        with ExitStack() as stack:
            stack.enter_context(self._operation("move_onu"))
            if destination is not self:
                stack.enter_context(destination._operation("move_onu"))
            plan = stack.enter_context(engine.Plan(self, destination if destination is not self else None))
            self._remove_for_plan(plan, ref, old, back_wan, back_wifi)
            result = self._register_for_plan(destination, service, wan, wifi, ref)
            return self._result("move_onu", result)

    def _register_for_plan(self, destination, service, wan, wifi, ref):
        """The new registration; in a preview, what it would send once the old
        registration is gone, where the device's present state allows computing
        it (the ONU id or the serial still held by the old one may not)."""
        if self.previewing is None and destination.previewing is None:
            return destination._provision(service, wan, wifi)
        destination.previewing = self.previewing
        try:
            return destination._provision(service, wan, wifi)
        except DriverError as error:
            raise PreviewStop(
                f"then the registration of {service.serial} on {service.pon}, as activation sends it: not computed "
                f"before {ref.pon}:{ref.onu_id} is removed ({error.message})"
            ) from error
        finally:
            if destination is not self:
                destination.previewing = None

    def _remove_for_plan(self, plan, ref, old, wan, wifi):
        """Remove ``ref`` as a part of ``plan`` whose undo is registering ``old``
        again with its whole service (a removal's read-back does not hold the
        WAN and WiFi the ONU loses with it)."""
        with engine.unjournaled(self):
            self._remove(ref)
        plan.compensate(self, lambda: self._provision(old, wan, wifi), f"register {old.serial} again on {old.pon}")

    def supports_reboot(self):
        return True

    def reboot(self, ref):
        """Restart the ONU (it goes offline and registers again); the configuration
        is untouched, so there is nothing to undo.  Refused before anything is
        sent where the platform/firmware has no reboot from the OLT."""
        self.check_target()
        self.check_ref(ref)
        ref = self.canonical_ref(ref)
        if not self.supports_reboot():
            raise UnsupportedOperation(
                f"rebooting an ONU from the OLT is not available on this platform/firmware ({self.platform})"
            )
        with self._operation("reboot"):
            return self._result("reboot", self._reboot(ref))

    def _reboot(self, ref):
        def observe():
            return {"onu": {"run_state": self._status(ref).run_state}}

        def wanted(before, context):
            return {**before, "reboot": True}

        def diff(current, target, context):
            # Only forward: a reboot is never "taken back".
            return [self._reboot_step(ref)] if target.get("reboot") and not current.get("reboot") else []

        done = engine.converge(self, observe, wanted, diff)
        return {"pon": ref.pon, "onu_id": ref.onu_id, "run_state_before": done.before["onu"]["run_state"]}

    def _reboot_step(self, ref):
        """The engine Step that restarts the ONU at ``ref``."""
        raise NotImplementedError

    # -- hooks each platform supplies -------------------------------------
    def _discover(self):
        raise NotImplementedError

    def _provision(self, service, wan, wifi):
        raise NotImplementedError

    def _provision_wan(self, ref, wan):
        raise NotImplementedError

    def _provision_wifi(self, ref, wifi):
        raise NotImplementedError

    def _suspend(self, ref):
        raise NotImplementedError

    def _resume(self, ref):
        raise NotImplementedError

    def _remove(self, ref):
        raise NotImplementedError

    def _status(self, ref):
        raise NotImplementedError

    def _save(self):
        raise NotImplementedError

    def _bulk_apply(self, refs, change):
        """Each ONU in turn on the open session; one ONU's failure does not
        stop the others.  A lost session (or a timeout: the session is then out
        of step) is followed by a new login and the interrupted ONU is applied
        again (``_apply_change`` converges, so a second pass sends only what is
        missing); only a device that cannot be reached again leaves the rest
        not attempted."""
        results, lost, context = {}, "", {}
        for position in self._bulk_order(refs):
            ref = refs[position]
            if lost:
                results[position] = BulkItemResult(ref, False, f"not attempted: {lost}", outcome="unchanged")
                continue
            results[position], lost = self._bulk_item(ref, change, context)
        return [results[position] for position in range(len(refs))]

    def _bulk_item(self, ref, change, context):
        """(BulkItemResult, why the device is out of reach or '') for one ONU."""
        resyncs = 0
        while True:
            try:
                self._apply_change(ref, change, context)
            except (ConnectError, CommandTimeout) as error:
                message = self.masker(error.message)
                if resyncs >= self.resync_budget:
                    return BulkItemResult(ref, False, message, outcome=error.outcome or "unknown"), ""
                resyncs += 1
                self.transcript.note(f"ONU {ref.pon}:{ref.onu_id} interrupted ({message}): logging in again")
                try:
                    self.reconnect()
                except DriverError as gone:
                    lost = self.masker(gone.message)
                    why = f"{message}; the device could not be reached again: {lost}"
                    return BulkItemResult(ref, False, why, outcome=error.outcome or "unknown"), lost
                # What was read once per port before the interruption may be
                # out of date now.
                context.clear()
            except DriverError as error:
                message = self.masker(error.message)
                # A login refused while logging in again ends the run: every
                # further ONU would be one more failed login towards a lockout.
                refused = self.masker(self._login_refused.message) if self._login_refused else ""
                return BulkItemResult(ref, False, message, outcome=error.outcome), refused
            else:
                return BulkItemResult(ref, True), ""

    def _bulk_order(self, refs):
        """Positions of ``refs`` in the order to visit them."""
        return range(len(refs))

    def _apply_change(self, ref, change, context):
        """Apply ``change`` to one ONU; ``context`` is shared by one bulk run
        (for what a platform reads once per port)."""
        raise NotImplementedError

    @classmethod
    def parse_autofind(cls, text):
        """Auto-find output as captured from a terminal -> [DiscoveredOnu]."""
        raise NotImplementedError

    #: ``(regex, method name)``: every command a driver reads, as typed on the
    #: device (``re.fullmatch`` on the command with single spaces), and the
    #: classmethod that turns a terminal capture of it into a list of
    #: DiscoveredOnu / OnuStatus / ServicePort.  ``python -m drivers parse
    #: PLATFORM --command`` and the capture corpus go through this table.
    command_parsers = ()

    @classmethod
    def parse_command(cls, command, text):
        """A terminal capture of ``command`` -> the driver's own result objects."""
        typed = " ".join(re.sub(r"\s*\|\s*no-more\s*$", "", command.strip()).split())
        for pattern, method in cls.command_parsers:
            match = re.fullmatch(pattern, typed)
            if match:
                return getattr(cls, method)(text, command=typed, **match.groupdict())
        raise UnsupportedOperation(f"{cls.platform} does not read '{typed}'")

    # -- reading the network back ---------------------------------------------
    def inventory(self, pons=None):
        """Every ONU registered on the OLT, as OnuStatus (serial, PON address, id,
        description, admin and run state, optical levels, distance and last down
        cause where printed), read with port-wide commands in one session.

        ``pons``: the PON ports to read, as the platform writes them; None: the
        ports the platform finds itself (where it can).
        """
        self.check_target()
        if pons is not None:
            pons = [self.check_pon(pon, f"pons[{number}]") for number, pon in enumerate(pons)]
        with _read_only(), self._operation("inventory"):
            return self._result("inventory", self._inventory(pons))

    def _inventory(self, pons):
        raise NotImplementedError


class RouterDriver(BaseDriver):
    """A router that authenticates and shapes PPPoE subscribers (MikroTik)."""

    protocols = ("api", "api-ssl")
    suspend_methods = ("disable_secret", "address_list", "profile")
    previewable = ("ensure_subscriber", "remove_subscriber", "suspend_subscriber", "resume_subscriber")

    def ensure_subscriber(self, subscriber):
        """Create or update the PPPoE secret and its rate limit."""
        raise NotImplementedError

    def remove_subscriber(self, name):
        raise NotImplementedError

    def suspend_subscriber(self, name, method=None):
        raise NotImplementedError

    def resume_subscriber(self, name, method=None, enable=False):
        """Undo a suspension; ``enable``: also enable a secret disabled by other hands."""
        raise NotImplementedError

    def subscriber_status(self, name):
        raise NotImplementedError

    # -- reading the network back ---------------------------------------------
    def inventory(self):
        """Every PPPoE secret as SubscriberStatus (enabled, suspended by this
        driver's marker, online with the address of its active session): one
        call for the secrets, one for the active sessions."""
        self.check_target()
        with _read_only(), self._operation("inventory"):
            return self._result("inventory", self._inventory())

    def _inventory(self):
        raise NotImplementedError


@contextmanager
def _read_only():
    """A read that fails (session lost, late answer) sent nothing that changes the
    device: its error says so, and never hands back part of what it read."""
    try:
        yield
    except DriverError as error:
        error.outcome = error.outcome or "unchanged"
        raise
