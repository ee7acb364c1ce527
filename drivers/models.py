"""Typed inputs and results shared by every driver.

Plain dataclasses: the Odoo layer builds them from records, the command line
from JSON, the tests by hand.  Secrets are excluded from ``repr`` so that a
stray log line never prints them.
"""

from dataclasses import asdict, dataclass, field
from typing import Optional


@dataclass(frozen=True)
class Target:
    """How to reach one device."""

    platform: str
    host: str
    port: int
    protocol: str  # 'ssh' | 'telnet' for OLTs, 'api' | 'api-ssl' for MikroTik
    username: str
    password: str = field(default="", repr=False)
    #: enable password, where the platform asks for one
    secret: str = field(default="", repr=False)
    #: pinned SSH host key fingerprint, OpenSSH form 'SHA256:...'; empty: not pinned
    host_key: str = ""
    connect_timeout: float = 10.0
    command_timeout: float = 30.0
    #: platform-specific knobs (Huawei frame, ZTE suspend form, firmware flags...)
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OnuRef:
    """One registered ONU: its PON address as the platform writes it and its id."""

    pon: str
    onu_id: int
    serial: str = ""


@dataclass(frozen=True)
class OnuService:
    """Everything 'provision base' needs: registration and one data service."""

    serial: str
    pon: str
    vlan: int
    #: None: the OLT chooses, or the lowest free id read from the device
    onu_id: Optional[int] = None
    user_vlan: Optional[int] = None
    description: str = ""
    #: Huawei ont-lineprofile / ZTE tcont profile / V-SOL onu profile, by id or name
    line_profile: str = ""
    #: Huawei ont-srvprofile
    service_profile: str = ""
    tcont: int = 1
    gemport: int = 1
    dba_profile: str = ""
    #: traffic table / speed profile index or name, platform-specific
    traffic_profile: str = ""
    #: ZTE ONU type (e.g. 'ZTE-F660')
    onu_type: str = ""
    #: ONU password / LOID registration instead of serial, where used
    password: str = field(default="", repr=False)


@dataclass(frozen=True)
class WanConfig:
    """The ONU's internet WAN, configured over OMCI."""

    mode: str  # 'pppoe' | 'dhcp' | 'static'
    vlan: int
    username: str = ""
    password: str = field(default="", repr=False)
    ip: str = ""
    netmask: str = ""
    gateway: str = ""
    dns1: str = ""
    dns2: str = ""
    mtu: int = 0
    #: router (NAT on the ONU) or bridge
    wan_mode: str = "router"


@dataclass(frozen=True)
class WifiConfig:
    index: int  # SSID index, 1-based
    ssid: str
    key: str = field(default="", repr=False)
    hidden: bool = False
    auth_mode: str = "wpa2psk"  # 'wpa2psk' | 'wpapsk/wpa2psk' | 'open'
    encrypt: str = "aes"  # 'aes' | 'tkipaes'


@dataclass(frozen=True)
class BulkChange:
    """One change applied to many ONUs of one OLT.

    kind 'dns': params primary, secondary
    kind 'traffic_profile': params profile (index or name)
    kind 'vlan': params vlan
    """

    kind: str
    params: dict = field(default_factory=dict)


@dataclass
class DiscoveredOnu:
    serial: str  # 12-character vendor form, upper case: HWTC0B086EA9
    pon: str  # as the platform writes it: '0/1/3' (Huawei), '0/1' (V-SOL), '1/1/1' (ZTE)
    olt_index: str = ""  # the device's own name for the slot: 'GPON0/1:1', 'gpon-onu_1/1/1:2'
    model: str = ""
    vendor_id: str = ""
    version: str = ""
    software_version: str = ""
    password: str = field(default="", repr=False)
    loid: str = ""
    mac: str = ""

    def to_dict(self):
        return asdict(self)


@dataclass
class ProvisionResult:
    pon: str
    onu_id: int
    serial: str
    service_ports: list = field(default_factory=list)
    #: the ONU was registered (under this serial) before this call: an undo
    #: above the driver must not remove it
    onu_existed: bool = False
    #: names of the objects this call created on the device ("onu",
    #: "service_port:12", "wan", "wifi:1"...), and of those it found there
    created: list = field(default_factory=list)
    preexisting: list = field(default_factory=list)

    def to_dict(self):
        return asdict(self)


@dataclass
class OnuStatus:
    pon: str
    onu_id: Optional[int]
    serial: str = ""
    admin_state: str = ""  # 'enabled' | 'disabled' | '' (not printed)
    run_state: str = ""  # 'online' | 'offline' | '' (not printed)
    #: power the ONU receives from the OLT
    rx_power_dbm: Optional[float] = None
    #: power the ONU sends
    tx_power_dbm: Optional[float] = None
    #: power the OLT receives from this ONU, where the device prints it
    olt_rx_power_dbm: Optional[float] = None
    description: str = ""
    model: str = ""
    distance_m: Optional[int] = None
    #: 'los', 'dying_gasp', 'power_off'... as the device words it, lower case
    last_down_cause: str = ""

    def to_dict(self):
        return asdict(self)


@dataclass
class ServicePort:
    """One row of an OLT's service-port table."""

    index: Optional[int]
    vlan: Optional[int]
    pon: str
    onu_id: Optional[int]
    gemport: Optional[int] = None
    user_vlan: Optional[int] = None

    def to_dict(self):
        return asdict(self)


@dataclass
class OnuWan:
    """One WAN connection of an ONU, as the OLT reports it (Huawei ``display ont wan-info``)."""

    pon: str
    onu_id: Optional[int]
    index: Optional[int]
    #: 'pppoe' | 'dhcp' | 'static' | '' (not printed or invalid)
    mode: str = ""
    vlan: Optional[int] = None
    #: the service the WAN is bound to, lower case: 'internet', 'tr069', 'voip', 'other'...
    service: str = ""
    #: 'routed' | 'bridged' | ''
    connection: str = ""
    status: str = ""
    ip: str = ""

    def to_dict(self):
        return asdict(self)


@dataclass
class OnuWifi:
    """One SSID of an ONU, as the OLT reports it (Huawei ``display ont wlan-info``)."""

    pon: str
    onu_id: Optional[int]
    index: Optional[int]
    ssid: str = ""
    admin_state: str = ""  # 'enabled' | 'disabled' | ''

    def to_dict(self):
        return asdict(self)


@dataclass
class BulkItemResult:
    onu: OnuRef
    ok: bool
    error: str = ""
    #: for a failed ONU, what the device holds for it: "unchanged", "undone",
    #: "left" (as DriverError.outcome) or "unknown" (the session was lost and
    #: the device could not be read back)
    outcome: str = ""

    def to_dict(self):
        result = {"pon": self.onu.pon, "onu_id": self.onu.onu_id, "ok": self.ok, "error": self.error}
        if self.outcome:
            result["outcome"] = self.outcome
        return result


@dataclass
class OperationResult:
    """What every driver operation returns: the payload and the masked transcript."""

    operation: str
    data: object = None
    transcript: object = None  # drivers.transcript.Transcript

    def to_dict(self):
        data = self.data
        if isinstance(data, list):
            data = [item.to_dict() if hasattr(item, "to_dict") else item for item in data]
        elif hasattr(data, "to_dict"):
            data = data.to_dict()
        return {
            "operation": self.operation,
            "ok": True,
            "data": data,
            "transcript": self.transcript.to_list() if self.transcript else [],
        }


@dataclass(frozen=True)
class RateLimit:
    """A plan's bandwidth, in Mbit/s; written in RouterOS's own rate-limit format."""

    up: float
    down: float
    burst_up: float = 0
    burst_down: float = 0
    threshold_up: float = 0
    threshold_down: float = 0
    burst_time_up: int = 0  # seconds
    burst_time_down: int = 0
    priority: int = 8


@dataclass(frozen=True)
class Subscriber:
    """A PPPoE subscriber on a router (MikroTik: a /ppp/secret)."""

    name: str
    password: str = field(default="", repr=False)
    profile: str = "default"
    remote_address: str = ""
    comment: str = ""  # carries the contract reference
    rate_limit: Optional[RateLimit] = None


@dataclass
class SubscriberStatus:
    name: str
    exists: bool = False
    enabled: bool = False
    suspended: bool = False
    online: bool = False
    address: str = ""
    uptime: str = ""

    def to_dict(self):
        return asdict(self)
