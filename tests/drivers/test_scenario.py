"""A contract's whole life across two devices: the ONU on an OLT and the PPPoE
secret on the MikroTik that authenticates it, each checked on its simulator."""

import pytest

import simulator
from drivers import get_driver
from drivers.models import OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig

OLT_PASSWORD = "0lt-Pass-1"
ROUTER_PASSWORD = "R0uter-Pass-2"
PPPOE_PASSWORD = "Ppp0e-Pass-3"


@pytest.fixture(params=["disable_secret", "address_list", "profile"])
def suspend_method(request):
    return request.param


@pytest.mark.parametrize("platform", ["zte", "zte_c600"])
def test_activate_suspend_resume_on_olt_and_router(platform, suspend_method):
    profiles = [{"name": "plan-50M"}, {"name": "CORTADO"}]
    with (
        simulator.start(platform=platform, protocol="telnet", password=OLT_PASSWORD, onus=1) as olt_sim,
        simulator.start(
            platform="mikrotik", protocol="api", password=ROUTER_PASSWORD, options={"rows": {"/ppp/profile": profiles}}
        ) as router_sim,
    ):
        olt = get_driver(platform)(
            Target(platform, olt_sim.host, olt_sim.port, "telnet", "admin", OLT_PASSWORD, options={"busy_delay": 0.01})
        )
        router = get_driver("mikrotik")(
            Target(
                "mikrotik",
                router_sim.host,
                router_sim.port,
                "api",
                "admin",
                ROUTER_PASSWORD,
                options={"suspend_method": suspend_method},
            )
        )
        waiting = olt_sim.state()["autofind"][0]
        service = OnuService(
            serial=waiting["serial"],
            pon=waiting["pon"],
            vlan=100,
            description="CT-0056",
            onu_type="ZTE-F660",
            dba_profile="100M",
        )
        wan = WanConfig(mode="pppoe", vlan=100, username="ct0056", password=PPPOE_PASSWORD)
        subscriber = Subscriber(
            name="ct0056",
            password=PPPOE_PASSWORD,
            profile="plan-50M",
            remote_address="100.64.0.56",
            comment="CT-0056",
            rate_limit=RateLimit(up=10, down=50),
        )

        onu = olt.provision(service, wan=wan).data
        router.ensure_subscriber(subscriber)
        ref = OnuRef(onu.pon, onu.onu_id)
        assert router_sim.dial_in("ct0056") is not None
        router_before = router_sim.state()

        olt.suspend(ref)
        router.suspend_subscriber("ct0056")
        assert olt.status(ref).data.admin_state == "disabled"
        status = router.subscriber_status("ct0056").data
        assert status.suspended
        # An address-list cut keeps the PPPoE session up (a filter rule walls it
        # off); the other two methods drop it.
        assert status.online == (suspend_method == "address_list")
        assert router_sim.state() != router_before

        olt.resume(ref)
        router.resume_subscriber("ct0056")
        assert olt.status(ref).data.admin_state == "enabled"
        secret = router_sim.rows("/ppp/secret", name="ct0056")[0]
        assert secret["disabled"] == "false" and secret["profile"] == "plan-50M"
        assert secret["comment"] == "CT-0056"
        assert not router_sim.rows("/ip/firewall/address-list", list="CORTADOS")
        if not router.subscriber_status("ct0056").data.online:
            assert router_sim.dial_in("ct0056") is not None, "the subscriber can dial in again"
        assert olt.status(ref).data.run_state == "online"

        for text in (olt.transcript.to_text(), router.transcript.to_text()):
            assert PPPOE_PASSWORD not in text and OLT_PASSWORD not in text and ROUTER_PASSWORD not in text
