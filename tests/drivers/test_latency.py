"""Slow devices: every OLT platform, over SSH and Telnet, provisions (base,
PPPoE WAN, WiFi), suspends, resumes and removes an ONU when each command
takes 0, 0.1, 0.5 or 2 seconds (give or take a quarter, from a seeded RNG),
as OLTs under load do.  The MikroTik router the same per API sentence.

The checks are the simulator's state after each operation, and that each
answer belongs to its command: at 0.1 s a stale prompt from session
preparation made every ZTE answer land one command late.

At 2 s per command one platform/protocol takes about two minutes, most of
it sleeping: run with ``-n 4`` (pytest-xdist).
"""

import pytest

import simulator
from drivers import get_driver
from drivers.models import OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig, WifiConfig

PASSWORD = "L4tency-Pw-1"
ENABLE = "L4tency-En-2"
PPPOE_PASSWORD = "L4tency-Ppp0e-3"
WIFI_KEY = "L4tency-W1fi-K3y"
LATENCIES = (0.0, 0.1, 0.5, 2.0)
ENABLED = {"active", "enable", "enabled", "activate", "activated", "up"}

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
    "zte": {"sim_options": {}, "target_options": {}, "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"}},
    "zte_c600": {"sim_options": {}, "target_options": {}, "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"}},
}
MATRIX = [
    (platform, protocol, latency) for platform in CASES for protocol in ("ssh", "telnet") for latency in LATENCIES
]


def _timeouts(latency):
    """A command timeout well above the slowest answer (latency + jitter)."""
    return {"command_timeout": 2.0 + 3 * latency, "connect_timeout": 10.0 + 8 * latency}


def _onu(sim, serial):
    for onus in sim.state()["onus"].values():
        for onu in onus:
            if onu["serial"] == serial:
                return onu
    return None


@pytest.mark.parametrize("platform, protocol, latency", MATRIX, ids=[f"{p}-{q}-{lat:g}s" for p, q, lat in MATRIX])
def test_olt_lifecycle_at_latency(platform, protocol, latency):
    case = CASES[platform]
    with simulator.start(
        platform=platform,
        protocol=protocol,
        password=PASSWORD,
        secret=ENABLE,
        onus=1,
        registered=1,
        options=dict(case["sim_options"]),
    ) as sim:
        sim.faults.latency, sim.faults.jitter, sim.faults.jitter_seed = latency, latency / 4, 11
        waiting = sim.state()["autofind"][0]
        target = Target(
            platform,
            sim.host,
            sim.port,
            protocol,
            "admin",
            PASSWORD,
            secret=ENABLE,
            options={**case["target_options"], "busy_delay": 0.01, "reconnect_delay": 0.05},
            **_timeouts(latency),
        )
        driver = get_driver(platform)(target)
        service = OnuService(
            serial=waiting["serial"], pon=waiting["pon"], vlan=100, description="CT-0042", **case["service"]
        )
        wan = WanConfig(mode="pppoe", vlan=100, username="client0042", password=PPPOE_PASSWORD)
        wifi = WifiConfig(index=1, ssid="Cliente-0042", key=WIFI_KEY)
        with driver:
            provisioned = driver.provision(service, wan=wan, wifi=[wifi]).data
            ref = OnuRef(provisioned.pon, provisioned.onu_id)
            status = driver.status(ref).data
        onu = _onu(sim, waiting["serial"])
        assert onu is not None and onu["id"] == provisioned.onu_id
        assert status.serial == waiting["serial"] and status.onu_id == provisioned.onu_id
        assert status.admin_state == "enabled"

        get_driver(platform)(target).suspend(ref)
        assert str(_onu(sim, waiting["serial"])["admin_state"]).lower() not in ENABLED
        get_driver(platform)(target).resume(ref)
        assert str(_onu(sim, waiting["serial"])["admin_state"]).lower() in ENABLED
        get_driver(platform)(target).remove(ref)
        assert _onu(sim, waiting["serial"]) is None
        assert not [
            port
            for port in sim.state()["service_ports"]
            if str(port.get("onu_id")) == str(ref.onu_id) and str(port.get("pon")) == str(ref.pon)
        ]
        for text in (driver.transcript.to_text(),):
            assert PPPOE_PASSWORD not in text and WIFI_KEY not in text and PASSWORD not in text


@pytest.mark.parametrize("protocol", ["api", "api-ssl"])
@pytest.mark.parametrize("latency", LATENCIES, ids=[f"{lat:g}s" for lat in LATENCIES])
def test_router_lifecycle_at_latency(protocol, latency):
    with simulator.start(
        platform="mikrotik",
        protocol=protocol,
        password=PASSWORD,
        options={"rows": {"/ppp/profile": [{"name": "plan-10M"}, {"name": "CORTADO"}]}},
    ) as sim:
        sim.faults.latency, sim.faults.jitter, sim.faults.jitter_seed = latency, latency / 4, 5
        target = Target("mikrotik", sim.host, sim.port, protocol, "admin", PASSWORD, **_timeouts(latency))
        subscriber = Subscriber(
            name="u42",
            password=PPPOE_PASSWORD,
            profile="plan-10M",
            remote_address="10.20.0.42",
            comment="CT-0042",
            rate_limit=RateLimit(up=10, down=20),
        )
        router = get_driver("mikrotik")
        assert router(target).ensure_subscriber(subscriber).data["created"] is True
        sim.dial_in("u42")
        router(target).suspend_subscriber("u42", "disable_secret")
        assert sim.rows("/ppp/secret", name="u42")[0]["disabled"] == "true"
        assert sim.rows("/ppp/active", name="u42") == []
        router(target).resume_subscriber("u42")
        secret = sim.rows("/ppp/secret", name="u42")[0]
        assert (secret["disabled"], secret["comment"]) == ("false", "CT-0042")
        assert router(target).remove_subscriber("u42").data["removed"] is True
        assert sim.rows("/ppp/secret") == [] and sim.rows("/queue/simple") == []
