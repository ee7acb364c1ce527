"""Where each value a driver checks comes from, so an error names the field the user can fix.

The drivers name the input they refuse (``InvalidInput.field``: ``wan.dns1``,
``traffic_profile``, ``rate_limit.burst_up``...).  This table says which record
and field the Odoo layer took that value from; ``InputLabels`` turns it into the
field's label as the form shows it, in the user's language, followed by the
record's name when the value is not the contract's own (``Primary DNS (OLT
Centro)``).  It is the one place that knows the mapping: the contract, the OLT,
the router and the sync wizard all raise their input errors through it.
"""

from odoo import _
from odoo.exceptions import UserError

from .silver_provisioning_driver_reasons import DriverReasons

#: driver input name -> (role, field).  Roles are bound to records by the caller:
#: ``contract``, ``wifi`` (a contract's WiFi line), ``olt``, ``router``, ``plan``
#: (the product template carrying the bandwidth) and ``sync`` (the sync wizard).
INPUT_SOURCES = {
    # the ONU's registration (OnuService)
    "serial": ("contract", "serial_number"),
    "pon": ("contract", "olt_port_id"),
    "vlan": ("contract", "vlan_id"),
    "user_vlan": ("contract", "vlan_id"),
    "onu_id": ("contract", "onu_pon_id"),
    "description": ("contract", "name"),
    "line_profile": ("olt", "ont_lineprofile_value"),
    "service_profile": ("olt", "ont_srvprofile_value"),
    "dba_profile": ("olt", "profile_dba_internet"),
    # the plan's own profile when it has one (see ``traffic_profile_source``)
    "traffic_profile": ("olt", "traffic_table_value"),
    "onu_type": ("olt", "onu_type"),
    "tcont": ("olt", "tcont"),
    "gemport": ("olt", "gemport"),
    # the ONU's WAN (WanConfig)
    "wan.mode": ("olt", "connection_wan"),
    "wan.vlan": ("contract", "vlan_id"),
    "wan.wan_mode": ("olt", "wan_mode"),
    "wan.username": ("contract", "pppoe_user"),
    "wan.password": ("contract", "pppoe_password"),
    "wan.ip": ("contract", "ip_public"),
    "wan.dns1": ("olt", "primary_dns"),
    "wan.dns2": ("olt", "secondary_dns"),
    "wan.mtu": ("olt", "mtu"),
    # WiFi (WifiConfig)
    "wifi.index": ("wifi", "ssid_index"),
    "wifi.ssid": ("wifi", "name"),
    "wifi.key": ("wifi", "password"),
    "wifi.auth_mode": ("wifi", "auth_mode"),
    "wifi.encrypt": ("wifi", "encrypt_type"),
    # the PPPoE subscriber on the router (Subscriber, RateLimit)
    "name": ("contract", "pppoe_user"),
    "password": ("contract", "pppoe_password"),
    "remote_address": ("contract", "ip_public"),
    "comment": ("contract", "name"),
    "profile": ("plan", "traffic_profile_index"),
    "rate_limit.up": ("plan", "upload_bandwidth"),
    "rate_limit.down": ("plan", "download_bandwidth"),
    "rate_limit.burst_up": ("plan", "burst_limit_upload"),
    "rate_limit.burst_down": ("plan", "burst_limit_download"),
    "rate_limit.threshold_up": ("plan", "burst_threshold_upload"),
    "rate_limit.threshold_down": ("plan", "burst_threshold_download"),
    "rate_limit.burst_time_up": ("plan", "burst_time_upload"),
    "rate_limit.burst_time_down": ("plan", "burst_time_download"),
    "rate_limit.priority": ("plan", "queue_priority"),
    # a manual sync (BulkChange)
    "kind": ("sync", "kind"),
    "params.primary": ("sync", "primary_dns"),
    "params.secondary": ("sync", "secondary_dns"),
    "params.profile": ("sync", "traffic_profile"),
    "params.vlan": ("sync", "vlan"),
}

#: how to reach an OLT (Target): driver input name -> silver.olt field
OLT_TARGET_SOURCES = {
    "platform": "platform",
    "host": "ip",
    "port": "port_ssh",
    "protocol": "type_connection",
    "username": "username",
    "options.busy_delay": "driver_options",
}

#: how to reach a router (Target): driver input name -> silver.core field
ROUTER_TARGET_SOURCES = {
    "host": "ip",
    "port": "port",
    "protocol": "api_tls",
    "username": "username",
    "options.suspend_method": "suspend_method",
    "options.address_list": "suspend_address_list",
    "options.suspend_profile": "suspend_profile",
    "options.rate_limit_method": "is_pppoe_profile",
}


def field_string(model, name):
    """The label of ``model``'s field ``name`` as its form shows it, in the user's language."""
    return model._fields[name]._description_string(model.env)


class InputLabels:
    """Labels for a driver's input names, from the records the values came from.

    ``roles`` binds each role of INPUT_SOURCES to a record (or an empty
    recordset for a model whose record is not one: the sync wizard, a WiFi
    line); a value that is not the contract's own is followed by the record it
    belongs to, so two fields called "Traffic Profile" (the plan's, the OLT's)
    are told apart.
    """

    def __init__(self, env, roles, own="contract", overrides=None):
        self.env = env
        self.roles = {role: record for role, record in roles.items() if record is not None}
        self.own = own
        self.sources = dict(INPUT_SOURCES, **(overrides or {}))

    def label(self, input_name):
        """The label for ``input_name``, or the name itself when no field stands for it."""
        source = self.sources.get(input_name) or self.sources.get(input_name.split("[")[0])
        if source is None:
            # 'onus[3].pon' (a bulk item), 'wifi[2].ssid'...: the part after the index.
            tail = input_name.rsplit(".", 1)[-1]
            source = self.sources.get(tail)
        if source is None:
            return input_name
        role, name = source
        record = self.roles.get(role)
        if record is None or name not in record._fields:
            return input_name
        label = field_string(record, name)
        if role == "wifi":
            return _("WiFi %s", label)
        if role != self.own and len(record) == 1:
            return f"{label} ({record.sudo().display_name})"
        return label

    def raise_error(self, error, masker=None, prefix=None):
        """A UserError naming the field of ``error`` (an InvalidInput) as the form shows it."""
        reason = DriverReasons(self.env).translate(error.reason)
        reason = masker(reason) if masker else reason
        label = self.label(error.field)
        if prefix:
            raise UserError(
                _("%(contract)s: %(field)s: %(reason)s", contract=prefix, field=label, reason=reason)
            ) from None
        raise UserError(_("%(field)s: %(reason)s", field=label, reason=reason)) from None


def target_labels(record, sources, extra=None):
    """InputLabels for a device's connection fields: 'Management IP (OLT Centro)'."""
    overrides = {key: ("device", name) for key, name in sources.items()}
    overrides.update(extra or {})
    # Named with the device: the operator may be on a contract when its router's address is wrong.
    return InputLabels(record.env, {"device": record}, own=None, overrides=overrides)
