"""ZTE C300/C320 (``zte``) and C600/C650 (``zte_c600``): the platform's own tests.

Parsers run on raw captures; everything else runs the real Netmiko client
over real SSH and Telnet sockets against the in-process simulator and checks
the simulator's state, never what the driver says it did.
"""

import json
import re

import pytest

import simulator
from drivers import get_driver
from drivers.cli import clean_output
from drivers.errors import (
    CommandRejected,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
    ParseError,
    UnsupportedOperation,
)
from drivers.models import BulkChange, OnuRef, OnuService, Target, WanConfig, WifiConfig
from drivers.transcript import MASK
from drivers.zte import ZteC600Driver, ZteDriver, parse_onu_index, strip_capture

PASSWORD = "Zte-Dev1ce-Pw"
PPPOE_PASSWORD = "Ppp0e-Zte-S3cret"
WIFI_KEY = "W1fi-Zte-K3y-Secret"
SECRETS = (PASSWORD, PPPOE_PASSWORD, WIFI_KEY)
PLATFORMS = ("zte", "zte_c600")
MATRIX = [(platform, protocol) for platform in PLATFORMS for protocol in ("ssh", "telnet")]
HOSTNAME = "OLT-ZTE_C320"


# ---------------------------------------------------------------------------
# Raw captures (echo, prompts, pager, escapes and alarm lines included)
# ---------------------------------------------------------------------------

PAGER_ERASE = "\x08 \x08" * 10

C300_CAPTURE = (
    f"{HOSTNAME}#show gpon onu uncfg\r\n"
    "OnuIndex                 Sn                  State\r\n"
    "---------------------------------------------------------------------\r\n"
    "gpon-onu_1/1/1:1         HWTC1F14CAAD        unknown\r\n"
    f" --More-- {PAGER_ERASE}gpon-onu_1/1/1:2         ZTEGD824CDF3        unknown\r\n"
    "[ZXAN] 2026-11-29 10:05:00 %GPONSRV-6-ONU: gpon-onu_1/1/3:4 the ONU's optical power is recovered.\r\n"
    "\x1b[25Cgpon-onu_1/2/16:1        485754430B086EA9    unknown\r\n"
    f"{HOSTNAME}#"
)

C600_CAPTURE = (
    "ZXAN#show pon onu uncfg\r\n"
    "OltIndex            Model                SN                 PW\r\n"
    "-----------------------------------------------------------------------------\r\n"
    "gpon_olt-1/1/9      R1v2                 ITBSCF8F197E       123456789\r\n"
    "Nov 29 10:05:00 2026 ZXAN %GPONSRV-4-ONU_LOS: gpon_onu-1/1/9:3 LOS\r\n"
    f" --More-- {PAGER_ERASE}gpon_olt-1/3/16     F670L                ZTEGC8A18E23       N/A\r\n"
    "ZXAN#"
)


def test_parse_autofind_c300_capture():
    onus = ZteDriver.parse_autofind(C300_CAPTURE)
    assert [(onu.pon, onu.serial, onu.olt_index) for onu in onus] == [
        ("1/1/1", "HWTC1F14CAAD", "gpon-onu_1/1/1:1"),
        ("1/1/1", "ZTEGD824CDF3", "gpon-onu_1/1/1:2"),
        ("1/2/16", "HWTC0B086EA9", "gpon-onu_1/2/16:1"),  # 16-hex form normalised
    ]
    assert [onu.vendor_id for onu in onus] == ["HWTC", "ZTEG", "HWTC"]


def test_parse_autofind_c600_capture():
    onus = ZteC600Driver.parse_autofind(C600_CAPTURE)
    assert [(onu.pon, onu.serial, onu.model, onu.password) for onu in onus] == [
        ("1/1/9", "ITBSCF8F197E", "R1v2", "123456789"),
        ("1/3/16", "ZTEGC8A18E23", "F670L", ""),
    ]


def test_parse_autofind_c600_answering_the_c300_command():
    capture = C300_CAPTURE.replace("gpon-onu_", "gpon_onu-")
    assert [onu.olt_index for onu in ZteC600Driver.parse_autofind(capture)] == [
        "gpon_onu-1/1/1:1",
        "gpon_onu-1/1/1:2",
        "gpon_onu-1/2/16:1",
    ]


def test_parse_autofind_empty_and_newer_c300_layout():
    empty = "ZXAN#show gpon onu uncfg\r\n%Code 62310-GPONSRV : No related information to show.\r\nZXAN#"
    assert ZteDriver.parse_autofind(empty) == []
    newer = C600_CAPTURE.replace("gpon_olt-", "gpon-olt_").replace("show pon", "show gpon")
    assert [onu.pon for onu in ZteDriver.parse_autofind(newer)] == ["1/1/9", "1/3/16"]


def test_parse_autofind_refuses_what_it_does_not_know():
    with pytest.raises(ParseError):
        ZteDriver.parse_autofind("ZXAN#show gpon onu uncfg\r\nsomething else entirely\r\nZXAN#")
    with pytest.raises(ParseError):
        ZteDriver.parse_autofind("gpon-onu_1/1/1:1         NOTASERIAL00        unknown\n")


def test_clean_output_turns_the_zte_pager_into_blank_space():
    text = clean_output(f"row 1\r\n --More-- {PAGER_ERASE}row 2\r\n")
    assert "More" not in text and "\x08" not in text
    assert [line.strip() for line in text.split("\n") if line.strip()] == ["row 1", "row 2"]
    assert strip_capture(f"{HOSTNAME}(config-if)#show x\r\nrow\r\n{HOSTNAME}(config-if)#") == "row"


def test_onu_index_forms():
    assert parse_onu_index("gpon-onu_1/1/1:5") == ("1/1/1", 5)
    assert parse_onu_index("gpon_onu-1/3/16:127") == ("1/3/16", 127)
    assert parse_onu_index("1/2/1:9") == ("1/2/1", 9)
    with pytest.raises(ParseError):
        parse_onu_index("GPON0/1:3")


def test_error_lines_are_classified_as_the_device_means_them():
    def first(patterns, text):
        return any(re.search(pattern, text, re.MULTILINE) for pattern in patterns)

    errors = ZteDriver.error_patterns
    for line in (
        "%Error 20200: Invalid input detected at '^' marker.",
        "%Error 20202: Invalid parameter",
        "%Error 20203: Incomplete command.",
        "Error 20201: Invalid keyword",
        "Error 20206: Unrecognized command",
        "%Code 62391-GPONSRV : The entry is existed.",
    ):
        assert first(errors, line), line
    for line in (
        "%Info 20272: Enter configuration commands, one per line. End with CTRL/Z.",
        "%Code 32310-GPONSRV : No related information to show.",
        "%Code 62310-GPONSRV : No related information to show.",
        "[Successful]",
    ):
        assert not first(errors, line), line
    assert first(ZteDriver.busy_patterns, "%Code 32311-GPONSRV : The system is busy, please try again later.")


# ---------------------------------------------------------------------------
# Against the simulator
# ---------------------------------------------------------------------------


class Olt:
    """A simulated OLT and a driver factory for it."""

    def __init__(self, platform, protocol, sim):
        self.platform, self.protocol, self.sim = platform, protocol, sim

    def target(self, options=None, **overrides):
        values = {
            "platform": self.platform,
            "host": self.sim.host,
            "port": self.sim.port,
            "protocol": self.protocol,
            "username": "admin",
            "password": PASSWORD,
            "command_timeout": 10.0,
            "options": dict({"busy_delay": 0.01}, **(options or {})),
        }
        values.update(overrides)
        return Target(**values)

    def driver(self, options=None, **overrides):
        return get_driver(self.platform)(self.target(options, **overrides))

    def waiting(self):
        return self.sim.state()["autofind"]

    def onu(self, serial):
        for onus in self.sim.state()["onus"].values():
            for onu in onus:
                if onu["serial"] == serial:
                    return onu
        return None

    def service_ports(self, pon, onu_id):
        return [p for p in self.sim.state()["service_ports"] if p["pon"] == pon and p["onu_id"] == onu_id]


def _start(platform, protocol, **kwargs):
    values = {"platform": platform, "protocol": protocol, "username": "admin", "password": PASSWORD, "onus": 3}
    values.update(kwargs)
    return simulator.start(**values)


@pytest.fixture(params=MATRIX, ids=lambda case: f"{case[0]}-{case[1]}")
def olt(request):
    platform, protocol = request.param
    with _start(platform, protocol) as sim:
        yield Olt(platform, protocol, sim)


@pytest.fixture(params=PLATFORMS)
def olt_ssh(request):
    """One protocol is enough where the behaviour does not depend on it."""
    with _start(request.param, "ssh") as sim:
        yield Olt(request.param, "ssh", sim)


def _service(waiting, **overrides):
    values = {
        "serial": waiting["serial"],
        "pon": waiting["pon"],
        "vlan": 100,
        "description": "CT-0001",
        "onu_type": "ZTE-F660",
        "dba_profile": "100M",
    }
    values.update(overrides)
    return OnuService(**values)


def _wan(**overrides):
    values = {"mode": "pppoe", "vlan": 100, "username": "client0001", "password": PPPOE_PASSWORD}
    values.update(overrides)
    return WanConfig(**values)


def _wifi():
    return WifiConfig(index=1, ssid="Cliente-0001", key=WIFI_KEY)


def _comparable(state):
    """Device state without the save counter; auto-find as a set (a removed ONU is re-found last)."""
    state = json.loads(json.dumps(state))
    state.pop("saved", None)
    state["autofind"] = sorted(state["autofind"], key=lambda onu: onu["serial"])
    return state


def _no_secrets(text):
    for secret in SECRETS:
        assert secret not in text


def test_discover_reads_every_port_in_one_session(olt):
    olt.sim.add_autofind(pon="1/1/2", serial="ZTEGC0000042")
    result = olt.driver().discover()
    assert {(onu.pon, onu.serial) for onu in result.data} == {(o["pon"], o["serial"]) for o in olt.waiting()}
    assert all(re.fullmatch(r"[A-Z0-9]{4}[0-9A-F]{8}", onu.serial) for onu in result.data)
    assert olt.sim.logins["succeeded"] == 1
    expected = "show gpon onu uncfg" if olt.platform == "zte" else "show pon onu uncfg"
    assert result.transcript.commands() == [expected]


def test_discover_on_newer_c300_firmware():
    with _start("zte", "ssh", options={"gpon_uncfg": False, "pon_uncfg": True}) as sim:
        olt = Olt("zte", "ssh", sim)
        fallback = olt.driver().discover()
        told = olt.driver(options={"firmware": "V2.1.0"}).discover()
        expected = {(o["pon"], o["serial"]) for o in olt.waiting()}
    assert {(onu.pon, onu.serial) for onu in fallback.data} == expected
    assert fallback.transcript.commands() == ["show gpon onu uncfg", "show pon onu uncfg"]
    assert {(onu.pon, onu.serial) for onu in told.data} == expected
    assert told.transcript.commands() == ["show pon onu uncfg"]


def test_c600_that_only_knows_the_gpon_command():
    with _start("zte_c600", "telnet", options={"gpon_uncfg": True, "pon_uncfg": False}) as sim:
        olt = Olt("zte_c600", "telnet", sim)
        result = olt.driver().discover()
        expected = {(o["pon"], o["serial"]) for o in olt.waiting()}
    assert {(onu.pon, onu.serial) for onu in result.data} == expected
    assert result.transcript.commands() == ["show pon onu uncfg", "show gpon onu uncfg"]
    assert all(onu.olt_index.startswith("gpon_onu-") for onu in result.data)


def test_discover_empty_olt(olt_ssh):
    with _start(olt_ssh.platform, "telnet", onus=0, options={"empty_code": "62310"}) as sim:
        assert Olt(olt_ssh.platform, "telnet", sim).driver().discover().data == []


def test_provision_base_wan_wifi_status_suspend_resume_remove(olt):
    waiting = olt.waiting()[0]
    driver = olt.driver()
    with driver:
        provisioned = driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
        status = driver.status(OnuRef(provisioned.pon, provisioned.onu_id, waiting["serial"])).data
    assert olt.sim.logins["succeeded"] == 1
    onu = olt.onu(waiting["serial"])
    assert (provisioned.pon, provisioned.onu_id) == (waiting["pon"], 1) == (onu["pon"], onu["id"])
    assert waiting["serial"] not in {o["serial"] for o in olt.waiting()}
    assert onu["type"] == "ZTE-F660" and onu["description"] == "CT-0001"
    assert onu["tconts"]["1"]["profile"] == "100M"
    assert onu["gemports"]["1"]["tcont"] == 1
    assert str(onu["services"]["inet"]["vlan"]) == "100"
    (port,) = olt.service_ports(onu["pon"], onu["id"])
    assert (port["user_vlan"], port["vlan"], port["port_index"]) == (100, 100, 1)
    (wan,) = onu["wan"]
    assert (wan["mode"], wan["username"], wan["password"]) == ("pppoe", "client0001", PPPOE_PASSWORD)
    wifi = onu["wifi"]["wifi_0/1"]
    assert (wifi["ssid"], wifi["key"]) == ("Cliente-0001", WIFI_KEY)
    assert (status.admin_state, status.run_state) == ("enabled", "online")
    assert status.serial == waiting["serial"]
    assert status.rx_power_dbm == pytest.approx(onu["rx_power"], abs=0.001)
    _no_secrets(driver.transcript.to_text())
    assert not any(c.startswith(("commit", "terminal width")) for c in olt.sim.commands)

    ref = OnuRef(provisioned.pon, provisioned.onu_id, waiting["serial"])
    suspended = olt.driver().suspend(ref).data
    assert olt.onu(waiting["serial"])["admin_state"] == "deactivated"
    assert (suspended.admin_state, suspended.run_state, suspended.rx_power_dbm) == ("disabled", "offline", None)
    olt.driver().suspend(ref)  # suspending a suspended ONU changes nothing and is no error
    assert olt.onu(waiting["serial"])["admin_state"] == "deactivated"
    resumed = olt.driver().resume(ref).data
    assert olt.onu(waiting["serial"])["admin_state"] == "active"
    assert (resumed.admin_state, resumed.run_state) == ("enabled", "online")

    saves = olt.sim.state()["saved"]
    assert olt.driver().save().data["saved"] is True
    assert olt.sim.state()["saved"] == saves + 1

    olt.driver().remove(ref)
    assert olt.onu(waiting["serial"]) is None
    assert olt.service_ports(ref.pon, ref.onu_id) == []
    assert waiting["serial"] in {o["serial"] for o in olt.waiting()}
    again = olt.driver().remove(ref)  # already gone: nothing sent
    assert again.data["removed"] is False
    assert not [c for c in again.transcript.commands() if c.startswith("no onu")]


@pytest.mark.parametrize("form", ["onu_state", "shutdown"])
def test_both_suspend_forms(olt_ssh, form):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    ref = OnuRef(waiting["pon"], olt.driver().provision(_service(waiting)).data.onu_id)
    result = olt.driver(options={"suspend_form": form}).suspend(ref)
    assert olt.onu(waiting["serial"])["admin_state"] == "deactivated"
    expected = f"onu {ref.onu_id} state disable" if form == "onu_state" else "shutdown"
    assert expected in result.transcript.commands()
    olt.driver(options={"suspend_form": form}).resume(ref)
    assert olt.onu(waiting["serial"])["admin_state"] == "active"


def test_default_suspend_form_per_model(olt_ssh):
    driver = olt_ssh.driver()
    assert driver._suspend_form() == ("onu_state" if olt_ssh.platform == "zte" else "shutdown")


def test_onu_id_is_the_lowest_free_one_read_from_the_device():
    with _start("zte", "telnet", onus=2, registered=3, options={"pons": ["1/1/1"]}) as sim:
        olt = Olt("zte", "telnet", sim)
        # ids 1..3 are taken; free 2 behind the driver's back, as another tool would
        olt.driver().remove(OnuRef("1/1/1", 2))
        first = olt.driver().provision(_service(olt.waiting()[0])).data
        second = olt.driver().provision(_service(olt.waiting()[0])).data
    assert (first.onu_id, second.onu_id) == (2, 4)


def test_given_onu_id_in_use_is_refused_without_change():
    with _start("zte_c600", "ssh", onus=1, registered=1, options={"pons": ["1/1/1"]}) as sim:
        olt = Olt("zte_c600", "ssh", sim)
        before = _comparable(sim.state())
        with pytest.raises(CommandRejected) as raised:
            olt.driver().provision(_service(olt.waiting()[0], onu_id=1))
        assert "already in use" in str(raised.value)
        assert _comparable(sim.state()) == before


def test_rerun_of_completed_provisioning_changes_nothing(olt):
    service = _service(olt.waiting()[0])
    first = olt.driver().provision(service, wan=_wan(), wifi=[_wifi()]).data
    before = _comparable(olt.sim.state())
    second = olt.driver().provision(service, wan=_wan(), wifi=[_wifi()])
    assert second.data.onu_id == first.onu_id
    assert _comparable(olt.sim.state()) == before
    assert not [c for c in second.transcript.commands() if " type " in c or "service-port" in c]


def _reject_pattern(command):
    """The transcript masks secrets: the fault pattern accepts any value in their place."""
    return "^" + re.escape(command).replace(re.escape(MASK), r"\S+") + "$"


def test_failure_at_every_step_leaves_the_device_as_it_was(olt):
    service = _service(olt.waiting()[0])
    probe = olt.driver()
    provisioned = probe.provision(service, wan=_wan(), wifi=[_wifi()]).data
    sent = probe.transcript.commands()
    olt.driver().remove(OnuRef(provisioned.pon, provisioned.onu_id))
    baseline = _comparable(olt.sim.state())
    changing = [c for c in sent if not c.startswith("show ")]
    assert len(changing) > 10
    for command in changing:
        olt.sim.faults.reject_pattern = _reject_pattern(command)
        with pytest.raises(DriverError) as raised:
            olt.driver().provision(service, wan=_wan(), wifi=[_wifi()])
        olt.sim.faults.reject_pattern = None
        assert isinstance(raised.value, CommandRejected), f"{command!r}: {raised.value}"
        assert _comparable(olt.sim.state()) == baseline, f"device changed after failing at {command!r}"
        _no_secrets(str(raised.value))
        _no_secrets(raised.value.transcript.to_text())


def test_registration_without_successful_is_undone(olt_ssh):
    olt = olt_ssh
    service = _service(olt.waiting()[0])
    before = _comparable(olt.sim.state())
    # the OLT answers something that is neither an error nor a confirmation
    olt.sim.faults.reject_pattern = r"^onu \d+ type "
    olt.sim.faults.reject_text = "%Info 20999: Operation pending.\n"
    with pytest.raises(CommandRejected) as raised:
        olt.driver().provision(service)
    assert "did not confirm" in str(raised.value)
    assert _comparable(olt.sim.state()) == before


def test_connection_lost_midway_is_a_connect_error_and_nothing_remains(olt_ssh):
    olt = olt_ssh
    service = _service(olt.waiting()[0])
    before = _comparable(olt.sim.state())
    olt.sim.faults.drop_pattern = r"^onu \d+ type "
    with pytest.raises(DriverError) as raised:
        olt.driver().provision(service)
    assert raised.value.code == "connect_failed"
    assert _comparable(olt.sim.state()) == before


def test_busy_is_retried(olt_ssh):
    olt = olt_ssh
    olt.sim.faults.busy_pattern = r"^onu \d+ type "
    olt.sim.faults.busy_count = 2
    result = olt.driver().provision(_service(olt.waiting()[0]))
    assert olt.onu(result.data.serial) is not None
    notes = [e.text for e in result.transcript.entries if e.kind == "note"]
    assert sum("device busy" in note for note in notes) == 2


def test_busy_for_too_long_is_device_busy(olt_ssh):
    olt = olt_ssh
    before = _comparable(olt.sim.state())
    olt.sim.faults.busy_pattern = r"^service inet "
    olt.sim.faults.busy_count = 50
    with pytest.raises(DriverError) as raised:
        olt.driver().provision(_service(olt.waiting()[0]))
    assert raised.value.code == "device_busy"
    assert _comparable(olt.sim.state()) == before


def test_pager_and_alarm_lines_are_handled(olt):
    for number in range(40):
        olt.sim.add_autofind(pon="1/1/1", serial=f"ZTEGC{number:07X}")
    olt.sim.faults.reject_pattern = r"^terminal length"  # paging stays on
    olt.sim.faults.async_every = 1
    result = olt.driver().discover()
    assert len(result.data) == len(olt.waiting()) == 43
    assert "More" not in result.transcript.to_text().replace("--More--", "")


def test_rx_power_falls_back_to_onu_rx_then_to_none(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    ref = OnuRef(waiting["pon"], olt.driver().provision(_service(waiting)).data.onu_id)
    expected = olt.onu(waiting["serial"])["rx_power"]
    olt.sim.faults.reject_pattern = r"^show pon power attenuation"
    result = olt.driver().status(ref)
    assert result.data.rx_power_dbm == pytest.approx(expected, abs=0.001)
    assert any(c.startswith("show pon power onu-rx") for c in result.transcript.commands())
    olt.sim.faults.reject_pattern = r"^show pon power"
    status = olt.driver().status(ref).data
    assert (status.run_state, status.rx_power_dbm) == ("online", None)


def test_status_reads_offline_onus_without_rx(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    provisioned = olt.driver().provision(_service(waiting)).data
    olt.sim.set_run_state(waiting["serial"], "offline")
    status = olt.driver().status(OnuRef(provisioned.pon, provisioned.onu_id)).data
    assert (status.admin_state, status.run_state, status.rx_power_dbm) == ("enabled", "offline", None)


def test_serial_mismatch_refuses_to_touch_another_onu(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    provisioned = olt.driver().provision(_service(waiting)).data
    before = _comparable(olt.sim.state())
    for operation in ("suspend", "remove"):
        with pytest.raises(InvalidInput) as raised:
            getattr(olt.driver(), operation)(OnuRef(provisioned.pon, provisioned.onu_id, "ZTEG00000001"))
        assert raised.value.field == "serial"
    assert _comparable(olt.sim.state()) == before


def test_static_and_dhcp_wan_and_standalone_wifi(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    ref = OnuRef(waiting["pon"], olt.driver().provision(_service(waiting)).data.onu_id, waiting["serial"])
    olt.driver().provision_wan(ref, _wan(mode="dhcp", username="", password=""))
    assert olt.onu(waiting["serial"])["wan"][0]["mode"] == "dhcp"
    static = _wan(
        mode="static", username="", password="", ip="10.20.30.2", netmask="255.255.255.0", gateway="10.20.30.1"
    )
    olt.driver(options={"ip_profile": "STATIC-IP"}).provision_wan(ref, static)
    wan = olt.onu(waiting["serial"])["wan"][0]
    assert (wan["mode"], wan["address"], wan["ip_profile"]) == ("static", "10.20.30.2", "STATIC-IP")
    olt.driver().provision_wifi(ref, WifiConfig(index=2, ssid="Open-Net", auth_mode="open"))
    assert olt.onu(waiting["serial"])["wifi"]["wifi_0/2"]["ssid"] == "Open-Net"


def test_wifi_refused_by_old_firmware_leaves_nothing(olt_ssh):
    with _start(olt_ssh.platform, "telnet", onus=1, options={"wifi": False}) as sim:
        olt = Olt(olt_ssh.platform, "telnet", sim)
        before = _comparable(sim.state())
        with pytest.raises(CommandRejected):
            olt.driver().provision(_service(olt.waiting()[0]), wan=_wan(), wifi=[_wifi()])
        assert _comparable(sim.state()) == before


def test_wifi_declared_unsupported_is_refused_before_login(olt_ssh):
    olt = olt_ssh
    attempts = olt.sim.logins["attempted"]
    driver = olt.driver(options={"wifi": "false"})
    with pytest.raises(UnsupportedOperation):
        driver.provision(_service(olt.waiting()[0]), wifi=[_wifi()])
    assert olt.sim.logins["attempted"] == attempts


def test_bad_input_is_refused_before_any_login(olt):
    waiting = olt.waiting()[0]
    attempts = olt.sim.logins["attempted"]
    cases = [
        (lambda: olt.driver().provision(_service(waiting, serial="ZTEG123")), "serial"),
        (lambda: olt.driver().provision(_service(waiting, pon="0/1")), "pon"),
        (lambda: olt.driver().provision(_service(waiting, vlan=0)), "vlan"),
        (lambda: olt.driver().provision(_service(waiting, onu_id=0)), "onu_id"),
        (lambda: olt.driver().provision(_service(waiting, onu_id=129)), "onu_id"),
        (lambda: olt.driver().provision(_service(waiting, onu_type="ZTE F660")), "onu_type"),
        (lambda: olt.driver().provision(_service(waiting, description="a b")), "description"),
        (lambda: olt.driver().provision(_service(waiting), wan=_wan(password="pw with space")), "wan.password"),
        (lambda: olt.driver().provision(_service(waiting), wan=_wan(username="x\nexit")), "wan.username"),
        (lambda: olt.driver().provision(_service(waiting), wifi=[WifiConfig(5, "ssid", WIFI_KEY)]), "wifi.index"),
        (lambda: olt.driver(options={"suspend_form": "unplug"}).suspend(OnuRef("1/1/1", 1)), "options.suspend_form"),
        (lambda: olt.driver(options={"vlan_profile": "a b"}).suspend(OnuRef("1/1/1", 1)), "options.vlan_profile"),
        (lambda: olt.driver().status(OnuRef("1/1/1:1", 1)), "pon"),
        (lambda: olt.driver().bulk_apply([OnuRef("1/1/1", 1)], BulkChange("traffic_profile", {})), "params.profile"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as raised:
            call()
        assert raised.value.field == field
        _no_secrets(str(raised.value))
    assert olt.sim.logins["attempted"] == attempts


def test_host_key_mismatch_is_refused_before_the_password(olt_ssh):
    olt = olt_ssh
    attempts = olt.sim.logins["attempted"]
    with pytest.raises(HostKeyMismatch) as raised:
        olt.driver(host_key="SHA256:wrong").discover()
    assert raised.value.seen == olt.sim.host_key_fingerprint
    assert olt.sim.logins["attempted"] == attempts
    pinned = olt.driver(host_key=olt.sim.host_key_fingerprint)
    pinned.discover()
    assert pinned.seen_host_key == olt.sim.host_key_fingerprint


def test_bulk_apply_one_session_per_onu_results(olt):
    driver = olt.driver()
    refs = []
    with driver:
        for waiting in olt.waiting():
            refs.append(OnuRef(waiting["pon"], driver.provision(_service(waiting)).data.onu_id, waiting["serial"]))
    logins = olt.sim.logins["succeeded"]
    missing = OnuRef(refs[0].pon, 99)
    result = olt.driver().bulk_apply([refs[0], missing] + refs[1:], BulkChange("vlan", {"vlan": 200}))
    assert olt.sim.logins["succeeded"] == logins + 1
    assert [item.ok for item in result.data] == [True, False] + [True] * (len(refs) - 1)
    assert "not registered" in result.data[1].error
    for ref in refs:
        (port,) = olt.service_ports(ref.pon, ref.onu_id)
        assert port["vlan"] == 200
    profile = olt.driver().bulk_apply(refs, BulkChange("traffic_profile", {"profile": "200M"}))
    assert all(item.ok for item in profile.data)
    assert all(olt.onu(ref.serial)["tconts"]["1"]["profile"] == "200M" for ref in refs)


def test_bulk_apply_stops_at_a_lost_connection(olt_ssh):
    olt = olt_ssh
    driver = olt.driver()
    refs = []
    with driver:
        for waiting in olt.waiting():
            refs.append(OnuRef(waiting["pon"], driver.provision(_service(waiting)).data.onu_id))
    olt.sim.faults.drop_pattern = r"profile 300M"
    result = olt.driver().bulk_apply(refs, BulkChange("traffic_profile", {"profile": "300M"}))
    assert [item.ok for item in result.data] == [False] * len(refs)
    assert all("not attempted" in item.error for item in result.data[1:])


def test_secrets_never_reach_the_transcript_or_errors(olt_ssh):
    olt = olt_ssh
    driver = olt.driver()
    result = driver.provision(_service(olt.waiting()[0]), wan=_wan(), wifi=[_wifi()])
    text = result.transcript.to_text() + json.dumps(result.to_dict())
    _no_secrets(text)
    assert MASK in text
    olt.sim.faults.reject_pattern = r"^ssid auth"
    with pytest.raises(CommandRejected) as raised:
        olt.driver().provision_wifi(OnuRef(result.data.pon, result.data.onu_id), _wifi())
    _no_secrets(str(raised.value) + raised.value.transcript.to_text())


def test_wrong_password_is_an_authentication_error(olt):
    with pytest.raises(DriverError) as raised:
        olt.driver(password="Wr0ng-Passw0rd").discover()
    assert raised.value.code == "authentication_failed"
    assert "Wr0ng-Passw0rd" not in str(raised.value) + raised.value.transcript.to_text()
    assert olt.sim.logins["failed"] >= 1 and olt.sim.logins["succeeded"] == 0


def test_serial_registered_on_another_port_is_refused(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    olt.driver().provision(_service(waiting))
    other = "1/1/2" if waiting["pon"] == "1/1/1" else "1/1/1"
    before = _comparable(olt.sim.state())
    with pytest.raises(CommandRejected) as raised:
        olt.driver().provision(_service(waiting, pon=other))
    assert "already registered" in str(raised.value)
    assert _comparable(olt.sim.state()) == before


def test_onu_type_and_profiles_default_from_target_options(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    options = {"onu_type": "ZTE-F670L", "tcont_profile": "T1-1G", "vlan_profile": "VLAN100"}
    olt.driver(options=options).provision(_service(waiting, onu_type="", dba_profile=""), wan=_wan())
    onu = olt.onu(waiting["serial"])
    assert (onu["type"], onu["tconts"]["1"]["profile"], onu["wan"][0]["vlan_profile"]) == (
        "ZTE-F670L",
        "T1-1G",
        "VLAN100",
    )


def test_alarm_lines_in_the_middle_of_a_provisioning(olt):
    olt.sim.faults.async_every = 2
    waiting = olt.waiting()[0]
    driver = olt.driver()
    with driver:
        provisioned = driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
        status = driver.status(OnuRef(provisioned.pon, provisioned.onu_id)).data
    assert olt.onu(waiting["serial"])["wifi"]["wifi_0/1"]["ssid"] == "Cliente-0001"
    assert status.rx_power_dbm == pytest.approx(olt.onu(waiting["serial"])["rx_power"], abs=0.001)
    assert "%GPONSRV" not in driver.transcript.to_text()
