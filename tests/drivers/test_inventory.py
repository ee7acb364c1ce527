"""Reading the network back: the same checks on every platform.

Real Netmiko and librouteros clients over real sockets to the simulators;
every result is checked against the simulator's own state, which the tests
change under the OLT (a PON port down, an ONU losing power, optical levels
moving, an ONU disabled) between two reads.
"""

import pytest

import simulator
from drivers import get_driver
from drivers.errors import DriverError, InvalidInput
from drivers.models import OnuRef, Subscriber, Target

PASSWORD = "Inv3ntory-Pw"
ENABLE = "Inv3ntory-En"

#: two PON ports per platform, as each writes them; an empty third one
PONS = {
    "huawei": ["0/1/0", "0/1/1", "0/1/2"],
    "zte": ["1/1/1", "1/1/2", "1/1/3"],
    "zte_c600": ["1/1/1", "1/1/2", "1/1/3"],
    "vsol": ["0/1", "0/2", "0/3"],
}
#: what the platform's port-wide tables print, beyond serial, id, admin and run state
PRINTS = {
    "huawei": {"description", "rx", "tx", "model", "distance", "cause"},
    "zte": {"rx", "model", "cause"},
    "zte_c600": {"rx", "model", "cause"},
    "vsol": {"description", "rx", "tx", "model"},
}
#: a platform's words for a port gone dark and for an ONU that lost its power
CAUSES = {"huawei": ("losi", "dying-gasp"), "zte": ("los", "dyinggasp"), "zte_c600": ("los", "dyinggasp")}
SIM_OPTIONS = {"huawei": {"firmware": "ma5800"}}


@pytest.fixture(params=sorted(PONS))
def olt(request):
    platform = request.param
    with simulator.start(
        platform=platform,
        protocol="ssh",
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        registered=6,
        options=dict(SIM_OPTIONS.get(platform, {}), pons=PONS[platform]),
    ) as sim:
        yield platform, sim


def _driver(platform, sim, **options):
    target = Target(
        platform, sim.host, sim.port, "ssh", "admin", PASSWORD, secret=ENABLE, command_timeout=10.0, options=options
    )
    return get_driver(platform)(target)


def _device(sim):
    """{(pon, onu_id): the simulator's ONU}."""
    return {(pon, onu["id"]): onu for pon, onus in sim.state()["onus"].items() for onu in onus}


def _by_position(statuses):
    return {(status.pon, status.onu_id): status for status in statuses}


def test_every_registered_onu_as_the_device_holds_it(olt):
    platform, sim = olt
    result = _driver(platform, sim).inventory(PONS[platform])
    device, read = _device(sim), _by_position(result.data)
    assert set(read) == set(device)
    for position, onu in device.items():
        status = read[position]
        assert status.serial == onu["serial"]
        assert status.admin_state == "enabled"
        assert status.run_state == "online"
        assert status.rx_power_dbm == pytest.approx(onu["rx_power"], abs=0.01)
        if "description" in PRINTS[platform]:
            assert status.description == onu["description"]
        if "model" in PRINTS[platform]:
            assert status.model
        if "tx" in PRINTS[platform]:
            assert status.tx_power_dbm is not None
        if "distance" in PRINTS[platform]:
            assert status.distance_m
    assert PASSWORD not in str(result.to_dict()) and ENABLE not in str(result.to_dict())


def test_states_and_levels_follow_the_device(olt):
    platform, sim = olt
    driver = _driver(platform, sim)
    first = _by_position(driver.inventory(PONS[platform]).data)
    dark, other = PONS[platform][:2]
    sim.take_pon_down(dark)
    gasping = next(onu for (pon, _id), onu in _device(sim).items() if pon == other)
    sim.set_onu_down(gasping["serial"], "dying_gasp")
    disabled = next(
        onu for (pon, _id), onu in sorted(_device(sim).items()) if pon == other and onu["serial"] != gasping["serial"]
    )
    driver.suspend(OnuRef(other, disabled["id"], disabled["serial"]))
    sim.drift_optics(2.0)
    second = _by_position(driver.inventory(PONS[platform]).data)
    device = _device(sim)
    for (pon, onu_id), onu in device.items():
        status = second[(pon, onu_id)]
        if pon == dark or onu["serial"] == gasping["serial"]:
            assert status.run_state == "offline" and status.rx_power_dbm is None
        if onu_id == disabled["id"] and pon == other:
            assert status.admin_state == "disabled"
        if status.run_state == "online":
            assert status.rx_power_dbm == pytest.approx(onu["rx_power"], abs=0.01)
    moved = [p for p, s in second.items() if s.run_state == "online" and s.rx_power_dbm != first[p].rx_power_dbm]
    assert moved, "the levels wandered on the device: the second read shows it"
    if platform in CAUSES:
        los, gasp = CAUSES[platform]
        assert {second[p].last_down_cause for p in second if p[0] == dark} == {los}
        assert second[(other, gasping["id"])].last_down_cause == gasp


def test_port_wide_reads_do_not_grow_with_the_onus(olt):
    """The commands of a read depend on the ports, not on the ONUs behind them
    (V-SOL's optical levels excepted: no port-wide form is known, see README)."""
    platform, sim = olt
    options = {"inventory_optical": False} if platform == "vsol" else {}
    first = _driver(platform, sim, **options).inventory(PONS[platform])
    assert len(first.data) == 6
    for pon in PONS[platform][:2]:
        for _ in range(4):
            sim.device.add_onu(pon, sim.device.free_onu_id(pon), sim.device.next_facts(), description="CT-X")
    second = _driver(platform, sim, **options).inventory(PONS[platform])
    assert len(second.data) == 14
    assert second.transcript.commands() == first.transcript.commands()
    assert len(first.transcript.commands()) <= 4 * len(PONS[platform]) + 8


def test_vsol_reads_each_online_onu_optical_level():
    with simulator.start(
        platform="vsol",
        protocol="ssh",
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        registered=4,
        options={"pons": PONS["vsol"][:2]},
    ) as sim:
        sim.take_pon_down(PONS["vsol"][0])
        result = _driver("vsol", sim).inventory(PONS["vsol"][:2])
        optical = [c for c in result.transcript.commands() if "optical" in c]
        online = [s for s in result.data if s.run_state == "online"]
        assert len(optical) == len(online) == 2


def test_without_ports_the_platform_finds_them():
    for platform in ("zte", "vsol"):
        with simulator.start(
            platform=platform,
            protocol="ssh",
            username="admin",
            password=PASSWORD,
            secret=ENABLE,
            registered=4,
            options={"pons": PONS[platform][:2]},
        ) as sim:
            read = _driver(platform, sim).inventory().data
            assert set(_by_position(read)) == set(_device(sim))


def test_huawei_needs_its_ports():
    with simulator.start(
        platform="huawei",
        protocol="ssh",
        username="admin",
        password=PASSWORD,
        registered=2,
        options={"pons": PONS["huawei"][:1]},
    ) as sim:
        with pytest.raises(InvalidInput) as caught:
            _driver("huawei", sim).inventory()
        assert caught.value.field == "pons"
        assert len(_driver("huawei", sim, pon_ports="0/1/0").inventory().data) == 2


def test_bad_ports_are_refused_before_connecting(olt):
    platform, sim = olt
    with pytest.raises(InvalidInput) as caught:
        _driver(platform, sim).inventory([PONS[platform][0], "not-a-port"])
    assert caught.value.field == "pons[1]"
    assert sim.logins["attempted"] == 0


def test_router_reads_every_secret_and_session_in_two_calls():
    with simulator.start(platform="mikrotik", protocol="api", username="admin", password=PASSWORD) as sim:
        target = Target("mikrotik", sim.host, sim.port, "api", "admin", PASSWORD)
        driver = get_driver("mikrotik")(target)
        with driver:
            for name in ("alice", "bob", "carol", "dave"):
                driver.ensure_subscriber(Subscriber(name=name, password="Ppp0e-Pw-1"))
            driver.suspend_subscriber("bob")
        sim.router.dial_in("alice")
        sim.router.dial_in("carol")
        result = get_driver("mikrotik")(target).inventory()
        read = {status.name: status for status in result.data}
        assert set(read) == {"alice", "bob", "carol", "dave"}
        assert (read["alice"].online, read["alice"].enabled, read["alice"].suspended) == (True, True, False)
        assert read["alice"].address
        assert (read["bob"].enabled, read["bob"].suspended, read["bob"].online) == (False, True, False)
        assert (read["dave"].online, read["dave"].enabled) == (False, True)
        calls = result.transcript.commands()
        assert calls == [
            "/ppp/secret/print .proplist=name,disabled,comment",
            "/ppp/active/print .proplist=name,address,uptime",
        ]
        assert "Ppp0e-Pw-1" not in str(result.to_dict())


@pytest.mark.parametrize("firmware", ["v1.4.8r", "v2.1.6r"])
def test_vsol_long_onu_indexes_keep_their_columns(firmware):
    """``GPON0/1:100`` and ``GPON0/10:100`` are as wide as the index column or wider:
    the next cell still starts after a space, as on the wide-header capture."""
    pons = ["0/1", "0/10"]
    with simulator.start(
        platform="vsol",
        protocol="ssh",
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        registered=204,
        options={"pons": pons, "firmware": firmware},
    ) as sim:
        read = _driver("vsol", sim, inventory_optical=False).inventory(pons).data
        device = _device(sim)
        assert max(onu_id for _pon, onu_id in device) >= 100
        assert set(_by_position(read)) == set(device)
        for status in read:
            assert status.serial == device[(status.pon, status.onu_id)]["serial"]


def test_router_enables_a_secret_disabled_by_hand_only_when_asked():
    """A plain resume restores only what a suspension changed; converging an active
    contract (``enable=True``) also enables a secret someone disabled on the router."""
    with simulator.start(platform="mikrotik", protocol="api", username="admin", password=PASSWORD) as sim:
        sim.add("/ppp/secret", name="erin", password="Ppp0e-Pw-2", service="pppoe", disabled="true")
        target = Target("mikrotik", sim.host, sim.port, "api", "admin", PASSWORD)
        driver = get_driver("mikrotik")(target)
        with driver:
            assert driver.resume_subscriber("erin").data["changed"] is False
            assert sim.rows("/ppp/secret", name="erin")[0]["disabled"] == "true"
            assert driver.resume_subscriber("erin", enable=True).data["changed"] is True
            assert sim.rows("/ppp/secret", name="erin")[0]["disabled"] == "false"
            assert driver.resume_subscriber("erin", enable=True).data["changed"] is False
        read = {status.name: status for status in get_driver("mikrotik")(target).inventory().data}
        assert (read["erin"].enabled, read["erin"].suspended) == (True, False)
        assert "Ppp0e-Pw-2" not in str(read)


@pytest.mark.parametrize("fault", ["drop_after_pattern", "late_pattern", "drop_pattern"])
def test_a_session_lost_mid_inventory_never_returns_part_of_the_table(olt, fault):
    """A dropped session or a late answer on the second port: either the whole table
    (read again on a new session) or an error, never the first port alone as if it
    were all (the store would take the rest for ONUs gone)."""
    platform, sim = olt
    second = {"huawei": r"^display ont info 0 1 1 all", "vsol": r"^interface gpon 0/2"}.get(platform, r"1/1/2")
    setattr(sim.faults, fault, second)
    if fault == "late_pattern":
        sim.faults.late_delay = 3.0
    target = Target(platform, sim.host, sim.port, "ssh", "admin", PASSWORD, secret=ENABLE, command_timeout=1.5)
    driver = get_driver(platform)(target)
    try:
        result = driver.inventory(PONS[platform])
    except DriverError as error:
        assert error.outcome == "unchanged", error
        return
    assert set(_by_position(result.data)) == set(_device(sim))
