"""V-SOL V1600G/V1600D: the driver against the simulator over real SSH and Telnet.

Every operation is checked against the simulator's own state (sim.state()),
never against what the driver says it did.  Parsing tests run on captured
terminal output (prompts, echoes, pager, cursor escapes, syslog lines).
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simulator
from drivers import get_driver
from drivers.cli import clean_output
from drivers.errors import (
    AuthenticationError,
    CommandRejected,
    DeviceBusy,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
    ParseError,
    RollbackFailed,
    UnsupportedOperation,
)
from drivers.models import BulkChange, OnuRef, OnuService, Target, WanConfig, WifiConfig
from drivers.vsol import (
    SYSLOG_LINE,
    VsolDriver,
    parse_onu_info,
    parse_onu_state,
    parse_optical,
    parse_running_config,
)

ROOT = Path(__file__).resolve().parents[2]
TRANSCRIPTS = Path(__file__).parent / "transcripts"
PASSWORD = "Olt-Pa55-vsol"
ENABLE = "En-Pa55-vsol"
PPPOE_PASSWORD = "Ppp-S3cret-77"
WIFI_KEY = "Wifi-K3y-Secret"
SECRETS = (PASSWORD, ENABLE, PPPOE_PASSWORD, WIFI_KEY)
ESC = "\x1b"


# ---------------------------------------------------------------------------
# Parsing captured output (no device)
# ---------------------------------------------------------------------------


def test_clean_output_turns_cursor_forward_into_spaces():
    raw = "GPON0/1:1" + ESC + "[16CGPON002E64F8" + ESC + "[13Cunknow\r\n"
    assert clean_output(raw) == "GPON0/1:1" + " " * 16 + "GPON002E64F8" + " " * 13 + "unknow\n"


def test_clean_output_removes_pager_and_syslog_lines():
    raw = (
        "GPON0/1:1   enable   enable   working   GPON002E64F8\r\n"
        "2025/09/10 13:58:45   User Login   User x-10.0.0.1-telnet log in.\r\n"
        "--More--\r        \rGPON0/1:2   enable   disable   offline   GPON0CE43515\r\n"
    )
    text = clean_output(raw, VsolDriver.async_patterns)
    assert text.split("\n") == [
        "GPON0/1:1   enable   enable   working   GPON002E64F8",
        "GPON0/1:2   enable   disable   offline   GPON0CE43515",
        "",
    ]


def test_syslog_pattern_keeps_table_rows():
    assert re.search(SYSLOG_LINE, "2025/09/10 13:58:45   User Login   User x log in.\n", re.MULTILINE)
    assert not re.search(SYSLOG_LINE, "GPON0/1:1  GPON002E64F8  unknow\n", re.MULTILINE)


def test_parse_autofind_capture_of_three_ports():
    text = (TRANSCRIPTS / "vsol_autofind_three_ports.txt").read_text(encoding="utf-8")
    found = [(onu.pon, onu.serial, onu.olt_index, onu.model, onu.loid) for onu in VsolDriver.parse_autofind(text)]
    assert found == [
        ("0/1", "GPON002E64F8", "GPON0/1:1", "", ""),
        # the 16-hex form is normalised to the vendor form
        ("0/1", "HWTC0B086EA9", "GPON0/1:2", "", ""),
        ("0/3", "GPON0CE43515", "GPON0/3:1", "V2801S", "loid-7"),
    ]


def test_parse_autofind_takes_the_port_from_the_prompt_for_bare_indexes():
    text = (TRANSCRIPTS / "vsol_autofind_equipment_bare_index.txt").read_text(encoding="utf-8")
    [onu] = VsolDriver.parse_autofind(text)
    assert (onu.pon, onu.serial, onu.olt_index, onu.model, onu.vendor_id) == (
        "0/4",
        "GPON002E64F8",
        "GPON0/4:1",
        "V2802RH",
        "GPON",
    )


def test_parse_autofind_refuses_unknown_lines():
    with pytest.raises(DriverError):
        VsolDriver.parse_autofind("OnuIndex  Sn  State\nthis is not a row of the table at all\n")


def test_running_config_is_split_per_port_and_onu():
    text = (TRANSCRIPTS / "vsol_running_config_onu_detail.txt").read_text(encoding="utf-8")
    config = parse_running_config(text)
    assert sorted(config) == ["0/1", "0/2"]
    assert sorted(config["0/1"]) == [1, 12]
    assert config["0/1"][1][0] == "onu add 1 profile default sn GPON002E64F8"
    assert len(config["0/1"][1]) == 10
    assert config["0/2"] == {1: ["onu add 1 profile default sn HWTC0B086EA9"]}


def test_command_line_parse(tmp_path):
    capture = TRANSCRIPTS / "vsol_autofind_three_ports.txt"
    output = subprocess.run(
        [sys.executable, "-m", "drivers", "parse", "vsol", "autofind", str(capture)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [(item["pon"], item["serial"]) for item in json.loads(output)] == [
        ("0/1", "GPON002E64F8"),
        ("0/1", "HWTC0B086EA9"),
        ("0/3", "GPON0CE43515"),
    ]


# The V1600G0-B V1.4.8R structure (a published lab capture shows it; the values here are ours):
# every cell placed with "\r ESC[<n>C", a header ending in spaces, a blank line after each row.
V148R_INFO = (
    "Onuindex   Model                Profile                Mode    AuthInfo                      \r\n"
    + "-" * 93
    + "\r\n"
    + f"GPON0/1:2\r{ESC}[11CV824\r{ESC}[32Cdefault\r{ESC}[55Csn\r{ESC}[63CGPON0A0B0C02\r\n\n"
    + f"GPON0/1:10\r{ESC}[11Cunknown\r{ESC}[32Cdefault\r{ESC}[55Csn\r{ESC}[63Cgnxsb2b006ac\r\n\n"
)
V148R_STATE = (
    "OnuIndex    Admin State    OMCC State    Phase State    Serial Number\r\n"
    + "-" * 63
    + "\r\n"
    + f"GPON0/1:2\r{ESC}[12Cenable\r{ESC}[27Cenable\r{ESC}[41Cworking\r{ESC}[56CGPON0A0B0C02\r\n"
    + f"GPON0/1:10\r{ESC}[12Cenable\r{ESC}[27Cdisable\r{ESC}[41Coffline\r{ESC}[56CGNXSB2B006AC\r\n"
    + "pon: 1 total: 2 working: 1\r\n"
)


def test_cells_placed_with_the_cursor_are_read_under_their_header():
    rows = parse_onu_info(clean_output(V148R_INFO), "0/1")
    assert [(row.pon, row.onu_id, row.model, row.serial) for row in rows] == [
        ("0/1", 2, "V824", "GPON0A0B0C02"),
        # "unknown" is no model; a lower-case serial is the same serial
        ("0/1", 10, "", "GNXSB2B006AC"),
    ]
    states = parse_onu_state(clean_output(V148R_STATE), "0/1")
    assert [(s.onu_id, s.admin_state, s.run_state, s.serial) for s in states] == [
        (2, "enabled", "online", "GPON0A0B0C02"),
        (10, "enabled", "offline", "GNXSB2B006AC"),
    ]


def test_tables_are_read_by_their_header_whatever_the_layout():
    # another column (a public tool documents "Config State" on this family), a
    # separator broken by a space, trailing spaces, values pushed by a long index
    text = (
        "OnuIndex    Admin State    OMCC State    Phase State    Config State    Channel   \n"
        "-------------------------------- ---------------------------------------\n"
        "1/1/1:1     enable         enable        working        succeeded       1(GPON)   \n"
        "1/1/1:128   disable        disable       OffLine        succeeded       1(GPON)\n"
    )
    states = parse_onu_state(text)
    assert [(s.pon, s.onu_id, s.admin_state, s.run_state) for s in states] == [
        ("0/1", 1, "enabled", "online"),
        ("0/1", 128, "disabled", "offline"),
    ]
    assert parse_onu_state("OnuIndex    Admin State    OMCC State    Phase State    Channel\n" + "-" * 63) == []


def test_a_line_that_looks_like_data_and_cannot_be_read_fails_loudly():
    text = clean_output(V148R_INFO) + "GPON0/1:11 V422 default\n"
    with pytest.raises(ParseError) as raised:
        parse_onu_info(text, "0/1", firmware="V1.4.8R")
    assert "'show onu info' (firmware V1.4.8R)" in raised.value.message
    assert "GPON0/1:11 V422 default" in raised.value.message
    with pytest.raises(ParseError):
        parse_onu_state("Onu state follows\nGPON0/1:1  enable  enable  working  GPON0A0B0C02\n")


def test_an_unknown_phase_state_is_a_parse_error_not_offline():
    header = "OnuIndex    Admin State    OMCC State    Phase State    Channel\n" + "-" * 63 + "\n"
    (status,) = parse_onu_state(header + "1/1/1:1     enable         enable        syncMib        1(GPON)\n")
    assert status.run_state == "offline"
    with pytest.raises(ParseError) as raised:
        parse_onu_state(
            header + "1/1/1:1     enable         enable        Renegotiate    1(GPON)\n", firmware="V2.1.6R"
        )
    assert "Renegotiate" in raised.value.message and "V2.1.6R" in raised.value.message


def test_empty_results_in_the_words_of_each_firmware():
    assert parse_onu_info("No related information to show") == []
    assert (
        VsolDriver.parse_command(
            "show onu auto-find",
            "OnuIndex  Sn  State\n----------\n\nError: No related information to show. 62310",
        )
        == []
    )


def test_optical_lines_of_each_firmware():
    [new] = parse_optical(
        "Alarm                      : enable\n"
        "Rx optical level(ONU)      : -18.15\n"
        "Rx optical level(OLT)      : -25.40\n"
        "Lower rx optical threshold : ont internal policy\n"
        "Tx optical level           : 2.54\n"
        "Temperature                : 54.500(C)\n",
        "0/1",
        2,
    )
    assert (new.rx_power_dbm, new.olt_rx_power_dbm, new.tx_power_dbm) == (-18.15, -25.4, 2.54)
    [old] = parse_optical("ONU ID: 89\nRx optical level:             -19.580(dBm)\nTx optical level: 3.190(dBm)\n")
    assert (old.rx_power_dbm, old.tx_power_dbm) == (-19.58, 3.19)
    [dark] = parse_optical("Rx optical level(ONU)      : N/A\nTx optical level           : N/A\n")
    assert dark.rx_power_dbm is None
    with pytest.raises(ParseError):
        parse_optical("Temperature : 45.0(C)\n")


def test_parse_command_on_a_terminal_capture(tmp_path):
    capture = tmp_path / "state.txt"
    capture.write_text(
        "gpon-olt(config-pon-0/3)# show onu state\n" + clean_output(V148R_STATE) + "gpon-olt(config-pon-0/3)# ",
        encoding="utf-8",
    )
    output = subprocess.run(
        [sys.executable, "-m", "drivers", "parse", "vsol", str(capture), "--command", "show onu state"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert [(row["onu_id"], row["admin_state"], row["run_state"]) for row in json.loads(output)] == [
        (2, "enabled", "online"),
        (10, "enabled", "offline"),
    ]
    optical = tmp_path / "optical.txt"
    optical.write_text("gpon-olt(config-pon-0/3)# show onu 7 optical_info\nRx optical level(ONU)      : -21.02\n")
    [status] = VsolDriver.parse_command("show onu 7 optical_info", optical.read_text())
    assert (status.pon, status.onu_id, status.rx_power_dbm) == ("0/3", 7, -21.02)


# ---------------------------------------------------------------------------
# Against the simulator
# ---------------------------------------------------------------------------


@pytest.fixture(params=["ssh", "telnet"])
def sim(request):
    with simulator.start(
        platform="vsol",
        protocol=request.param,
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=3,
        options={"pons": ["0/1", "0/2", "0/3", "0/4"]},
    ) as running:
        yield running


def _target(sim, **overrides):
    values = {
        "platform": "vsol",
        "host": sim.host,
        "port": sim.port,
        "protocol": sim.protocol,
        "username": "admin",
        "password": PASSWORD,
        "secret": ENABLE,
        "command_timeout": 10.0,
        "options": {"busy_delay": 0.01},
    }
    options = overrides.pop("options", {})
    values.update(overrides)
    values["options"] = dict(values["options"], **options)
    return Target(**values)


def _driver(sim, **overrides):
    return VsolDriver(_target(sim, **overrides))


def _service(waiting, **overrides):
    values = {
        "serial": waiting["serial"],
        "pon": waiting["pon"],
        "vlan": 100,
        "description": "CT-0001",
        "line_profile": "default",
        "dba_profile": "default1",
    }
    values.update(overrides)
    return OnuService(**values)


def _wan():
    return WanConfig(mode="pppoe", vlan=100, username="client0001", password=PPPOE_PASSWORD)


def _wifi(index=1):
    return WifiConfig(index=index, ssid="Cliente-0001", key=WIFI_KEY)


def _onu(sim, serial):
    for onus in sim.state()["onus"].values():
        for onu in onus:
            if onu["serial"] == serial:
                return onu
    return None


def _comparable(state):
    state = json.loads(json.dumps(state))
    state.pop("saved", None)
    return state


def _no_secrets(text):
    for secret in SECRETS:
        assert secret not in text


def test_registry_gives_the_vsol_driver():
    assert get_driver("vsol") is VsolDriver


def test_discover_visits_every_port_in_one_session(sim):
    sim.add_autofind(pon="0/4", serial="GPON0A0B0C0D")
    expected = {(onu["pon"], onu["serial"]) for onu in sim.state()["autofind"]}
    result = _driver(sim).discover()
    assert {(onu.pon, onu.serial) for onu in result.data} == expected
    assert sim.logins["succeeded"] == 1
    # Without options['pon_ports'] the driver walks the ports until the OLT refuses one.
    assert "interface gpon 0/5" in sim.commands
    assert "terminal width 511" not in sim.commands


def test_discover_on_the_ports_the_caller_names(sim):
    sim.add_autofind(pon="0/2", serial="GPON0A0B0C0E")
    result = _driver(sim, options={"pon_ports": "0/2"}).discover()
    expected = {(onu["pon"], onu["serial"]) for onu in sim.state()["autofind"] if onu["pon"] == "0/2"}
    assert {(onu.pon, onu.serial) for onu in result.data} == expected
    assert not [command for command in sim.commands if command.startswith("interface gpon 0/1")]


@pytest.mark.parametrize("shape", ["simple", "equipment", "detail"])
def test_discover_reads_every_firmware_shape_with_cursor_escapes(shape):
    options = {"autofind_format": shape, "cursor_columns": True, "pons": ["0/1", "0/2"]}
    with simulator.start(
        platform="vsol",
        protocol="telnet",
        password=PASSWORD,
        secret=ENABLE,
        onus=4,
        options=options,
    ) as running:
        waiting = running.state()["autofind"]
        found = _driver(running).discover().data
    assert sorted((onu.pon, onu.serial) for onu in found) == sorted((onu["pon"], onu["serial"]) for onu in waiting)
    if shape != "simple":
        models = {onu["serial"]: onu["model"] for onu in waiting}
        assert all(onu.model == models[onu.serial] for onu in found)


def test_pager_is_answered_when_paging_is_on(sim):
    with simulator.start(
        platform="vsol",
        protocol=sim.protocol,
        password=PASSWORD,
        secret=ENABLE,
        registered=30,
        options={"pons": ["0/1"]},
    ) as running:
        driver = _driver(running)
        with driver:
            driver.session.execute("terminal length 5")
            table = driver._onu_table("0/1")
        assert sorted(table) == sorted(onu["id"] for onu in running.state()["onus"]["0/1"])
        assert len(table) == 30


def test_discover_detail_info_gives_model_and_version(sim):
    waiting = {onu["serial"]: onu for onu in sim.state()["autofind"]}
    found = _driver(sim, options={"autofind_detail": "yes", "pon_ports": "0/1,0/2,0/3,0/4"}).discover().data
    assert "show onu auto-find detail-info" in sim.commands
    assert {onu.serial for onu in found} == set(waiting)
    assert all(
        (onu.model, onu.version) == (waiting[onu.serial]["model"], waiting[onu.serial]["version"]) for onu in found
    )


def test_optical_command_falls_back_and_a_missing_reading_is_none(sim):
    waiting = sim.state()["autofind"][0]
    ref = OnuRef(waiting["pon"], _driver(sim).provision(_service(waiting)).data.onu_id)
    expected = _onu(sim, waiting["serial"])["rx_power"]
    assert _driver(sim).status(ref).data.rx_power_dbm == pytest.approx(expected, abs=0.01)
    # A firmware without the command: the status still answers, without RX power.
    driver = _driver(sim, options={"optical_command": "show onu {onu_id} optical"})
    status = driver.status(ref).data
    assert status.run_state == "online" and status.rx_power_dbm is None
    assert "RX power not read" in driver.transcript.to_text()


def test_lowest_free_onu_id_is_read_from_the_device(sim):
    waiting = sim.state()["autofind"]
    first = _driver(sim).provision(_service(waiting[0], pon="0/1", serial=waiting[0]["serial"])).data
    assert first.onu_id == 1
    sim.add_autofind(pon="0/1", serial="GPON0A0B0C10")
    second = _driver(sim).provision(_service({"serial": "GPON0A0B0C10", "pon": "0/1"})).data
    assert second.onu_id == 2
    _driver(sim).remove(OnuRef("0/1", 1))
    sim.add_autofind(pon="0/1", serial="GPON0A0B0C11")
    third = _driver(sim).provision(_service({"serial": "GPON0A0B0C11", "pon": "0/1"})).data
    assert third.onu_id == 1, "the hole left by a removed ONU is reused"


def test_full_lifecycle(sim):
    waiting = sim.state()["autofind"][0]
    driver = _driver(sim)
    with driver:
        provisioned = driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
        status = driver.status(OnuRef(provisioned.pon, provisioned.onu_id)).data
    assert sim.logins["succeeded"] == 1
    onu = _onu(sim, waiting["serial"])
    assert onu["id"] == provisioned.onu_id and provisioned.pon == waiting["pon"]
    assert onu["description"] == "CT-0001"
    assert waiting["serial"] not in {item["serial"] for item in sim.state()["autofind"]}
    assert len(onu["wan"]) == 1
    assert status.run_state == "online" and status.admin_state == "enabled"
    assert isinstance(status.rx_power_dbm, float)
    _no_secrets(driver.transcript.to_text())

    ref = OnuRef(provisioned.pon, provisioned.onu_id, waiting["serial"])
    _driver(sim).suspend(ref)
    assert _driver(sim).status(ref).data.admin_state == "disabled"
    _driver(sim).suspend(ref)
    _driver(sim).resume(ref)
    assert _driver(sim).status(ref).data.admin_state == "enabled"
    _driver(sim).resume(ref)
    _driver(sim).remove(ref)
    assert _onu(sim, waiting["serial"]) is None
    assert _driver(sim).remove(ref).data["removed"] is False


def test_rerun_of_completed_provisioning_changes_nothing(sim):
    waiting = sim.state()["autofind"][0]
    first = _driver(sim).provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
    before = _comparable(sim.state())
    second = _driver(sim).provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
    assert second.onu_id == first.onu_id
    assert _comparable(sim.state()) == before


def test_failure_at_every_step_leaves_the_device_as_it_was(sim):
    waiting = sim.state()["autofind"][0]
    probe = _driver(sim)
    with probe:
        probe.provision(_service(waiting), wan=_wan(), wifi=[_wifi()])
        sent = probe.transcript.commands()
        probe.remove(OnuRef(waiting["pon"], _onu(sim, waiting["serial"])["id"]))
    baseline = _comparable(sim.state())
    changing = [command for command in sent if command.startswith(("onu ", "no onu"))]
    assert len(changing) >= 10
    driver = _driver(sim)
    with driver:  # one login for all the attempts: the session survives a rejected command
        for command in changing:
            pattern = "^" + re.escape(command).replace(re.escape("********"), r"\S+") + "$"
            sim.faults.reject_pattern = pattern
            try:
                with pytest.raises(CommandRejected) as raised:
                    driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()])
            finally:
                sim.faults.reject_pattern = None
            assert _comparable(sim.state()) == baseline, f"device changed after failing at {command!r}"
            assert raised.value.outcome in ("undone", "unchanged"), raised.value.outcome
            _no_secrets(str(raised.value))
            _no_secrets(json.dumps(raised.value.to_dict()))
            _no_secrets(raised.value.transcript.to_text())
    assert sim.logins["succeeded"] == 2


def test_wan_before_the_onu_works_is_rejected_with_the_device_words(sim):
    waiting = sim.state()["autofind"][0]
    driver = _driver(sim)
    provisioned = driver.provision(_service(waiting)).data
    sim.set_run_state(waiting["serial"], "offline")
    before = _comparable(sim.state())
    with pytest.raises(CommandRejected) as raised:
        _driver(sim).provision_wan(OnuRef(provisioned.pon, provisioned.onu_id), _wan())
    assert "Unsupport private protocol" in str(raised.value)
    assert _comparable(sim.state()) == before
    status = _driver(sim).status(OnuRef(provisioned.pon, provisioned.onu_id)).data
    assert status.run_state == "offline" and status.rx_power_dbm is None


def test_wan_and_wifi_on_a_registered_onu(sim):
    waiting = sim.state()["autofind"][0]
    provisioned = _driver(sim).provision(_service(waiting)).data
    ref = OnuRef(provisioned.pon, provisioned.onu_id)
    _driver(sim).provision_wan(ref, _wan())
    _driver(sim).provision_wifi(ref, _wifi(2))
    onu = _onu(sim, waiting["serial"])
    assert len(onu["wan"]) == 1
    assert "2" in {str(index) for index in onu["wifi"]}


def test_secrets_never_reach_transcript_or_errors(sim):
    waiting = sim.state()["autofind"][0]
    driver = _driver(sim)
    driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()])
    text = driver.transcript.to_text() + json.dumps(driver.transcript.to_list())
    _no_secrets(text)
    assert "pwd ********" in text and "shared_key ********" in text


def test_bad_input_is_refused_before_any_login(sim):
    waiting = sim.state()["autofind"][0]
    attempts = sim.logins["attempted"]
    cases = [
        (lambda: _driver(sim).provision(_service(waiting, serial="GPON12")), "serial"),
        (lambda: _driver(sim).provision(_service(waiting, pon="0/1/1")), "pon"),
        (lambda: _driver(sim).provision(_service(waiting, onu_id=0)), "onu_id"),
        (lambda: _driver(sim).provision(_service(waiting, onu_id=129)), "onu_id"),
        (lambda: _driver(sim).provision(_service(waiting, vlan=0)), "vlan"),
        (
            lambda: _driver(sim).provision(_service(waiting, description="a b")),
            "description",
        ),
        (
            lambda: _driver(sim).provision(_service(waiting, line_profile="x\ny")),
            "line_profile",
        ),
        (
            lambda: _driver(sim).provision(_service(waiting), wan=WanConfig("pppoe", 100, "u", "p w")),
            "wan.password",
        ),
        (
            lambda: _driver(sim).provision(_service(waiting), wifi=[WifiConfig(9, "ssid", WIFI_KEY)]),
            "wifi.index",
        ),
        (
            lambda: _driver(sim).provision(_service(waiting), wifi=[WifiConfig(1, "a?b", WIFI_KEY)]),
            "wifi.ssid",
        ),
        (
            lambda: _driver(sim, options={"pon_ports": "0/1,x"}).discover(),
            "options.pon_ports",
        ),
        (
            lambda: _driver(sim, options={"wan_bind": "lan1 wan9"}).provision_wan(OnuRef("0/1", 1), _wan()),
            "options.wan_bind",
        ),
        (lambda: _driver(sim).suspend(OnuRef("0/1", 200)), "onu_id"),
        (lambda: _driver(sim, protocol="api").discover(), "protocol"),
    ]
    for call, field in cases:
        with pytest.raises(InvalidInput) as raised:
            call()
        assert raised.value.field == field
        _no_secrets(str(raised.value))
    with pytest.raises(UnsupportedOperation):
        _driver(sim).provision(_service(waiting), wan=WanConfig("dhcp", 100, wan_mode="bridge"))
    with pytest.raises(UnsupportedOperation):
        _driver(sim, options={"no_private_omci": "yes"}).provision(_service(waiting), wifi=[_wifi()])
    assert sim.logins["attempted"] == attempts
    assert sim.commands == []


def test_wrong_password_and_wrong_enable_password(sim):
    with pytest.raises(AuthenticationError) as raised:
        _driver(sim, password="Wrong-Pa55").discover()
    assert "Wrong-Pa55" not in str(raised.value)
    with pytest.raises(AuthenticationError) as raised:
        _driver(sim, secret="Wrong-En4ble").discover()
    assert "Wrong-En4ble" not in str(raised.value)


def test_host_key_mismatch_is_refused(sim):
    if sim.protocol != "ssh":
        pytest.skip("host keys exist only on SSH")
    attempts = sim.logins["attempted"]
    with pytest.raises(HostKeyMismatch) as raised:
        _driver(sim, host_key="SHA256:wrong").discover()
    assert raised.value.seen == sim.host_key_fingerprint
    assert sim.logins["attempted"] == attempts
    driver = _driver(sim, host_key=sim.host_key_fingerprint)
    driver.discover()
    assert driver.seen_host_key == sim.host_key_fingerprint


def test_busy_is_retried_then_reported(sim):
    waiting = sim.state()["autofind"][0]
    sim.faults.busy_pattern = r"^onu add"
    sim.faults.busy_count = 2
    provisioned = _driver(sim).provision(_service(waiting)).data
    assert _onu(sim, waiting["serial"])["id"] == provisioned.onu_id
    ref = OnuRef(provisioned.pon, provisioned.onu_id)
    sim.faults.busy_pattern = r"deactivate"
    sim.faults.busy_count = 10
    with pytest.raises(DeviceBusy):
        _driver(sim).suspend(ref)
    sim.faults.busy_count = 0


def test_syslog_lines_in_the_middle_of_output_are_ignored(sim):
    sim.faults.async_every = 2
    expected = {(onu["pon"], onu["serial"]) for onu in sim.state()["autofind"]}
    driver = _driver(sim, options={"pon_ports": "0/1,0/2,0/3,0/4"})
    assert {(onu.pon, onu.serial) for onu in driver.discover().data} == expected
    waiting = sim.state()["autofind"][0]
    provisioned = _driver(sim).provision(_service(waiting), wan=_wan()).data
    assert _onu(sim, waiting["serial"])["id"] == provisioned.onu_id


def test_save_uses_the_model_command(sim):
    saved = sim.state()["saved"]
    result = _driver(sim).save()
    assert sim.state()["saved"] == saved + 1 and result.data["command"] == "write"
    # V1600G answers "write memory" with "% Too many parameters.": the model decides.
    with pytest.raises(CommandRejected):
        _driver(sim, options={"model": "V1600GS"}).save()
    assert sim.state()["saved"] == saved + 1


def test_save_on_v1600gs_is_write_memory():
    with simulator.start(
        platform="vsol",
        protocol="telnet",
        password=PASSWORD,
        secret=ENABLE,
        options={"model": "V1600GS"},
    ) as gs:
        result = _driver(gs, options={"model": "V1600GS"}).save()
        assert gs.state()["saved"] == 1 and result.data["command"] == "write memory"
        assert "write" not in gs.commands


def test_bulk_apply_one_session_per_onu_results(sim):
    refs = []
    driver = _driver(sim)
    with driver:
        for number, waiting in enumerate(sim.state()["autofind"]):
            service = _service(waiting, description=f"CT-000{number}")
            refs.append(OnuRef(waiting["pon"], driver.provision(service).data.onu_id))
    logins = sim.logins["succeeded"]
    missing = OnuRef(refs[0].pon, 77)
    result = _driver(sim).bulk_apply([missing] + refs, BulkChange("vlan", {"vlan": 200}))
    assert sim.logins["succeeded"] == logins + 1
    assert [item.ok for item in result.data] == [False] + [True] * len(refs)
    assert result.data[0].onu == missing
    for ref in refs:
        ports = [
            port for port in sim.state()["service_ports"] if port["onu_id"] == ref.onu_id and port["pon"] == ref.pon
        ]
        assert ports and all(port["vlan"] == 200 for port in ports)


def test_bulk_vlan_change_never_leaves_an_onu_without_a_service_port(sim):
    serials = ["GPON0A0B0D01", "GPON0A0B0D02", "GPON0A0B0D03"]
    refs = []
    driver = _driver(sim, command_timeout=3.0)
    with driver:
        for serial in serials:
            sim.add_autofind(pon="0/4", serial=serial)
            refs.append(OnuRef("0/4", driver.provision(_service({"serial": serial, "pon": "0/4"})).data.onu_id))
    # The old service port of the second ONU cannot be removed: every login drops there.
    sim.faults.drop_pattern = rf"^no onu {refs[1].onu_id} service-port 1$"
    result = _driver(sim, command_timeout=3.0, options={"reconnect_delay": 0}).bulk_apply(
        refs, BulkChange("vlan", {"vlan": 300})
    )
    sim.faults.drop_pattern = None
    assert [item.ok for item in result.data] == [True, False, True]
    assert "service-port" in result.data[1].error
    for ref, item in zip(refs, result.data, strict=True):
        ports = [p for p in sim.state()["service_ports"] if p["onu_id"] == ref.onu_id and p["pon"] == ref.pon]
        assert ports, "the new service port exists before the old one goes"
        if item.ok:
            assert [port["vlan"] for port in ports] == [300]
        elif item.outcome in ("unchanged", "undone"):
            assert [port["vlan"] for port in ports] == [100], item
    second = _driver(sim).bulk_apply(refs, BulkChange("vlan", {"vlan": 300}))
    assert all(item.ok for item in second.data)
    for ref in refs:
        ports = [p for p in sim.state()["service_ports"] if p["onu_id"] == ref.onu_id and p["pon"] == ref.pon]
        assert [port["vlan"] for port in ports] == [300]


# ---------------------------------------------------------------------------
# Convergence: whatever was interrupted, a re-run ends where an uninterrupted run ends
# ---------------------------------------------------------------------------


@pytest.fixture
def lab():
    """One port, one waiting ONU, Telnet (the shared fault matrix covers both protocols)."""
    with simulator.start(
        platform="vsol",
        protocol="telnet",
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=1,
        options={"pons": ["0/1"]},
    ) as running:
        yield running


def _drop_at(sim, command):
    sim.faults.drop_pattern = "^" + re.escape(command).replace(re.escape("********"), r"\S+") + "$"


def _quick(sim, **overrides):
    options = dict(overrides.pop("options", {}), reconnect_delay=0, max_resyncs=1)
    return _driver(sim, command_timeout=5.0, options=options, **overrides)


def test_provisioning_dropped_before_any_command_converges_on_a_rerun(lab):
    waiting = lab.state()["autofind"][0]
    service = _service(waiting)
    probe = _driver(lab)
    with probe:
        probe.provision(service, wan=_wan(), wifi=[_wifi()])
        sent = probe.transcript.commands()
    final = _comparable(lab.state())
    onu_id = _onu(lab, waiting["serial"])["id"]
    _driver(lab).remove(OnuRef(waiting["pon"], onu_id))
    baseline = _comparable(lab.state())
    for command in sent:
        _drop_at(lab, command)
        left = []
        try:
            _quick(lab).provision(service, wan=_wan(), wifi=[_wifi()])
            outcome = "done"
        except DriverError as error:
            outcome, left = error.outcome, error.left
        finally:
            lab.faults.drop_pattern = None
        reached = _comparable(lab.state())
        # What the result says is what the device holds (or that it could not be read).
        if outcome == "done":
            assert reached == final, command
        elif outcome in ("", "unchanged", "undone"):
            assert reached == baseline, (command, outcome)
        else:
            # "left": what could not be put back, or could not be read back to verify
            assert outcome == "left", (command, outcome, left)
        _driver(lab).provision(service, wan=_wan(), wifi=[_wifi()])
        assert _comparable(lab.state()) == final, f"a re-run after a drop at {command!r} did not converge"
        _driver(lab).remove(OnuRef(waiting["pon"], onu_id))
        assert _comparable(lab.state()) == baseline


def test_a_wan_left_uncommitted_is_committed_by_the_rerun(lab):
    waiting = lab.state()["autofind"][0]
    # the commit is sent and the session drops before its answer: did it commit?
    lab.faults.inject("drop_after", r"^onu 1 pri wan_adv commit$", count=3)
    with pytest.raises(DriverError) as raised:
        _quick(lab).provision(_service(waiting), wan=_wan())
    lab.faults.drop_after_pattern = None
    onu = _onu(lab, waiting["serial"])
    if raised.value.outcome == "undone":
        assert onu is None
    else:
        assert raised.value.outcome == "left" and onu is not None
    result = _driver(lab).provision(_service(waiting), wan=_wan()).data
    [wan] = _onu(lab, waiting["serial"])["wan"]
    assert wan["committed"] and wan["username"] == "client0001"
    assert result.onu_existed is (onu is not None)


def test_a_duplicated_wan_is_removed_and_the_wan_changed_in_place(lab):
    waiting = lab.state()["autofind"][0]
    ref = OnuRef(waiting["pon"], _driver(lab).provision(_service(waiting), wan=_wan()).data.onu_id)
    driver = _driver(lab)
    with driver:  # a second internet WAN, as an interrupted run of an older driver left it
        for line in (
            "onu 1 pri wan_adv add route",
            "onu 1 pri wan_adv index 2 route mode internet mtu 1492",
            "onu 1 pri wan_adv index 2 route ipv4 dhcp nat enable",
        ):
            driver.session.execute(line, ("configure terminal", "interface gpon 0/1"))
    assert len(_onu(lab, waiting["serial"])["wan"]) == 2
    changed = WanConfig(mode="pppoe", vlan=100, username="client0002", password=PPPOE_PASSWORD)
    result = _driver(lab).provision_wan(ref, changed)
    [wan] = _onu(lab, waiting["serial"])["wan"]
    assert (wan["index"], wan["username"], wan["committed"]) == (1, "client0002", True)
    assert "onu 1 pri wan_adv delete index 2" in result.transcript.commands()
    assert not [c for c in result.transcript.commands() if c.endswith("add route")], "changed in place"


def test_an_undo_that_needs_a_masked_password_says_what_is_left(lab):
    waiting = lab.state()["autofind"][0]
    ref = OnuRef(waiting["pon"], _driver(lab).provision(_service(waiting), wan=_wan()).data.onu_id)
    changed = WanConfig(mode="pppoe", vlan=100, username="client0002", password=PPPOE_PASSWORD)
    lab.faults.reject_pattern = r"^onu 1 pri wan_adv commit$"
    with pytest.raises(DriverError) as raised:
        _driver(lab).provision_wan(ref, changed)
    lab.faults.reject_pattern = None
    assert raised.value.outcome == "left"
    assert "masks the PPPoE password" in raised.value.message and "client0001" in raised.value.message
    _no_secrets(raised.value.message)


def test_results_name_what_existed_and_what_was_created(lab):
    waiting = lab.state()["autofind"][0]
    first = _driver(lab).provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
    assert first.onu_existed is False and first.preexisting == []
    assert first.created[:2] == ["onu", "desc"] and "wan" in first.created and "wifi:1" in first.created
    second = _driver(lab).provision(_service(waiting, vlan=200), wan=_wan()).data
    assert second.onu_existed is True and "onu" in second.preexisting and "onu" not in second.created
    assert second.service_ports == [2], "the new service port is made before the old one goes"
    ports = [p for p in lab.state()["service_ports"] if p["onu_id"] == first.onu_id]
    assert [(p["index"], p["vlan"]) for p in ports] == [(2, 200)]


def test_firmware_is_read_once_per_session_and_each_family_is_driven():
    for firmware, version in (("v1.4.8r", "V1.4.8R"), ("v2.1.6r", "V2.1.6R")):
        with simulator.start(
            platform="vsol",
            protocol="ssh",
            password=PASSWORD,
            secret=ENABLE,
            onus=1,
            options={"firmware": firmware, "pons": ["0/1"], "onu_running_config": firmware == "v1.4.8r"},
        ) as sim:
            waiting = sim.state()["autofind"][0]
            driver = _driver(sim)
            with driver:
                found = driver.discover().data
                provisioned = driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
                ref = OnuRef(provisioned.pon, provisioned.onu_id, waiting["serial"])
                status = driver.status(ref).data
                driver.suspend(ref)
                suspended = driver.status(ref).data
                driver.resume(ref)
                again = driver.provision(_service(waiting), wan=_wan(), wifi=[_wifi()]).data
            assert again.onu_existed and again.created == []
            assert driver.firmware == version and sim.commands.count("show version") == 1
            assert [onu.serial for onu in found] == [waiting["serial"]]
            assert (status.run_state, status.admin_state, status.serial) == ("online", "enabled", waiting["serial"])
            assert status.rx_power_dbm == pytest.approx(_onu(sim, waiting["serial"])["rx_power"], abs=0.01)
            assert (suspended.admin_state, suspended.run_state) == ("disabled", "offline")
            assert _onu(sim, waiting["serial"])["admin_state"] == "active"
            if firmware == "v2.1.6r":
                # no "show running-config onu N" here: the whole configuration is read
                assert "show running-config" in sim.commands
            _driver(sim).remove(ref)
            assert _onu(sim, waiting["serial"]) is None


# ---------------------------------------------------------------------------
# Fault matrix: drop before k, drop after k, late answer at k, for every command
# k of each operation.  VSOL_FULL_MATRIX=1 tries every point (figures for the
# report); CI tries every sixth point of provisioning only: the shared suite
# (tests/drivers/test_fault_matrix.py) covers every platform and operation.
# ---------------------------------------------------------------------------

FULL_MATRIX = os.environ.get("VSOL_FULL_MATRIX") == "1"
KINDS = ("drop", "drop_after", "late")


def _fast(sim, **options):
    return _driver(sim, command_timeout=0.6, options=dict(options, reconnect_delay=0, busy_delay=0.01))


def _points(commands):
    """(command, occurrence) of every command line a run sent."""
    seen, points = {}, []
    for command in commands:
        points.append((command, seen.get(command, 0)))
        seen[command] = seen.get(command, 0) + 1
    return points if FULL_MATRIX else points[::6]


def _matrix(sim, run, reset, tally):
    """Every fault at every point of ``run``: truthful result, and one re-run converges."""
    sim.faults.late_delay = 0.9
    reset()
    baseline = _comparable(sim.state())
    probe = run(_driver(sim))
    final = _comparable(sim.state())
    for kind in KINDS:
        for command, occurrence in _points(probe):
            reset()
            assert _comparable(sim.state()) == baseline
            pattern = "^" + re.escape(command).replace(re.escape("********"), r"\S+") + "$"
            sim.faults.inject(kind, pattern, skip=occurrence)
            outcome = "done"
            try:
                run(_fast(sim))
            except DriverError as error:
                outcome = error.outcome
            finally:
                sim.faults.drop_pattern = sim.faults.drop_after_pattern = sim.faults.late_pattern = None
            time.sleep(0.05 if kind != "late" else 1.0)  # the late answer lands on the abandoned session
            reached = _comparable(sim.state())
            truthful = (
                (outcome == "done" and reached == final)
                or (outcome in ("", "unchanged", "undone") and reached == baseline)
                or outcome == "left"
            )
            run(_driver(sim))
            converged = _comparable(sim.state()) == final
            tally.append((kind, command, outcome, truthful, converged))
            assert truthful, (kind, command, outcome)
            assert converged, (kind, command, outcome)


def _print_tally(name, tally):
    points = len(tally)
    print(f"\n{name}: {points} points, {sum(t[4] for t in tally)} converged, {sum(t[3] for t in tally)} truthful")


@pytest.fixture(params=["telnet", "ssh"] if FULL_MATRIX else ["telnet"])
def bench(request):
    with simulator.start(
        platform="vsol",
        protocol=request.param,
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=1,
        registered=0,
        options={"pons": ["0/1", "0/2"]},
    ) as running:
        yield running


def test_fault_matrix_of_provisioning(bench):
    waiting = bench.state()["autofind"][0]
    service, tally = _service(waiting), []

    def run(driver):
        with driver:
            driver.provision(service, wan=_wan(), wifi=[_wifi()])
            return driver.transcript.commands()

    def reset():
        onu = _onu(bench, waiting["serial"])
        if onu:
            _driver(bench).remove(OnuRef(waiting["pon"], onu["id"]))

    _matrix(bench, run, reset, tally)
    _print_tally(f"vsol/{bench.protocol} provision", tally)


@pytest.mark.skipif(not FULL_MATRIX, reason="tests/drivers/test_fault_matrix.py covers it in CI")
def test_fault_matrix_of_suspend_resume_remove(bench):
    waiting = bench.state()["autofind"][0]
    ref = OnuRef(waiting["pon"], _driver(bench).provision(_service(waiting), wan=_wan()).data.onu_id)
    tally = []
    for operation, before in (("suspend", "resume"), ("resume", "suspend")):

        def run(driver, operation=operation):
            with driver:
                getattr(driver, operation)(ref)
                return driver.transcript.commands()

        _matrix(bench, run, lambda before=before: getattr(_driver(bench), before)(ref), tally)

    def remove(driver):
        with driver:
            driver.remove(ref)
            return driver.transcript.commands()

    def registered():
        if _onu(bench, waiting["serial"]) is None:
            _driver(bench).provision(_service(waiting, onu_id=ref.onu_id), wan=_wan())

    _matrix(bench, remove, registered, tally)
    _print_tally(f"vsol/{bench.protocol} suspend+resume+remove", tally)


@pytest.mark.skipif(not FULL_MATRIX, reason="tests/drivers/test_fault_matrix.py covers it in CI")
def test_fault_matrix_of_a_bulk_vlan_change(bench):
    count = 20 if FULL_MATRIX else 3
    refs = []
    driver = _driver(bench)
    with driver:
        for number in range(count):
            serial = f"GPON0A0C{number:04X}"
            bench.add_autofind(pon="0/2", serial=serial)
            refs.append(OnuRef("0/2", driver.provision(_service({"serial": serial, "pon": "0/2"})).data.onu_id))
    tally = []

    def vlans(ref):
        ports = bench.state()["service_ports"]
        return sorted(p["vlan"] for p in ports if p["onu_id"] == ref.onu_id and p["pon"] == ref.pon)

    def run(driver):
        with driver:
            result = driver.bulk_apply(refs, BulkChange("vlan", {"vlan": 300}))
            commands = driver.transcript.commands()
        for ref, item in zip(refs, result.data, strict=True):
            # never a subscriber without a service port, whatever happened
            assert vlans(ref), f"{ref} was left without a service port"
            if item.ok:
                assert vlans(ref) == [300], (ref, item)
            elif item.outcome in ("unchanged", "undone"):
                assert vlans(ref) == [100], (ref, item)
        if not all(item.ok for item in result.data):
            error = DriverError("not every ONU was changed")
            error.outcome = "left"
            raise error
        return commands

    def reset():
        _driver(bench).bulk_apply(refs, BulkChange("vlan", {"vlan": 100}))

    _matrix(bench, run, reset, tally)
    _print_tally(f"vsol/{bench.protocol} bulk of {count}", tally)


def test_an_autofind_that_cannot_be_read_falls_back_to_the_other_command(lab):
    waiting = lab.state()["autofind"][0]
    lab.faults.reject_pattern = r"^show onu auto-find$"
    lab.faults.reject_text = "OnuIndex     Sn              State\n" + "-" * 40 + "\nGPON0/1:1 garbled\n"
    try:
        driver = _driver(lab, options={"pon_ports": "0/1"})
        found = driver.discover().data
    finally:
        lab.faults.reject_pattern = lab.faults.reject_text = None
    assert [onu.serial for onu in found] == [waiting["serial"]]
    assert "show onu auto-find detail-info" in lab.commands
    assert "cannot read the line 'GPON0/1:1 garbled'" in driver.transcript.to_text()


def test_a_service_port_made_by_hand_on_the_same_gemport_is_kept(lab):
    waiting = lab.state()["autofind"][0]
    onu_id = _driver(lab).provision(_service(waiting)).data.onu_id
    driver = _driver(lab)
    with driver:  # a second VLAN on the contract's gemport, added by hand
        driver.session.execute(
            f"onu {onu_id} service-port 2 gemport 1 uservlan 500 vlan 500 new_cos 0",
            ("configure terminal", "interface gpon 0/1"),
        )
    result = _driver(lab).provision(_service(waiting), wan=_wan())
    assert not [c for c in result.transcript.commands() if "service-port" in c], "the hand-made port is not touched"
    ports = sorted((p["index"], p["vlan"]) for p in lab.state()["service_ports"] if p["onu_id"] == onu_id)
    assert ports == [(1, 100), (2, 500)]
    again = _driver(lab).provision(_service(waiting))
    assert not [c for c in again.transcript.commands() if re.match(rf"(?:no )?onu {onu_id} ", c)], (
        "a re-run sends nothing"
    )
    assert sorted((p["index"], p["vlan"]) for p in lab.state()["service_ports"] if p["onu_id"] == onu_id) == ports


def test_an_undo_takes_back_all_it_can_and_names_only_what_it_cannot(lab):
    waiting = lab.state()["autofind"][0]
    onu_id = _driver(lab).provision(_service(waiting, vlan=300)).data.onu_id
    before = _onu(lab, waiting["serial"])
    ports_before = [p for p in lab.state()["service_ports"] if p["onu_id"] == onu_id]
    lab.faults.reject_pattern = r"wan_adv commit"
    with pytest.raises(RollbackFailed) as raised:
        _driver(lab).provision(_service(waiting, vlan=100), wan=_wan(), wifi=[_wifi()])
    lab.faults.reject_pattern = None
    after = _onu(lab, waiting["serial"])
    assert after["services"] == before["services"] and after["portvlan"] == before["portvlan"]
    assert [p for p in lab.state()["service_ports"] if p["onu_id"] == onu_id] == ports_before
    assert after["wan"] == []
    assert raised.value.outcome == "left"
    [left] = raised.value.left
    assert "wifi:1" in left and "no command to clear it" in left
    _no_secrets(raised.value.message)
