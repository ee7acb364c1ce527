"""The contract every OLT platform must pass (NAPALM's shared test-suite idea).

One test body, run for every platform and both protocols with the real
Netmiko client over real sockets to the simulator, and checked against the
simulator's own state, never against what the driver says it did.
"""

import json
import os
import re

import pytest

import simulator
from drivers import get_driver
from drivers.errors import (
    AuthenticationError,
    CommandRejected,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
    UnsupportedOperation,
)
from drivers.models import BulkChange, OnuRef, OnuService, Target, WanConfig, WifiConfig
from drivers.transcript import MASK

PASSWORD = "Dev1ce-Pw-77"
ENABLE = "En4ble-Pw-88"
PPPOE_PASSWORD = "Ppp0e-S3cret"
WIFI_KEY = "W1fi-K3y-Secret"

#: what each platform needs beyond the common inputs (profiles that exist on
#: the simulated device, the model options that enable WAN/WiFi over OMCI)
CASES = {
    "huawei": {
        "sim_options": {"firmware": "ma5800"},
        "target_options": {"model": "MA5800", "firmware": "V100R019", "olt_wifi": True},
        "service": {"line_profile": "10", "service_profile": "10", "traffic_profile": "10"},
    },
    "vsol": {
        "sim_options": {},
        "target_options": {},
        "service": {"line_profile": "default", "dba_profile": "default1"},
    },
    "zte": {
        "sim_options": {},
        "target_options": {},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
    },
    "zte_c600": {
        "sim_options": {},
        "target_options": {},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
    },
}


def _profiles():
    """Every firmware profile of the simulator, per platform; the first is CASES' default."""
    from simulator import huawei, vsol, zte

    names = {
        "huawei": ["ma5800_v100r019", *(name for name in huawei.FIRMWARES if name != "ma5800_v100r019")],
        "vsol": list(vsol.FIRMWARE),
        "zte": list(zte.FIRMWARE["zte"]),
        "zte_c600": list(zte.FIRMWARE["zte_c600"]),
    }
    capable = {
        name: {"wan": fw["wan_config"] or fw["internet_config"], "wifi": fw["wifi"]}
        for name, fw in huawei.FIRMWARES.items()
    }
    return names, capable


PROFILES, HUAWEI_CAN = _profiles()

#: (platform, firmware profile, protocol): the default profile over SSH and
#: Telnet, every other one over SSH (the profiles change layouts, not the
#: transport), over both with SILVER_ALL_PROFILES=1
MATRIX = [
    (platform, profile, protocol)
    for platform in CASES
    for number, profile in enumerate(PROFILES[platform])
    for protocol in (("ssh", "telnet") if number == 0 or os.environ.get("SILVER_ALL_PROFILES") else ("ssh",))
]
ENABLED = {"active", "enable", "enabled", "activate", "activated", "up"}


def _driver_available(platform):
    try:
        get_driver(platform)
    except ImportError:
        return False
    return True


def _case_id(case):
    platform, profile, protocol = case
    if profile == PROFILES[platform][0]:
        return f"{platform}-{protocol}"
    return f"{platform}-{profile}-{protocol}"


def _profile_case(platform, profile):
    """CASES[platform] started as ``profile``.  Off the default, a Huawei target
    declares no model/firmware: the driver learns them from ``display version``."""
    case = dict(CASES[platform])
    if profile == PROFILES[platform][0]:
        return case
    case["sim_options"] = dict(case["sim_options"], firmware=profile)
    if platform == "huawei":
        case["target_options"] = {"olt_wifi": True}
    return case


@pytest.fixture(params=MATRIX, ids=_case_id)
def olt(request):
    platform, profile, protocol = request.param
    if not _driver_available(platform):
        pytest.fail(f"driver for {platform} is missing")
    case = _profile_case(platform, profile)
    case["profile"] = profile
    with simulator.start(
        platform=platform,
        protocol=protocol,
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=2,
        options=dict(case["sim_options"]),
    ) as sim:
        yield Olt(platform, protocol, sim, case)


class Olt:
    """A simulated OLT and the inputs that fit it."""

    def __init__(self, platform, protocol, sim, case):
        self.platform, self.protocol, self.sim, self.case = platform, protocol, sim, case

    def target(self, **overrides):
        values = {
            "platform": self.platform,
            "host": self.sim.host,
            "port": self.sim.port,
            "protocol": self.protocol,
            "username": "admin",
            "password": PASSWORD,
            "secret": ENABLE,
            "command_timeout": 10.0,
            "options": dict(self.case["target_options"], busy_delay=0.01),
        }
        values.update(overrides)
        return Target(**values)

    def driver(self, **overrides):
        return get_driver(self.platform)(self.target(**overrides))

    def waiting(self):
        return self.sim.state()["autofind"]

    def service(self, waiting, **overrides):
        values = {"serial": waiting["serial"], "pon": waiting["pon"], "vlan": 100, "description": "CT-0001"}
        values.update(self.case["service"])
        values.update(overrides)
        return OnuService(**values)

    def can(self, what):
        """Whether this firmware takes ``what`` ("wan", "wifi") over OMCI."""
        if self.platform != "huawei":
            return True
        return HUAWEI_CAN[self.case["profile"]][what]

    def wan(self):
        return _wan() if self.can("wan") else None

    def wifi(self):
        return [_wifi()] if self.can("wifi") else []

    def onu(self, serial):
        for onus in self.sim.state()["onus"].values():
            for onu in onus:
                if onu["serial"] == serial:
                    return onu
        return None


def _wan():
    return WanConfig(mode="pppoe", vlan=100, username="client0001", password=PPPOE_PASSWORD)


def _wifi():
    return WifiConfig(index=1, ssid="Cliente-0001", key=WIFI_KEY)


def _comparable(state):
    """Device state without the counters a read-only session may bump."""
    state = json.loads(json.dumps(state))
    state.pop("saved", None)
    return state


def _no_secrets(text):
    for secret in (PASSWORD, ENABLE, PPPOE_PASSWORD, WIFI_KEY):
        assert secret not in text


def test_discover_lists_every_waiting_onu(olt):
    result = olt.driver().discover()
    found = {(onu.pon, onu.serial) for onu in result.data}
    expected = {(onu["pon"], onu["serial"]) for onu in olt.waiting()}
    assert found == expected
    assert all(re.fullmatch(r"[A-Z0-9]{4}[0-9A-F]{8}", onu.serial) for onu in result.data)
    assert olt.sim.logins["succeeded"] == 1
    assert not [line for line in olt.sim.commands if ENABLE in line or PASSWORD in line], (
        "a password was typed as a command (it would sit in the OLT's command history)"
    )


def _refuses_what_the_firmware_lacks(olt, waiting):
    """Asked for a WAN or WiFi this firmware cannot take over OMCI: the driver's
    UnsupportedOperation, with the device left as it was."""
    before = _comparable(olt.sim.state())
    for what, extra in (("wan", {"wan": _wan()}), ("wifi", {"wifi": [_wifi()]})):
        if olt.can(what):
            continue
        with pytest.raises(UnsupportedOperation) as raised:
            olt.driver().provision(olt.service(waiting), **extra)
        assert "TR-069" in str(raised.value), raised.value
        assert _comparable(olt.sim.state()) == before, f"refusing {what} changed the device"
        _no_secrets(str(raised.value))


def test_full_lifecycle(olt):
    waiting = olt.waiting()[0]
    _refuses_what_the_firmware_lacks(olt, waiting)
    logins = olt.sim.logins["succeeded"]
    driver = olt.driver()
    with driver:
        provisioned = driver.provision(olt.service(waiting), wan=olt.wan(), wifi=olt.wifi()).data
        status = driver.status(OnuRef(provisioned.pon, provisioned.onu_id)).data
    assert olt.sim.logins["succeeded"] == logins + 1, "one login for the whole block"
    onu = olt.onu(waiting["serial"])
    assert onu is not None and onu["id"] == provisioned.onu_id
    assert provisioned.pon == waiting["pon"]
    assert waiting["serial"] not in {item["serial"] for item in olt.waiting()}
    assert status.run_state == "online" and status.admin_state == "enabled"
    assert isinstance(status.rx_power_dbm, float)
    _no_secrets(driver.transcript.to_text())

    ref = OnuRef(provisioned.pon, provisioned.onu_id)
    olt.driver().suspend(ref)
    assert str(olt.onu(waiting["serial"])["admin_state"]).lower() not in ENABLED
    assert olt.driver().status(ref).data.admin_state == "disabled"
    olt.driver().suspend(ref)  # idempotent
    olt.driver().resume(ref)
    assert str(olt.onu(waiting["serial"])["admin_state"]).lower() in ENABLED
    olt.driver().resume(ref)  # idempotent

    olt.driver().remove(ref)
    assert olt.onu(waiting["serial"]) is None
    assert not [
        port
        for port in olt.sim.state()["service_ports"]
        if port.get("onu_id") == ref.onu_id and port.get("pon") == ref.pon
    ]


def test_rerun_of_completed_provisioning_changes_nothing(olt):
    waiting = olt.waiting()[0]
    service = olt.service(waiting)
    first = olt.driver().provision(service, wan=olt.wan(), wifi=olt.wifi()).data
    before = _comparable(olt.sim.state())
    second = olt.driver().provision(service, wan=olt.wan(), wifi=olt.wifi()).data
    assert second.onu_id == first.onu_id
    assert _comparable(olt.sim.state()) == before


def test_failure_at_every_step_leaves_the_device_as_it_was(olt):
    waiting = olt.waiting()[0]
    service = olt.service(waiting)
    probe = olt.driver()
    with probe:
        probe.provision(service, wan=olt.wan(), wifi=olt.wifi())
        # Taken before logging out: leaving the CLI modes at logout is no step.
        sent = probe.transcript.commands()
    probe.remove(OnuRef(service.pon, olt.onu(waiting["serial"])["id"]))
    baseline = _comparable(olt.sim.state())
    assert olt.onu(waiting["serial"]) is None
    for command in sent:
        # The transcript is masked: a masked secret matches any value.
        olt.sim.faults.reject_pattern = "^" + re.escape(command).replace(re.escape(MASK), ".*") + "$"
        with pytest.raises(DriverError) as raised:
            olt.driver().provision(service, wan=olt.wan(), wifi=olt.wifi())
        olt.sim.faults.reject_pattern = None
        # CommandRejected, not RollbackFailed: the undo steps all went through.
        assert isinstance(raised.value, CommandRejected), f"{command!r}: {raised.value}"
        assert _comparable(olt.sim.state()) == baseline, f"device changed after failing at {command!r}"
        _no_secrets(str(raised.value))
        _no_secrets(raised.value.transcript.to_text())


def test_bad_input_is_refused_before_any_login(olt):
    waiting = olt.waiting()[0]
    attempts = olt.sim.logins["attempted"]
    bad = [
        (olt.service(waiting, serial="HWTC0B08"), "serial"),
        (olt.service(waiting, vlan=4095), "vlan"),
        (olt.service(waiting, pon="0/1/2/3/4"), "pon"),
        (olt.service(waiting, description="CT 1\nquit"), "description"),
    ]
    for service, field in bad:
        with pytest.raises(InvalidInput) as raised:
            olt.driver().provision(service)
        assert raised.value.field == field
    with pytest.raises(InvalidInput) as raised:
        olt.driver().provision(olt.service(waiting), wan=WanConfig("pppoe", 100, "user name", PPPOE_PASSWORD))
    assert raised.value.field == "wan.username"
    with pytest.raises(InvalidInput) as raised:
        olt.driver().provision(olt.service(waiting), wifi=[WifiConfig(1, "ok", "short")])
    assert raised.value.field == "wifi.key"
    with pytest.raises(InvalidInput) as raised:
        olt.driver().bulk_apply([OnuRef(waiting["pon"], 1)], BulkChange("vlan", {"vlan": 0}))
    assert raised.value.field == "params.vlan"
    assert olt.sim.logins["attempted"] == attempts


def test_wrong_password_is_an_authentication_error(olt):
    with pytest.raises(AuthenticationError) as raised:
        olt.driver(password="Wr0ng-Passw0rd").discover()
    assert "Wr0ng-Passw0rd" not in str(raised.value)


def test_host_key_is_checked_against_the_pin(olt):
    if olt.protocol != "ssh":
        pytest.skip("host keys exist only on SSH")
    attempts = olt.sim.logins["attempted"]
    with pytest.raises(HostKeyMismatch) as raised:
        olt.driver(host_key="SHA256:" + "A" * 43).discover()
    assert raised.value.seen == olt.sim.host_key_fingerprint
    assert olt.sim.logins["attempted"] == attempts, "no password may be sent to an unverified host"
    pinned = olt.driver(host_key=olt.sim.host_key_fingerprint)
    pinned.discover()
    unpinned = olt.driver()
    unpinned.discover()
    assert unpinned.seen_host_key == olt.sim.host_key_fingerprint


def test_bulk_apply_uses_one_login_and_reports_each_onu(olt):
    driver = olt.driver()
    refs = []
    with driver:
        for number, waiting in enumerate(olt.waiting()):
            service = olt.service(waiting, description=f"CT-000{number}")
            refs.append(OnuRef(waiting["pon"], driver.provision(service).data.onu_id))
    logins = olt.sim.logins["succeeded"]
    missing = OnuRef(refs[0].pon, 77)
    result = olt.driver().bulk_apply(refs + [missing], BulkChange("vlan", {"vlan": 200}))
    assert olt.sim.logins["succeeded"] == logins + 1
    outcome = {(item.onu.pon, item.onu.onu_id): item.ok for item in result.data}
    assert outcome == {**{(ref.pon, ref.onu_id): True for ref in refs}, (missing.pon, missing.onu_id): False}


def _values(node):
    """Every scalar in a JSON-like tree, as strings (exact matches, not substrings)."""
    if isinstance(node, dict):
        return {value for item in node.values() for value in _values(item)}
    if isinstance(node, list):
        return {value for item in node for value in _values(item)}
    return {str(node).lower()}


@pytest.mark.parametrize("mode", ["dhcp", "static"])
def test_other_wan_modes_reach_the_device(olt, mode):
    waiting = olt.waiting()[0]
    wan = WanConfig(mode=mode, vlan=100)
    if mode == "static":
        wan = WanConfig(
            mode="static",
            vlan=100,
            ip="192.0.2.10",
            netmask="255.255.255.0",
            gateway="192.0.2.1",
            dns1="198.51.100.1",
            dns2="198.51.100.2",
        )
    if mode == "static" and olt.platform.startswith("zte"):
        # ZXAN takes a static WAN's gateway and DNS from an OLT-wide profile:
        # refused rather than half applied.
        attempts = olt.sim.logins["attempted"]
        with pytest.raises(UnsupportedOperation):
            olt.driver().provision(olt.service(waiting), wan=wan)
        assert olt.sim.logins["attempted"] == attempts
        return
    if not olt.can("wan"):
        with pytest.raises(UnsupportedOperation):
            olt.driver().provision(olt.service(waiting), wan=wan)
        assert olt.onu(waiting["serial"]) is None
        return
    olt.driver().provision(olt.service(waiting), wan=wan)
    values = _values(olt.onu(waiting["serial"]))
    assert mode in values
    if mode == "static":
        assert {"192.0.2.10", "255.255.255.0", "192.0.2.1", "198.51.100.1"} <= values


@pytest.mark.parametrize(
    "profile", [name for name, can in HUAWEI_CAN.items() if not all(can.values())], ids=lambda name: f"huawei-{name}"
)
def test_declared_huawei_firmware_refuses_before_login(profile):
    """A target that says which box it is (the OLT form's model and firmware) is
    refused what that firmware lacks before any password is sent."""
    from simulator.huawei import FIRMWARES

    firmware = FIRMWARES[profile]
    with simulator.start(
        platform="huawei", protocol="ssh", username="admin", password=PASSWORD, onus=1, options={"firmware": profile}
    ) as sim:
        olt = Olt("huawei", "ssh", sim, _profile_case("huawei", profile) | {"profile": profile})
        olt.case["target_options"] = {"model": firmware["product"], "firmware": firmware["version"], "olt_wifi": True}
        waiting = olt.waiting()[0]
        for what, extra in (("wan", {"wan": _wan()}), ("wifi", {"wifi": [_wifi()]})):
            if olt.can(what):
                olt.driver().provision(olt.service(waiting), **extra)
                continue
            attempts = sim.logins["attempted"]
            with pytest.raises(UnsupportedOperation):
                olt.driver().provision(olt.service(waiting), **extra)
            assert sim.logins["attempted"] == attempts, f"{what}: a login before the refusal"
