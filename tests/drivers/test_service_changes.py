"""Everyday changes to a live service, on every OLT platform and the router,
against the simulator over real SSH / the RouterOS API:

- change_service (VLAN, speed profile, WAN credentials, WiFi) converges: the
  device holds the new values and a preview of the same change afterwards is
  empty (a re-run sends nothing);
- a part failing late in the plan takes back the parts before it;
- replace_onu and move_onu (same OLT and between two OLTs), undone when the new
  registration fails;
- reboot: the ONU goes offline, then online again; refused before anything is
  sent where the platform has no confirmed command;
- preview: the commands an operation would send now, nothing changed on the
  device, and the same commands as the real run sends.
"""

import json
import re
import time

import pytest

import simulator
from drivers import get_driver
from drivers.base import PreviewStop
from drivers.engine import CHOSEN_BY_DEVICE, Plan
from drivers.errors import CommandRejected, DriverError, UnsupportedOperation
from drivers.models import OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig, WifiConfig

PASSWORD = "Chg-Dev1ce-Pw"
ENABLE = "Chg-En4ble-Pw"
PPPOE_PASSWORD = "Chg-Ppp0e-S3cret"
NEW_PPPOE_PASSWORD = "Chg-Ppp0e-N3w-S3cret"
WIFI_KEY = "Chg-W1fi-K3y-Secret"
NEW_WIFI_KEY = "Chg-W1fi-N3w-Secret"
SECRETS = (PASSWORD, ENABLE, PPPOE_PASSWORD, NEW_PPPOE_PASSWORD, WIFI_KEY, NEW_WIFI_KEY)

CASES = {
    "huawei": {
        "sim_options": {"firmware": "ma5800"},
        "target_options": {"model": "MA5800", "firmware": "V100R019", "olt_wifi": True},
        "service": {"line_profile": "10", "service_profile": "10", "traffic_profile": "10"},
        "wan_command": r"ont ipconfig .*",
        "register_command": r"service-port vlan .*",
    },
    "vsol": {
        "sim_options": {},
        "target_options": {},
        "service": {"line_profile": "default", "dba_profile": "default1", "traffic_profile": "10"},
        "wan_command": r"onu \d+ pri wan_adv index \d+ route ipv4 pppoe .*",
        "register_command": r"onu \d+ service-port .*",
    },
    "zte": {
        "sim_options": {},
        "target_options": {},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
        "wan_command": r"wan-ip .*",
        "register_command": r"service-port .*",
    },
    "zte_c600": {
        "sim_options": {},
        "target_options": {"onu_reboot": True},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
        "wan_command": r"wan-ip .*",
        "register_command": r"service-port .*",
    },
}
PLATFORMS = tuple(CASES)
FAST = {"reconnect_delay": 0.05, "busy_delay": 0.01}


def _wan(password=PPPOE_PASSWORD, username="client0001"):
    return WanConfig(mode="pppoe", vlan=100, username=username, password=password)


def _wifi(ssid="Cliente-0001", key=WIFI_KEY):
    return WifiConfig(index=1, ssid=ssid, key=key)


class Olt:
    """One simulated OLT with one ONU activated on it (and more waiting)."""

    def __init__(self, platform, sim, options=None):
        self.platform, self.sim, self.case = platform, sim, CASES[platform]
        self.options = {**self.case["target_options"], **FAST, **(options or {})}

    def driver(self, **options):
        target = Target(
            platform=self.platform,
            host=self.sim.host,
            port=self.sim.port,
            protocol="ssh",
            username="admin",
            password=PASSWORD,
            secret=ENABLE,
            options={**self.options, **options},
        )
        return get_driver(self.platform)(target)

    def service(self, waiting=None, **changes):
        waiting = waiting or self.sim.state()["autofind"][0]
        fields = {"serial": waiting["serial"], "pon": waiting["pon"], "vlan": 100, "description": "CT-0001"}
        fields.update(self.case["service"])
        fields.update(changes)
        return OnuService(**fields)

    def activate(self):
        service = self.service()
        data = self.driver().provision(service, wan=_wan(), wifi=[_wifi()]).data
        return OnuRef(data.pon, data.onu_id, data.serial), service

    def onu(self, ref):
        return next(
            (onu for onu in self.sim.state()["onus"].get(ref.pon, []) if onu["id"] == ref.onu_id),
            None,
        )

    def config(self):
        """The configuration as the device holds it (run state, counters, auto-find left out)."""
        state = json.loads(json.dumps(self.sim.state()))
        for onus in state["onus"].values():
            for onu in onus:
                for volatile in ("run_state", "down_cause", "back_at", "reboots", "rx_power", "facts"):
                    onu.pop(volatile, None)
        return {"onus": state["onus"], "service_ports": state.get("service_ports"), "extra": state.get("extra")}


@pytest.fixture(params=PLATFORMS)
def olt(request):
    platform = request.param
    with simulator.start(
        platform=platform,
        protocol="ssh",
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=3,
        options={**CASES[platform]["sim_options"], "reboot_seconds": 0.2},
    ) as sim:
        yield Olt(platform, sim)


def _no_secret(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def _holds(olt, ref, *values):
    """Each value appears in the device's record of the ONU (its own entry and service ports)."""
    onu = olt.onu(ref)
    ports = [
        port
        for port in olt.sim.state().get("service_ports", [])
        if str(port.get("pon")) == str(ref.pon) and str(port.get("onu_id")) == str(ref.onu_id)
    ]
    text = json.dumps([onu, ports])
    return all(re.search(rf"\b{re.escape(str(value))}\b", text) for value in values)


def _subsequence(commands, lines):
    """Every command (placeholders matching anything) among ``lines``, in order."""
    position = 0
    for command in commands:
        pattern = re.compile(
            re.escape(command).replace(re.escape(CHOSEN_BY_DEVICE), r"\S+").replace(r"\*\*\*\*\*\*\*\*", ".*")
        )
        while position < len(lines) and not pattern.fullmatch(lines[position]):
            position += 1
        if position == len(lines):
            return False
        position += 1
    return True


# -- change a live service ---------------------------------------------------------------------


def test_change_service_converges_and_a_rerun_sends_nothing(olt):
    ref, _ = olt.activate()
    preview = olt.driver().preview("change_service", ref, vlan=200, traffic_profile="20").data
    assert preview["commands"], "a new VLAN and profile need commands"
    before = olt.config()
    mark = len(olt.sim.commands)
    driver = olt.driver()
    result = driver.change_service(ref, vlan=200, traffic_profile="20")
    assert result.data["changed"] == ["vlan", "traffic_profile"]
    assert olt.config() != before
    assert _holds(olt, ref, 200, 20)
    # The preview said what the run sent.
    assert _subsequence(preview["commands"], olt.sim.commands[mark:])
    again = olt.driver().preview("change_service", ref, vlan=200, traffic_profile="20").data["commands"]
    # V-SOL's WAN commit is not shown by its configuration: it is sent whenever a WAN is wanted.
    assert [command for command in again if not command.endswith("pri wan_adv commit")] == []
    _no_secret(result.transcript.to_text())


def test_change_credentials_and_wifi_are_sent_and_masked(olt):
    ref, _ = olt.activate()
    driver = olt.driver()
    result = driver.change_service(
        ref, wan=_wan(NEW_PPPOE_PASSWORD, "client0002"), wifi=[_wifi("Casa-Nueva", NEW_WIFI_KEY)]
    )
    assert result.data["changed"] == ["wan", "wifi:1"]
    assert _holds(olt, ref, "client0002", "Casa-Nueva")
    assert NEW_PPPOE_PASSWORD in json.dumps(olt.onu(ref)), "the new password is on the device"
    _no_secret(result.transcript.to_text(), json.dumps(result.data))


def test_change_service_undone_when_a_later_part_fails(olt):
    ref, _ = olt.activate()
    before = olt.config()
    olt.sim.faults.inject("reject", "^" + olt.case["wan_command"] + "$")
    with pytest.raises(DriverError) as caught:
        olt.driver().change_service(ref, vlan=200, traffic_profile="20", wan=_wan(NEW_PPPOE_PASSWORD, "client0002"))
    olt.sim.faults.reset()
    assert caught.value.outcome == "undone", caught.value.message
    assert olt.config() == before
    _no_secret(caught.value.message, caught.value.transcript.to_text())


def test_change_service_bad_input_names_the_field_before_connecting(olt):
    ref, _ = olt.activate()
    mark = len(olt.sim.commands)
    for kwargs, field in (({}, "changes"), ({"vlan": 5000}, "vlan"), ({"traffic_profile": "a b"}, "traffic_profile")):
        with pytest.raises(DriverError) as caught:
            olt.driver().change_service(ref, **kwargs)
        assert caught.value.field == field
    assert olt.sim.commands[mark:] == []


# -- replace, move ---------------------------------------------------------------------------------


def test_replace_onu_keeps_port_id_and_service(olt):
    ref, service = olt.activate()
    new = _waiting_on(olt, ref.pon)
    preview = olt.driver().preview("replace_onu", ref, olt.service(serial=new, pon=ref.pon), _wan(), [_wifi()]).data
    assert preview["commands"]
    result = olt.driver().replace_onu(ref, olt.service(serial=new, pon=ref.pon), wan=_wan(), wifi=[_wifi()])
    assert (result.data.pon, result.data.onu_id) == (ref.pon, ref.onu_id)
    onu = olt.onu(ref)
    assert new in (onu["serial"], onu.get("serial_hex"))
    assert _holds(olt, ref, "client0001", "Cliente-0001", 100)
    assert all(
        ref.serial not in (o["serial"], o.get("serial_hex")) for os in olt.sim.state()["onus"].values() for o in os
    )
    _no_secret(result.transcript.to_text())


def test_replace_onu_undone_when_the_new_registration_fails(olt):
    ref, _ = olt.activate()
    before = olt.config()
    new = _waiting_on(olt, ref.pon)
    olt.sim.faults.inject("reject", "^" + olt.case["wan_command"] + "$")
    with pytest.raises(DriverError) as caught:
        olt.driver().replace_onu(ref, olt.service(serial=new, pon=ref.pon), wan=_wan(), wifi=[_wifi()])
    olt.sim.faults.reset()
    assert caught.value.outcome == "undone", caught.value.message
    onu = olt.onu(ref)
    assert ref.serial in (onu["serial"], onu.get("serial_hex")), "the old ONU is registered again"
    assert olt.config() == before


def test_replace_onu_undone_inside_an_outer_plan(olt):
    """As the contract's Apply runs it, inside a plan of its own: the re-registration of
    the old ONU (the undo) is no part of the outer plan, which would take it back."""
    ref, _ = olt.activate()
    before = olt.config()
    new = _waiting_on(olt, ref.pon)
    olt.sim.faults.inject("reject", "^" + olt.case["wan_command"] + "$")
    driver = olt.driver()
    with pytest.raises(DriverError) as caught, driver, Plan(driver):
        driver.replace_onu(ref, olt.service(serial=new, pon=ref.pon), wan=_wan(), wifi=[_wifi()])
    olt.sim.faults.reset()
    assert caught.value.outcome == "undone", caught.value.message
    assert olt.config() == before, "the old ONU is registered again, and stays"


def test_replace_onu_refuses_the_same_serial_before_connecting(olt):
    ref, service = olt.activate()
    mark = len(olt.sim.commands)
    with pytest.raises(DriverError) as caught:
        olt.driver().replace_onu(ref, olt.service(serial=ref.serial, pon=ref.pon))
    assert caught.value.field == "serial"
    assert olt.sim.commands[mark:] == []


def _waiting_on(olt, pon):
    """A serial waiting in auto-find on ``pon`` (the new ONU plugged into that port)."""
    waiting = [onu for onu in olt.sim.state()["autofind"] if onu["pon"] == pon]
    if not waiting:
        return olt.sim.add_autofind(pon=pon)["serial"]
    return waiting[0]["serial"]


def _other_pon(olt, pon):
    return next(other for other in olt.sim.device.pons if other != pon)


def test_move_onu_to_another_port(olt):
    ref, service = olt.activate()
    other = _other_pon(olt, ref.pon)
    olt.sim.replug(ref.serial, other)
    result = olt.driver().move_onu(ref, olt.service(serial=ref.serial, pon=other), wan=_wan(), wifi=[_wifi()])
    assert result.data.pon == other
    assert olt.onu(ref) is None
    moved = OnuRef(other, result.data.onu_id)
    assert _holds(olt, moved, "client0001", 100)
    assert olt.onu(moved)["run_state"] == "online", "registered where its fibre is"


def test_move_onu_undone_when_the_new_port_refuses(olt):
    ref, _ = olt.activate()
    before = olt.config()
    other = _other_pon(olt, ref.pon)
    olt.sim.faults.inject("reject", "^" + olt.case["register_command"] + "$")
    with pytest.raises(DriverError) as caught:
        olt.driver().move_onu(ref, olt.service(serial=ref.serial, pon=other), wan=_wan(), wifi=[_wifi()])
    olt.sim.faults.reset()
    assert caught.value.outcome == "undone", caught.value.message
    assert olt.config() == before
    assert olt.onu(ref)["run_state"] == "online"


def test_move_onu_between_two_olts():
    with (
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=1, options={"firmware": "ma5800"}
        ) as a,
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=0, options={"firmware": "ma5800"}
        ) as b,
    ):
        first, second = Olt("huawei", a), Olt("huawei", b)
        ref, service = first.activate()
        result = first.driver().move_onu(
            ref, replace_pon(service, "0/1/1"), wan=_wan(), wifi=[_wifi()], to=second.driver(), back=service
        )
        assert first.onu(ref) is None
        assert second.onu(OnuRef("0/1/1", result.data.onu_id))["serial"] == ref.serial
        # The destination refuses: the ONU is back on the first OLT as it was.
        back = (
            second.driver()
            .move_onu(
                OnuRef("0/1/1", result.data.onu_id, ref.serial),
                service,
                wan=_wan(),
                wifi=[_wifi()],
                to=first.driver(),
                back=replace_pon(service, "0/1/1"),
            )
            .data
        )
        before_a, before_b = first.config(), second.config()
        b.faults.inject("reject", r"^service-port vlan .*$")
        with pytest.raises(DriverError) as caught:
            first.driver().move_onu(
                OnuRef(back.pon, back.onu_id, ref.serial),
                replace_pon(service, "0/1/1"),
                wan=_wan(),
                wifi=[_wifi()],
                to=second.driver(),
                back=service,
            )
        b.faults.reset()
        assert caught.value.outcome == "undone", caught.value.message
        assert (first.config(), second.config()) == (before_a, before_b)


def test_move_onu_to_another_platform_puts_it_back_with_its_own_profiles():
    """Huawei to ZTE, the ZTE refusing its WAN after the Huawei registration was
    removed: the ONU is registered on the Huawei again with the Huawei's profiles
    (not the ZTE's service, which the Huawei refuses: the customer left offline)."""
    with (
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=1, options={"firmware": "ma5800"}
        ) as a,
        simulator.start(platform="zte", protocol="ssh", password=PASSWORD, onus=0) as b,
    ):
        first, second = Olt("huawei", a), Olt("zte", b)
        ref, service = first.activate()
        before_a, before_b = first.config(), second.config()
        there = OnuService(serial=ref.serial, pon="1/1/1", vlan=100, description="CT-0001", **CASES["zte"]["service"])
        with pytest.raises(DriverError) as caught:
            first.driver().move_onu(ref, there, wan=_wan(), wifi=[_wifi()], to=second.driver())
        assert caught.value.field == "back", "refused before anything is sent: no way back"
        assert first.config() == before_a
        b.faults.inject("reject", r"^wan-ip .*$")
        with pytest.raises(DriverError) as caught:
            first.driver().move_onu(ref, there, wan=_wan(), wifi=[_wifi()], to=second.driver(), back=service)
        b.faults.reset()
        assert caught.value.outcome == "undone", caught.value.message
        assert (first.config(), second.config()) == (before_a, before_b)
        assert _holds(first, ref, "client0001", "Cliente-0001", 100)


def test_move_onu_between_two_olts_survives_a_lost_answer_to_the_service_port():
    """The destination's service port is created, its answer (which names the index the OLT
    chose) lost; the re-login reads the ONU back and resends the WAN and WiFi (their keys
    cannot be read): the result names the service port read back, not a KeyError."""
    with (
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=1, options={"firmware": "ma5800"}
        ) as a,
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=0, options={"firmware": "ma5800"}
        ) as b,
    ):
        first, second = Olt("huawei", a), Olt("huawei", b)
        ref, service = first.activate()
        b.faults.inject("drop_after", r"^service-port vlan .*$")
        result = first.driver().move_onu(
            ref,
            replace_pon(service, "0/1/1"),
            wan=_wan(),
            wifi=[_wifi()],
            to=second.driver(max_resyncs=2),
            back=service,
        )
        assert b.faults.drop_after_pattern is None, "the fault did not fire"
        b.faults.reset()
        assert result.data.service_ports == [port["index"] for port in b.state()["service_ports"]]
        assert _holds(second, OnuRef("0/1/1", result.data.onu_id), "client0001", "Cliente-0001", 100)


def replace_pon(service, pon):
    return OnuService(**{**service.__dict__, "pon": pon, "onu_id": None})


# -- reboot -------------------------------------------------------------------------------------


def test_reboot_takes_the_onu_offline_then_online(olt):
    ref, _ = olt.activate()
    config = olt.config()
    preview = olt.driver().preview("reboot", ref).data["commands"]
    assert len(preview) == 1
    assert olt.onu(ref)["run_state"] == "online"
    result = olt.driver().reboot(ref)
    assert result.data["run_state_before"] == "online"
    onu = olt.onu(ref)
    assert onu["run_state"] == "offline" and onu["reboots"] == 1
    assert olt.config() == config, "a reboot changes no configuration"
    time.sleep(0.3)  # the simulated ONU's boot time
    assert olt.driver().status(ref).data.run_state == "online"


def test_reboot_of_an_offline_onu_is_refused_by_the_olt(olt):
    ref, _ = olt.activate()
    olt.sim.set_run_state(ref.serial, "offline")
    with pytest.raises(CommandRejected):
        olt.driver().reboot(ref)
    assert olt.onu(ref).get("reboots", 0) == 0


def test_reboot_without_a_confirmed_command_is_refused_before_anything_is_sent():
    with simulator.start(platform="zte_c600", protocol="ssh", password=PASSWORD, onus=1) as sim:
        olt = Olt("zte_c600", sim, options={"onu_reboot": False})
        ref, _ = olt.activate()
        mark, logins = len(sim.commands), sim.logins["succeeded"]
        with pytest.raises(UnsupportedOperation) as caught:
            olt.driver().reboot(ref)
        assert "not available on this platform/firmware" in caught.value.message
        assert sim.commands[mark:] == [] and sim.logins["succeeded"] == logins


# -- preview -------------------------------------------------------------------------------------


def test_preview_changes_nothing_and_matches_the_run(olt):
    service = olt.service()
    before = olt.sim.state()
    mark = len(olt.sim.commands)
    preview = olt.driver().preview("provision", service, wan=_wan(), wifi=[_wifi()]).data
    assert preview["commands"]
    assert olt.sim.state()["onus"] == before["onus"], "a preview registers nothing"
    assert not _subsequence(preview["commands"][:1], olt.sim.commands[mark:]), "the first change was never sent"
    _no_secret(json.dumps(preview))
    mark = len(olt.sim.commands)
    data = olt.driver().provision(service, wan=_wan(), wifi=[_wifi()]).data
    assert _subsequence(preview["commands"], olt.sim.commands[mark:])
    ref = OnuRef(data.pon, data.onu_id, data.serial)
    suspend = olt.driver().preview("suspend", ref).data["commands"]
    mark = len(olt.sim.commands)
    olt.driver().suspend(ref)
    assert suspend and _subsequence(suspend, olt.sim.commands[mark:])
    assert olt.driver().preview("suspend", ref).data["commands"] == [], "computed from the device: already suspended"


def test_preview_refuses_an_unknown_operation(olt):
    with pytest.raises(DriverError) as caught:
        olt.driver().preview("save")
    assert caught.value.field == "operation"


# -- the router, and one plan over OLT and router ----------------------------------------------------


def _subscriber(**changes):
    fields = {"name": "client0001", "password": PPPOE_PASSWORD, "profile": "default", "comment": "CT-0001"}
    fields["remote_address"] = "10.20.0.10"
    fields.update(changes)
    return Subscriber(**fields)


def _router(sim):
    target = Target(
        platform="mikrotik", host=sim.host, port=sim.port, protocol="api", username="admin", password=PASSWORD
    )
    return get_driver("mikrotik")(target)


def test_router_plan_change_previewed_then_converged():
    with simulator.start(platform="mikrotik", password=PASSWORD) as sim:
        _router(sim).ensure_subscriber(_subscriber(rate_limit=RateLimit(up=10, down=20)))
        wanted = _subscriber(rate_limit=RateLimit(up=20, down=50))
        preview = _router(sim).preview("ensure_subscriber", wanted).data["commands"]
        assert preview and any("20M" in command or "50M" in command for command in preview)
        _router(sim).ensure_subscriber(wanted)
        assert _router(sim).preview("ensure_subscriber", wanted).data["commands"] == []
        _no_secret(json.dumps(preview))


def test_one_plan_over_olt_and_router_is_undone_when_the_router_refuses():
    with (
        simulator.start(
            platform="huawei", protocol="ssh", password=PASSWORD, onus=1, options={"firmware": "ma5800"}
        ) as a,
        simulator.start(platform="mikrotik", password=PASSWORD) as router_sim,
    ):
        olt = Olt("huawei", a)
        ref, _ = olt.activate()
        _router(router_sim).ensure_subscriber(_subscriber(rate_limit=RateLimit(up=10, down=20)))
        before = olt.config()
        router_sim.faults.reject_pattern = r"/queue/simple/set|/ppp/secret/set|/queue/simple/add"
        olt_driver, router = olt.driver(), _router(router_sim)
        with pytest.raises(DriverError) as caught, olt_driver, router, Plan(olt_driver, router):
            olt_driver.change_service(ref, vlan=200, traffic_profile="20")
            router.ensure_subscriber(_subscriber(rate_limit=RateLimit(up=20, down=50)))
        assert caught.value.outcome == "undone", caught.value.message
        assert olt.config() == before


def test_preview_stop_is_not_a_driver_error():
    assert not issubclass(PreviewStop, DriverError)


def test_change_service_survives_a_lost_answer_mid_plan(olt):
    """The WAN command runs, its answer never comes (the connection drops): the engine
    logs in again, reads the ONU back and finishes; a re-run of the VLAN and profile
    change then sends nothing."""
    ref, _ = olt.activate()
    olt.sim.faults.inject("drop_after", "^" + olt.case["wan_command"] + "$")
    driver = olt.driver(max_resyncs=2)
    try:
        driver.change_service(ref, vlan=200, traffic_profile="20", wan=_wan(NEW_PPPOE_PASSWORD, "client0002"))
    finally:
        fired = olt.sim.faults.drop_after_pattern is None
        olt.sim.faults.reset()
    assert fired, "the fault did not fire"
    assert driver.logins >= 2, "the engine logged in again"
    assert _holds(olt, ref, 200, 20, "client0002")
    again = olt.driver().preview("change_service", ref, vlan=200, traffic_profile="20").data["commands"]
    assert [command for command in again if not command.endswith("pri wan_adv commit")] == []


# -- every command of a plan, faulted ----------------------------------------------------------
# As tests/drivers/test_fault_matrix.py does for activation: at each command k of an
# uninterrupted run, the connection drops after k ran and before its answer came
# back; the result must say what the device holds, and one re-run must end as the
# uninterrupted run did.


def _line_pattern(command):
    return re.escape(command.strip()).replace(re.escape("********"), ".*")


def _occurrences(commands, lines):
    """For each command of the transcript, how many earlier device lines match it too."""
    skips, position = [], 0
    for command in commands:
        pattern = re.compile(_line_pattern(command))
        while position < len(lines) and not pattern.fullmatch(lines[position]):
            position += 1
        assert position < len(lines), f"{command!r} is not among the lines the device received"
        skips.append(sum(1 for line in lines[:position] if pattern.fullmatch(line)))
        position += 1
    return skips


MATRIX_OPERATIONS = ("change_service", "replace_onu")


@pytest.mark.parametrize("operation", MATRIX_OPERATIONS)
def test_every_command_faulted(olt, operation):
    ref, _ = olt.activate()
    new = _waiting_on(olt, ref.pon)

    def run(driver):
        if operation == "change_service":
            return driver.change_service(ref, vlan=200, traffic_profile="20")
        return driver.replace_onu(ref, olt.service(serial=new, pon=ref.pon), wan=_wan(), wifi=[_wifi()])

    start, baseline = olt.sim.state(), olt.config()
    probe = olt.driver()
    mark = len(olt.sim.commands)
    with probe:
        run(probe)
        commands = probe.transcript.commands()
    uninterrupted = olt.config()
    skips = _occurrences(commands, olt.sim.commands[mark:])
    failures = []
    for k, command in enumerate(commands):
        olt.sim.faults.reset()
        olt.sim.device.restore(start)
        olt.sim.faults.inject("drop_after", "^" + _line_pattern(command) + "$", skip=skips[k])
        try:
            run(olt.driver(max_resyncs=2))
            outcome = None
        except DriverError as error:
            outcome = error
        fired = olt.sim.faults.drop_after_pattern is None
        olt.sim.faults.reset()
        state = olt.config()
        if outcome is None:
            truthful = state == uninterrupted
        elif outcome.outcome in ("unchanged", "undone"):
            truthful = state == baseline
        else:
            truthful = outcome.outcome == "left" and bool(outcome.left) and state != baseline
        _no_secret(str(outcome))
        # One re-run from whatever the fault left ends as an uninterrupted run.
        if state != uninterrupted:
            try:
                run(olt.driver())
            except DriverError as error:
                failures.append(f"#{k} {command!r}: re-run failed: {error.message}")
                continue
        converged = olt.config() == uninterrupted
        if not (fired and truthful and converged):
            why = f"fired={fired} truthful={truthful} converged={converged}"
            failures.append(f"#{k} {command!r}: {why}: {outcome and outcome.message}")
    assert not failures, "\n".join(failures)


MOVE_PAIRS = (("huawei", "huawei"), ("vsol", "vsol"), ("huawei", "zte"), ("zte_c600", "vsol"))


@pytest.mark.parametrize(("source", "target"), MOVE_PAIRS)
def test_move_between_two_olts_every_command_faulted(source, target):
    """A move across two OLTs (of one platform or two): the connection to either OLT drops
    after each command of an uninterrupted move; the result says what both hold, and one
    re-run ends as the uninterrupted move did (the ONU on the new OLT, gone from the old)."""

    def start(platform, onus):
        options = CASES[platform]["sim_options"]
        return simulator.start(platform=platform, protocol="ssh", password=PASSWORD, onus=onus, options=options)

    with start(source, 1) as a, start(target, 0) as b:
        first, second = Olt(source, a), Olt(target, b)
        ref, service = first.activate()
        pon = b.device.pons[0]
        b.add_autofind(pon=pon, serial=ref.serial)  # its fibre on the new OLT
        there = OnuService(serial=ref.serial, pon=pon, vlan=100, description="CT-0001", **CASES[target]["service"])

        def run(here, away):
            return here.move_onu(ref, there, wan=_wan(), wifi=[_wifi()], to=away, back=service)

        starts, baseline = (a.state(), b.state()), (first.config(), second.config())
        here, away = first.driver(), second.driver()
        marks = (len(a.commands), len(b.commands))
        with here, away:
            run(here, away)
            sent = (here.transcript.commands(), away.transcript.commands())
        uninterrupted = (first.config(), second.config())
        failures = []
        for sim, commands, mark in zip((a, b), sent, marks, strict=True):
            skips = _occurrences(commands, sim.commands[mark:])
            for k, command in enumerate(commands):
                for each, state in zip((a, b), starts, strict=True):
                    each.faults.reset()
                    each.device.restore(state)
                sim.faults.inject("drop_after", "^" + _line_pattern(command) + "$", skip=skips[k])
                try:
                    run(first.driver(max_resyncs=2), second.driver(max_resyncs=2))
                    outcome = None
                except DriverError as error:
                    outcome = error
                fired = sim.faults.drop_after_pattern is None
                a.faults.reset()
                b.faults.reset()
                state = (first.config(), second.config())
                if outcome is None:
                    truthful = state == uninterrupted
                elif outcome.outcome in ("unchanged", "undone"):
                    truthful = state == baseline
                else:
                    truthful = outcome.outcome in ("left", "unknown") and bool(outcome.left) and state != baseline
                _no_secret(str(outcome))
                if state != uninterrupted:
                    try:
                        run(first.driver(), second.driver())
                    except DriverError as error:
                        failures.append(f"{sim.platform} #{k} {command!r}: re-run failed: {error.message}")
                        continue
                converged = (first.config(), second.config()) == uninterrupted
                if not (fired and truthful and converged):
                    why = f"fired={fired} truthful={truthful} converged={converged}"
                    failures.append(f"{sim.platform} #{k} {command!r}: {why}: {outcome and outcome.message}")
        assert not failures, "\n".join(failures)
