"""The Huawei SmartAX driver against the simulated OLT, over real SSH and Telnet.

Every check reads the simulator's own state (what the "device" holds), never
what the driver says it did.  The parser tests read the real outputs of
tests/drivers/captures/huawei/ and the terminal transcripts written for the
tests (tests/drivers/transcripts/huawei_*.txt: echo, prompts, completion
prompts, pager lines, cursor escapes and alarm blocks left in).
"""

import json
import os
import re
import subprocess
import sys
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
    UnsupportedOperation,
)
from drivers.huawei import HuaweiDriver
from drivers.models import BulkChange, OnuRef, OnuService, Target, WanConfig, WifiConfig

HERE = Path(__file__).parent
TRANSCRIPTS = HERE / "transcripts"
CORPUS = HERE / "captures" / "huawei"
FIXTURES = HERE / "fixtures"

PASSWORD = "Hw-Dev1ce-Pw"
PPPOE_PASSWORD = "Ppp0e-S3cret-9"
WIFI_KEY = "W1fi-K3y-Secret"
SECRETS = (PASSWORD, PPPOE_PASSWORD, WIFI_KEY)
MA5800 = {"model": "MA5800", "firmware": "V100R019C10", "olt_wifi": True}

PROTOCOLS = ("ssh", "telnet")


# -- parsing ------------------------------------------------------------------


def test_parse_autofind_terminal_capture():
    """Echo, prompt, completion prompt, 'Command:' echo, ESC[1D/ESC[1C, an alarm
    block inside a block and a pager line are all handled."""
    found = HuaweiDriver.parse_autofind((TRANSCRIPTS / "huawei_autofind_terminal.txt").read_text())
    assert [(onu.serial, onu.pon, onu.model, onu.vendor_id) for onu in found] == [
        ("HWTC0B086EA9", "0/1/3", "EG8010Hv6", "HWTC"),
        ("ZTEGD824CDF3", "0/2/15", "F660", "ZTEG"),
    ]
    assert found[0].mac == "B85F-B0E0-61DE" and found[0].software_version == "V5R020C10S035"
    assert found[0].password == "" and found[1].password == "1234567890" and found[1].loid == "LOID0001"
    assert found[1].mac == ""


def test_parse_autofind_old_firmware_and_empty():
    old = HuaweiDriver.parse_autofind((TRANSCRIPTS / "huawei_autofind_old_firmware.txt").read_text())
    assert [(onu.serial, onu.pon, onu.vendor_id, onu.version) for onu in old] == [
        ("HWTC11E70E9A", "0/1/0", "HWTC", "494.B")
    ]
    assert HuaweiDriver.parse_autofind((TRANSCRIPTS / "huawei_autofind_empty.txt").read_text()) == []


def test_parse_autofind_refuses_unknown_lines():
    text = (
        (TRANSCRIPTS / "huawei_autofind_old_firmware.txt")
        .read_text()
        .replace("   Loid                :", "   Something new       : 1")
    )
    with pytest.raises(DriverError):
        HuaweiDriver.parse_autofind(text)


def test_command_line_parser_prints_json():
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "drivers",
            "parse",
            "huawei",
            "autofind",
            str(TRANSCRIPTS / "huawei_autofind_terminal.txt"),
        ],
        capture_output=True,
        text=True,
        cwd=HERE.parent.parent,
        check=True,
    )
    assert [(item["serial"], item["pon"]) for item in json.loads(completed.stdout)] == [
        ("HWTC0B086EA9", "0/1/3"),
        ("ZTEGD824CDF3", "0/2/15"),
    ]


def test_parse_command_reads_a_real_capture_from_the_command_line():
    capture = CORPUS / "display_ont_info_port_all" / "claudemegaisp_ma5800_112_onts_shifted_rows.txt"
    completed = subprocess.run(
        # FILE before --command: argparse does not take the FILE after the option
        # (drivers/__main__.py, reported to the lead).
        [sys.executable, "-m", "drivers", "parse", "huawei", str(capture), "--command", "display ont info 8 all"],
        capture_output=True,
        text=True,
        cwd=HERE.parent.parent,
        check=True,
    )
    onus = json.loads(completed.stdout)
    assert len(onus) == 112 and {onu["pon"] for onu in onus} == {"0/2/8"}
    # Rows and the totals line pushed 37 columns right by a pager's erase are read too.
    assert [onu["serial"] for onu in onus if onu["onu_id"] in (19, 43)] == ["HWTC244C7B9E", "ECOM8EF23F9B"]


def test_autofind_password_printed_with_its_text():
    """MA5800 prints the ONU password as hex and, in brackets, as text (the
    layout of a public MA5800 session log): the text is the password."""
    assert HuaweiDriver._password_of("0x61697274656B00000000(airtek)") == "airtek"
    assert HuaweiDriver._password_of("0x31323334353637383930") == "1234567890"
    assert HuaweiDriver._password_of("0x00000000000000000000") == ""


def _corpus(slug, name):
    meta = json.loads((CORPUS / slug / f"{name}.json").read_text())
    return meta["command"], (CORPUS / slug / f"{name}.txt").read_text()


def test_broken_separator_and_two_ports_in_one_capture():
    command, text = _corpus("display_ont_info_port_all", "ntc_broken_separator_two_ports")
    assert "------------------------------- ------" in text
    onus = HuaweiDriver.parse_command(command, text)
    assert [(onu.pon, onu.onu_id, onu.description) for onu in onus] == [
        ("0/1/0", 0, "The boiling consignment budgets."),
        ("0/1/2", 0, "ONT_NO_DESCRIPTION"),
    ]


def test_an_added_column_is_read_by_the_header():
    """A firmware printing one more column (here MAC, between SN and Control)
    is read by the header; the values of the known columns do not move."""
    command, text = _corpus("display_ont_info_port_all", "claudemegaisp_ma5800_one_ont")
    widened = text.replace("SN         Control", "SN         MAC             Control").replace(
        "48575443FEFCC9A2  active", "48575443FEFCC9A2  A4BD-C436-D3EE  active"
    )
    assert widened != text
    assert HuaweiDriver.parse_command(command, widened) == HuaweiDriver.parse_command(command, text)


def test_a_row_that_does_not_fit_its_header_fails_loudly():
    command, text = _corpus("display_ont_info_port_all", "claudemegaisp_ma5800_one_ont")
    broken = text.replace("48575443FEFCC9A2  active", "48575443 FEFCC9A2  active")
    with pytest.raises(ParseError) as raised:
        HuaweiDriver.parse_command(command, broken)
    message = raised.value.message
    assert "display ont info 2 all" in message and "48575443 FEFCC9A2" in message
    with pytest.raises(ParseError) as raised:
        HuaweiDriver.parse_port_onts(broken, command=command, firmware="MA5800V100R018C00")
    assert "MA5800V100R018C00" in raised.value.message


def test_a_description_wrapped_onto_the_next_line():
    """Synthetic, in the layout a public MA5608T log shows (no licence, so not
    in the corpus): a description longer than its column goes on at the next
    line, cut inside a word when the column was full."""
    text = (
        "  F/S/P                   : 0/0/15\n"
        "  ONT-ID                  : 0\n"
        "  Control flag            : active\n"
        "  SN                      : 4857544300FFDC9B (HWTC-00FFDC9B)\n"
        "  Description             : CUSTOMER_NAME_0_0_15_9.7_\n"
        "                            1\n"
        "  Last down cause         : LOS\n"
    )
    [onu] = HuaweiDriver.parse_command("display ont info by-sn 4857544300FFDC9B", text)
    assert (onu.serial, onu.description, onu.last_down_cause) == ("HWTC00FFDC9B", "CUSTOMER_NAME_0_0_15_9.7_1", "los")


def test_empty_answers_are_empty_results():
    assert HuaweiDriver.parse_command("display ont info 0 all", "  Failure: There is no ONT available\n") == []
    assert HuaweiDriver.parse_command("display ont info 0 5", "  The required ONT does not exist\n") == []
    assert HuaweiDriver.parse_command("display service-port port 0/1/0", _NO_PORTS) == []
    assert HuaweiDriver.parse_command("display ont wan-info 0/1 0 0", "  Failure: The ONT is not online\n") == []


_NO_PORTS = "  Failure: No service virtual port can be operated\n"


@pytest.mark.parametrize("case", sorted(path.stem for path in (FIXTURES / "huawei_display_version").glob("*.txt")))
def test_firmware_from_display_version(case):
    from drivers.huawei import _PRODUCT, _VERSION

    text = (FIXTURES / "huawei_display_version" / f"{case}.txt").read_text()
    expected = json.loads((FIXTURES / "huawei_display_version" / f"{case}.json").read_text())
    assert (_VERSION.search(text).group(1), _PRODUCT.search(text).group(1)) == (
        expected["firmware"],
        expected["product"],
    )


def test_completion_echo_is_removed():
    text = "\r\n  Command:\r\n          display ont info 0 1\r\n  ----\r\n  F/S/P : 0/1/0\r\n"
    assert clean_output(text, HuaweiDriver.async_patterns).split("\n") == [
        "",
        "  ----",
        "  F/S/P : 0/1/0",
        "",
    ]


# -- against the simulator --------------------------------------------------------


@pytest.fixture(params=PROTOCOLS)
def protocol(request):
    return request.param


def start(protocol, onus=2, firmware="ma5800", **kwargs):
    return simulator.start(
        platform="huawei",
        protocol=protocol,
        username="admin",
        password=PASSWORD,
        onus=onus,
        options={"firmware": firmware, **kwargs.pop("options", {})},
        **kwargs,
    )


def target(sim, options=None, **overrides):
    values = {
        "platform": "huawei",
        "host": sim.host,
        "port": sim.port,
        "protocol": sim.protocol,
        "username": "admin",
        "password": PASSWORD,
        "command_timeout": 10.0,
        "options": {**MA5800, "busy_delay": 0.01, **(options or {})},
    }
    values.update(overrides)
    return Target(**values)


def driver(sim, **kwargs):
    return HuaweiDriver(target(sim, **kwargs))


def service(waiting, **overrides):
    values = {
        "serial": waiting["serial"],
        "pon": waiting["pon"],
        "vlan": 100,
        "description": "CT-0001",
        "line_profile": "10",
        "service_profile": "10",
        "traffic_profile": "10",
    }
    values.update(overrides)
    return OnuService(**values)


def pppoe():
    return WanConfig(mode="pppoe", vlan=100, username="client0001", password=PPPOE_PASSWORD)


def wifi():
    return WifiConfig(index=1, ssid="Cliente-0001", key=WIFI_KEY)


def onu_of(sim, serial):
    for onus in sim.state()["onus"].values():
        for onu in onus:
            if onu["serial"] == serial:
                return onu
    return None


def ports_of(sim, pon, onu_id):
    return [port for port in sim.state()["service_ports"] if (port["pon"], port["onu_id"]) == (pon, onu_id)]


def comparable(state):
    state = json.loads(json.dumps(state))
    state.pop("saved")
    return state


def assert_no_secrets(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_discover_every_port_in_one_login(protocol):
    with start(protocol, onus=5) as sim:
        result = driver(sim).discover()
        expected = {(item["serial"], item["pon"], item["model"]) for item in sim.state()["autofind"]}
        assert {(onu.serial, onu.pon, onu.model) for onu in result.data} == expected
        assert len({onu.pon for onu in result.data}) == 4, "the simulated OLT spreads 5 ONUs over its 4 ports"
        assert sim.logins["succeeded"] == 1
        assert "display ont autofind all" in result.transcript.commands()


@pytest.mark.parametrize("firmware", ["ma5683t", "ma5608t"])
def test_discover_old_firmware_layout(firmware):
    with start("ssh", onus=3, firmware=firmware) as sim:
        found = driver(sim, options={"model": firmware.upper()}).discover().data
        assert {(onu.serial, onu.pon) for onu in found} == {(a["serial"], a["pon"]) for a in sim.state()["autofind"]}
        assert all(onu.vendor_id == onu.serial[:4] for onu in found)


def test_discover_nothing_waiting(protocol):
    with start(protocol, onus=0) as sim:
        assert driver(sim).discover().data == []


def test_discover_pages_through_long_output_with_alarms():
    """40 ONUs are ~700 lines: more than a 512-line page; alarms interleave too."""
    with start("ssh", onus=40) as sim:
        sim.faults.async_every = 1
        found = driver(sim).discover().data
        assert len(found) == 40
        assert {onu.serial for onu in found} == {a["serial"] for a in sim.state()["autofind"]}


def test_provision_base_wan_wifi_and_status(protocol):
    with start(protocol) as sim:
        waiting = sim.state()["autofind"][0]
        olt = driver(sim)
        with olt:
            result = olt.provision(service(waiting), wan=pppoe(), wifi=[wifi()]).data
            status = olt.status(OnuRef(result.pon, result.onu_id)).data
        assert sim.logins["succeeded"] == 1
        onu = onu_of(sim, waiting["serial"])
        assert (onu["pon"], onu["id"]) == (result.pon, result.onu_id) == (waiting["pon"], 0)
        assert (onu["line_profile"], onu["service_profile"], onu["description"]) == (
            10,
            10,
            "CT-0001",
        )
        assert waiting["serial"] not in {item["serial"] for item in sim.state()["autofind"]}
        wan = onu["wan"][0]
        assert (
            wan["mode"],
            wan["username"],
            wan["password"],
            wan["vlan"],
            wan["internet_config"],
        ) == ("pppoe", "client0001", PPPOE_PASSWORD, 100, True)
        assert onu["wifi"]["1"] == {
            "ssid": "Cliente-0001",
            "auth_mode": "wpa2-psk",
            "encrypt_mode": "aes",
            "key": WIFI_KEY,
            "hidden": False,
        }
        [port] = ports_of(sim, result.pon, result.onu_id)
        assert (
            port["vlan"],
            port["user_vlan"],
            port["gemport"],
            port["inbound_traffic_table"],
        ) == (100, 100, 1, 10)
        assert result.service_ports == [port["index"]]
        assert (status.admin_state, status.run_state, status.serial) == (
            "enabled",
            "online",
            waiting["serial"],
        )
        assert status.rx_power_dbm == pytest.approx(onu["rx_power"])
        assert_no_secrets(olt.transcript.to_text(), json.dumps(olt.transcript.to_list()))


def test_olt_chooses_the_onu_id_and_profiles_by_name():
    with start("ssh", onus=0) as sim:
        first = sim.add_autofind(pon="0/1/2", serial="HWTC00000001")
        second = sim.add_autofind(pon="0/1/2", serial="HWTC00000002")
        third = sim.add_autofind(pon="0/1/2", serial="HWTC00000003")
        olt = driver(sim)
        with olt:
            a = olt.provision(service(first, description="")).data
            b = olt.provision(
                service(
                    second,
                    line_profile="line-profile_100",
                    service_profile="srv-profile_100",
                    traffic_profile="",
                )
            ).data
            c = olt.provision(service(third, onu_id=9, user_vlan=300, gemport=2)).data
        assert (a.onu_id, b.onu_id, c.onu_id) == (0, 1, 9)
        assert [onu["id"] for onu in sim.state()["onus"]["0/1/2"]] == [0, 1, 9]
        assert onu_of(sim, "HWTC00000002")["line_profile"] == 100
        assert ports_of(sim, "0/1/2", 1)[0]["inbound_traffic_table"] == 6, "no traffic table: the OLT default"
        [port] = ports_of(sim, "0/1/2", 9)
        assert (port["user_vlan"], port["vlan"], port["gemport"]) == (300, 100, 2)
        sent = olt.transcript.commands()
        assert "ont add 2 sn-auth 4857544300000001 omci ont-lineprofile-id 10 ont-srvprofile-id 10" in sent
        assert any(command.startswith("ont add 2 9 sn-auth") for command in sent)


def test_rerun_changes_nothing(protocol):
    with start(protocol) as sim:
        waiting = sim.state()["autofind"][0]
        first = driver(sim).provision(service(waiting), wan=pppoe(), wifi=[wifi()]).data
        before = comparable(sim.state())
        second = driver(sim).provision(service(waiting), wan=pppoe(), wifi=[wifi()])
        assert (second.data.onu_id, second.data.service_ports) == (
            first.onu_id,
            first.service_ports,
        )
        assert comparable(sim.state()) == before
        assert not any(command.startswith(("ont add", "service-port")) for command in second.transcript.commands())


def test_failure_at_every_step_leaves_the_device_as_it_was(protocol):
    with start(protocol) as sim:
        waiting = sim.state()["autofind"][0]
        probe = driver(sim)
        probe.provision(service(waiting), wan=pppoe(), wifi=[wifi()])
        sent = probe.transcript.commands()
        driver(sim).remove(OnuRef(waiting["pon"], onu_of(sim, waiting["serial"])["id"]))
        baseline = comparable(sim.state())
        # 'quit' is left out: rejecting it also blocks the logout, which Netmiko
        # then waits 30 s for.
        changing = [command for command in sent if not re.match(r"(display|quit)\b", command)]
        assert any(command.startswith("ont add") for command in changing)
        assert any(command.startswith("service-port") for command in changing)
        for command in changing:
            # The transcript shows secrets masked: any value stands in for them.
            sim.faults.reject_pattern = "^" + re.escape(command).replace(re.escape("********"), r"\S+") + "$"
            with pytest.raises(CommandRejected) as raised:
                driver(sim).provision(service(waiting), wan=pppoe(), wifi=[wifi()])
            sim.faults.reject_pattern = None
            assert type(raised.value) is CommandRejected, f"{command}: {raised.value}"
            assert "Parameter error" in raised.value.device_message
            assert comparable(sim.state()) == baseline, f"device changed after failing at {command!r}"
            assert_no_secrets(str(raised.value), raised.value.transcript.to_text())


def test_failure_on_a_reprovisioned_onu_undoes_only_what_changed():
    """The ONT exists already with its service port: a new WAN and WiFi are
    added, WiFi fails, the new WAN is taken back and the ONT stays."""
    with start("ssh") as sim:
        waiting = sim.state()["autofind"][0]
        driver(sim).provision(service(waiting))
        before = comparable(sim.state())
        sim.faults.reject_pattern = r"^ont wifi "
        with pytest.raises(CommandRejected):
            driver(sim).provision(service(waiting), wan=pppoe(), wifi=[wifi()])
        assert comparable(sim.state()) == before
        assert onu_of(sim, waiting["serial"])["wan"] == []


def test_suspend_resume_status_remove(protocol):
    with start(protocol) as sim:
        waiting = sim.state()["autofind"][0]
        result = driver(sim).provision(service(waiting)).data
        ref = OnuRef(result.pon, result.onu_id)

        assert driver(sim).suspend(ref).data["already"] is False
        assert onu_of(sim, waiting["serial"])["admin_state"] == "deactivated"
        status = driver(sim).status(ref).data
        assert (status.admin_state, status.run_state, status.rx_power_dbm) == (
            "disabled",
            "offline",
            None,
        )
        assert driver(sim).suspend(ref).data["already"] is True

        driver(sim).resume(ref)
        assert onu_of(sim, waiting["serial"])["admin_state"] == "active"
        assert driver(sim).status(ref).data.admin_state == "enabled"

        sim.set_run_state(waiting["serial"], "offline")
        status = driver(sim).status(ref).data
        assert (status.admin_state, status.run_state, status.rx_power_dbm) == (
            "enabled",
            "offline",
            None,
        )

        removed = driver(sim).remove(ref).data
        assert removed["removed"] is True and removed["service_ports"] == result.service_ports
        assert onu_of(sim, waiting["serial"]) is None
        assert ports_of(sim, ref.pon, ref.onu_id) == []
        assert waiting["serial"] in {item["serial"] for item in sim.state()["autofind"]}
        assert driver(sim).remove(ref).data["removed"] is False
        with pytest.raises(CommandRejected):
            driver(sim).status(ref)


def test_failed_remove_puts_the_service_port_back():
    with start("ssh") as sim:
        waiting = sim.state()["autofind"][0]
        result = driver(sim).provision(service(waiting)).data
        before = comparable(sim.state())
        sim.faults.reject_pattern = r"^ont delete "
        with pytest.raises(CommandRejected):
            driver(sim).remove(OnuRef(result.pon, result.onu_id))
        assert comparable(sim.state()) == before


def test_save_is_recorded(protocol):
    with start(protocol, onus=0) as sim:
        driver(sim).save()
        assert sim.state()["saved"] == 1


def test_busy_is_retried_then_reported():
    with start("telnet") as sim:
        waiting = sim.state()["autofind"][0]
        sim.faults.busy_pattern, sim.faults.busy_count = r"^ont add", 2
        assert driver(sim).provision(service(waiting)).data.onu_id == 0
        assert onu_of(sim, waiting["serial"]) is not None

        other = sim.state()["autofind"][0]
        before = comparable(sim.state())
        sim.faults.busy_pattern, sim.faults.busy_count = r"^service-port", 10
        with pytest.raises(DeviceBusy):
            driver(sim).provision(service(other))
        assert comparable(sim.state()) == before


def test_alarms_and_completion_prompts_do_not_disturb_provisioning():
    with start("telnet", options={"completion_prompts": "always"}) as sim:
        sim.faults.async_every = 1
        waiting = sim.state()["autofind"][1]
        olt = driver(sim)
        with olt:
            result = olt.provision(service(waiting), wan=pppoe()).data
            status = olt.status(OnuRef(result.pon, result.onu_id)).data
        assert status.run_state == "online" and isinstance(status.rx_power_dbm, float)
        assert onu_of(sim, waiting["serial"])["id"] == result.onu_id


def test_bulk_vlan_and_traffic_table_in_one_login():
    with start("ssh", onus=3) as sim:
        refs = []
        olt = driver(sim)
        with olt:
            for item in sim.state()["autofind"]:
                refs.append(OnuRef(item["pon"], olt.provision(service(item)).data.onu_id))
        logins = sim.logins["succeeded"]
        missing = OnuRef(refs[0].pon, 77)
        result = driver(sim).bulk_apply(refs + [missing], BulkChange("vlan", {"vlan": 200})).data
        assert [item.ok for item in result] == [True, True, True, False]
        assert "does not exist" in result[3].error
        for ref in refs:
            assert onu_of_ref(sim, ref)["native_vlan"]["eth 1"]["vlan"] == 200
        result = driver(sim).bulk_apply(refs, BulkChange("traffic_profile", {"profile": "20"})).data
        assert all(item.ok for item in result)
        for ref in refs:
            [port] = ports_of(sim, ref.pon, ref.onu_id)
            assert (
                port["inbound_traffic_table"],
                port["outbound_traffic_table"],
                port["vlan"],
            ) == (20, 20, 100)
        assert sim.logins["succeeded"] == logins + 2


def test_bulk_stops_when_the_connection_is_lost(protocol):
    with start(protocol, onus=3) as sim:
        olt = driver(sim)
        refs = []
        with olt:
            for item in sim.state()["autofind"]:
                refs.append(OnuRef(item["pon"], olt.provision(service(item)).data.onu_id))
        sim.faults.drop_pattern = r"^ont port native-vlan 1 "
        # Over SSH a dropped channel is only noticed by the command timeout.
        result = driver(sim, command_timeout=2.0).bulk_apply(refs, BulkChange("vlan", {"vlan": 300})).data
        # The session is opened again for the ONU that lost it (within the
        # driver's budget); the one whose command never gets through fails,
        # the others are done, and each result says which.
        assert [item.ok for item in result] == [True, False, True]
        assert [onu_of_ref(sim, ref)["native_vlan"].get("eth 1", {}).get("vlan") for ref in refs] == [300, None, 300]


def onu_of_ref(sim, ref):
    return next(onu for onu in sim.state()["onus"][ref.pon] if onu["id"] == ref.onu_id)


def test_bad_input_is_refused_before_any_login():
    with start("ssh") as sim:
        waiting = sim.state()["autofind"][0]
        cases = [
            (
                lambda: driver(sim).provision(service(waiting, serial="HWTC0B08")),
                "serial",
            ),
            (lambda: driver(sim).provision(service(waiting, pon="0/1/2/3")), "pon"),
            (lambda: driver(sim).provision(service(waiting, vlan=4095)), "vlan"),
            (lambda: driver(sim).provision(service(waiting, onu_id=128)), "onu_id"),
            (
                lambda: driver(sim).provision(service(waiting, description="CT 1\nquit")),
                "description",
            ),
            (
                lambda: driver(sim).provision(service(waiting, line_profile="")),
                "line_profile",
            ),
            (
                lambda: driver(sim).provision(service(waiting, traffic_profile="x y")),
                "traffic_profile",
            ),
            (
                lambda: driver(sim).provision(service(waiting), wan=WanConfig("pppoe", 100, "a b", "pw-123")),
                "wan.username",
            ),
            (
                lambda: driver(sim).provision(service(waiting), wifi=[WifiConfig(1, "ok", "short")]),
                "wifi.key",
            ),
            (
                lambda: driver(sim).provision(service(waiting), wifi=[WifiConfig(1, "ok\r", WIFI_KEY)]),
                "wifi.ssid",
            ),
            (lambda: driver(sim).suspend(OnuRef("0/1/x", 1)), "pon"),
            (
                lambda: driver(sim).bulk_apply([OnuRef("0/1/0", 1)], BulkChange("vlan", {"vlan": 0})),
                "params.vlan",
            ),
            (lambda: driver(sim, protocol="api").discover(), "protocol"),
        ]
        for call, field in cases:
            with pytest.raises(InvalidInput) as raised:
                call()
            assert raised.value.field == field
        assert sim.logins["attempted"] == 0


@pytest.mark.parametrize(
    "options, wan, wifi_ok",
    [
        ({"model": "MA5608T", "firmware": "V800R013C00"}, False, False),
        ({"model": "MA5608T", "firmware": "V800R015C00", "olt_wifi": True}, False, False),
        ({"model": "MA5683T", "firmware": "V800R017C10", "olt_wifi": True}, True, False),
        ({"model": "MA5800", "firmware": "V100R018C10", "olt_wifi": True}, True, False),
        ({"model": "MA5800", "firmware": "V100R019C10"}, True, False),
        ({"model": "MA5800", "firmware": "V100R019C10", "olt_wifi": True}, True, True),
        ({"model": "MA5800", "firmware": "V100R022C10", "olt_wifi": True, "omci_wan": "none"}, False, True),
    ],
)
def test_unsupported_wan_and_wifi_refused_before_sending(options, wan, wifi_ok):
    with start("ssh") as sim:
        waiting = sim.state()["autofind"][0]
        olt = HuaweiDriver(Target(**{**target(sim).__dict__, "options": {"busy_delay": 0.01, **options}}))
        assert (olt.supports_wan(), olt.supports_wifi()) == (wan, wifi_ok)
        if not wan:
            with pytest.raises(UnsupportedOperation):
                olt.provision(service(waiting), wan=pppoe())
        if not wifi_ok:
            with pytest.raises(UnsupportedOperation):
                olt.provision(service(waiting), wifi=[wifi()])
            with pytest.raises(UnsupportedOperation):
                olt.provision_wifi(OnuRef(waiting["pon"], 0), wifi())
        with pytest.raises(UnsupportedOperation):
            olt.bulk_apply([OnuRef(waiting["pon"], 0)], BulkChange("dns", {"primary": "1.1.1.1"}))
        assert sim.logins["attempted"] == 0


def test_wan_on_ma5608t_firmware_is_unsupported_by_the_device_too():
    """The simulated MA5608T lacks 'ont internet-config': had the driver sent it,
    the device would have refused; it is refused before the session instead."""
    with start("ssh", firmware="ma5608t") as sim:
        waiting = sim.state()["autofind"][0]
        olt = driver(sim, options={"model": "MA5608T", "firmware": "V800R013C00"})
        with pytest.raises(UnsupportedOperation):
            olt.provision(service(waiting), wan=pppoe())
        assert sim.commands == []
        assert olt.provision(service(waiting)).data.onu_id == 0


@pytest.mark.parametrize("firmware", ["ma5608t_v800r015", "ma5608t_v800r013"])
def test_firmware_read_from_the_device_refuses_wan_before_any_change(firmware):
    """Nothing declared in the options: 'display version' says V800R015, which
    has no OMCI WAN, so nothing is changed; the device would refuse it too."""
    with start("ssh", firmware=firmware) as sim:
        waiting = sim.state()["autofind"][0]
        olt = HuaweiDriver(Target(**{**target(sim).__dict__, "options": {}}))
        with pytest.raises(UnsupportedOperation) as raised:
            olt.provision(service(waiting), wan=pppoe())
        assert raised.value.outcome in ("", "unchanged")
        assert olt.firmware.startswith("MA5600V800R01")
        changing = ("ont ", "service-port", "undo ont", "undo service-port", "interface")
        assert not [command for command in sim.commands if command.startswith(changing)]
        assert onu_of(sim, waiting["serial"]) is None


def test_two_part_pon_takes_the_frame_option():
    with start("ssh") as sim:
        waiting = sim.state()["autofind"][0]
        slot_port = waiting["pon"].split("/", 1)[1]
        result = driver(sim, options={"frame": 0}).provision(service(waiting, pon=slot_port)).data
        assert result.pon == waiting["pon"]
        assert onu_of(sim, waiting["serial"])["id"] == result.onu_id


def test_separate_wan_and_wifi_operations_roll_back(protocol):
    with start(protocol) as sim:
        waiting = sim.state()["autofind"][0]
        result = driver(sim).provision(service(waiting)).data
        ref = OnuRef(result.pon, result.onu_id)
        before = comparable(sim.state())
        sim.faults.reject_pattern = r"^ont internet-config"
        static = WanConfig(
            mode="static",
            vlan=100,
            ip="10.0.0.2",
            netmask="255.255.255.0",
            gateway="10.0.0.1",
            dns1="1.1.1.1",
        )
        with pytest.raises(CommandRejected):
            driver(sim).provision_wan(ref, static)
        sim.faults.reject_pattern = None
        assert comparable(sim.state()) == before
        driver(sim).provision_wan(ref, static)
        wan = onu_of(sim, waiting["serial"])["wan"][0]
        assert (wan["mode"], wan["ip_address"], wan["gateway"], wan["pri_dns"]) == (
            "static",
            "10.0.0.2",
            "10.0.0.1",
            "1.1.1.1",
        )
        driver(sim).provision_wifi(
            ref,
            WifiConfig(
                2,
                "Second",
                WIFI_KEY,
                hidden=True,
                auth_mode="wpapsk/wpa2psk",
                encrypt="tkipaes",
            ),
        )
        assert onu_of(sim, waiting["serial"])["wifi"]["2"] == {
            "ssid": "Second",
            "auth_mode": "wpa-wpa2-psk",
            "encrypt_mode": "tkip-aes",
            "key": WIFI_KEY,
            "hidden": True,
        }


def test_wrong_password_and_host_key():
    with start("ssh", onus=0) as sim:
        with pytest.raises(AuthenticationError) as raised:
            driver(sim, password="Wr0ng-Passw0rd").discover()
        assert "Wr0ng-Passw0rd" not in str(raised.value)
        attempts = sim.logins["attempted"]
        with pytest.raises(HostKeyMismatch) as raised:
            driver(sim, host_key="SHA256:wrong").discover()
        assert raised.value.seen == sim.host_key_fingerprint
        assert sim.logins["attempted"] == attempts
        pinned = driver(sim, host_key=sim.host_key_fingerprint)
        pinned.discover()
        assert pinned.seen_host_key == sim.host_key_fingerprint


def test_registry_and_netmiko_device_types():
    assert get_driver("huawei") is HuaweiDriver
    assert HuaweiDriver.device_types == {
        "ssh": "huawei_smartax",
        "telnet": "huawei_olt_telnet",
    }


def test_yes_no_banner_is_answered(protocol):
    with start(protocol, options={"yes_no_banner": True}) as sim:
        assert len(driver(sim).discover().data) == 2
        assert sim.logins["succeeded"] == 1


def test_ma5683t_provisions_wan_but_not_wifi(protocol):
    with start(protocol, firmware="ma5683t") as sim:
        waiting = sim.state()["autofind"][0]
        olt = driver(sim, options={"model": "MA5683T", "firmware": "V800R017C10"})
        with pytest.raises(UnsupportedOperation):
            olt.provision(service(waiting), wan=pppoe(), wifi=[wifi()])
        assert sim.logins["attempted"] == 0
        result = olt.provision(service(waiting), wan=pppoe()).data
        onu = onu_of(sim, waiting["serial"])
        assert onu["id"] == result.onu_id and onu["wan"][0]["internet_config"] is True
        assert onu["wifi"] == {}


# -- the fault matrix: drop before, drop after, late answer at every command ------------------------
#
# For every command k of an operation as an uninterrupted run sends it: the
# connection drops before k runs, drops after k ran, or k's answer comes
# after the client's timeout.  The result must be true to what the device
# holds, and one re-run must end exactly where the uninterrupted run ended.

FAST = {"reconnect_delay": 0.05, "max_resyncs": 3}
KINDS = ("drop", "drop_after", "late")
#: The shared tests/drivers/test_fault_matrix.py runs the matrix in CI.  This
#: one (SILVER_FULL_MATRIX=1) is the Huawei full run: both protocols, the
#: session's own preparation commands too, every command of a bulk of 20 ONUs
#: (about 17 minutes on the 2-core machine).
FULL = bool(os.environ.get("SILVER_FULL_MATRIX"))
MATRIX_PROTOCOLS = PROTOCOLS if FULL else ()
#: what Netmiko sends to prepare every session (the core's own suites fault those)
PREPARATION = ("undo smart", "enable", "infoswitch cli OFF", "disable", "scroll")


def _snapshot(sim, path):
    path.write_text(json.dumps(sim.state()))
    return comparable(sim.state())


def _restore(sim, path):
    with sim.device.lock:
        sim.device.load_state(str(path))
        sim.faults.reset()
        sim.device.changed()


def _points(commands):
    """(command, occurrence) for every command a run sent, in order."""
    seen, points = {}, []
    for command in commands:
        points.append((command, seen.get(command, 0)))
        seen[command] = seen.get(command, 0) + 1
    return points


def _run_matrix(sim, tmp_path, operation, timeout=1.0):
    """Every fault at every command of ``operation(driver)``: the counts tried,
    converged (one re-run ends as the uninterrupted run) and truthful."""
    start_file = tmp_path / "start.json"
    initial = _snapshot(sim, start_file)
    count_before = len(sim.commands)
    operation(driver(sim, options=FAST, command_timeout=timeout))
    final = comparable(sim.state())
    commands = sim.commands[count_before:]
    assert final != initial, "the operation changes the device"
    tried = converged = truthful = 0
    failures = []
    for command, occurrence in _points(commands):
        if not FULL and command in PREPARATION:
            continue
        for kind in KINDS:
            _restore(sim, start_file)
            sim.faults.inject(kind, "^" + re.escape(command) + "$", skip=occurrence, delay=timeout + 0.5)
            tried += 1
            try:
                operation(driver(sim, options=FAST, command_timeout=timeout))
                error = None
            except DriverError as raised:
                error = raised
            held = comparable(sim.state())
            if error is None:
                honest = held == final
            elif error.outcome in ("unchanged", "undone", ""):
                honest = held == initial
            else:
                honest = held != initial and bool(error.left)
            truthful += honest
            sim.faults.reset()
            operation(driver(sim, options=FAST, command_timeout=timeout))
            again = comparable(sim.state()) == final
            converged += again
            if not (honest and again):
                failures.append((kind, command, occurrence, error and error.to_dict(), honest, again))
    return tried, converged, truthful, failures


def _report(name, protocol, counts):
    tried, converged, truthful, failures = counts
    print(f"\nfault matrix huawei {protocol} {name}: tried {tried}, converged {converged}, truthful {truthful}")
    assert not failures, failures
    assert tried == converged == truthful


@pytest.mark.parametrize("protocol", MATRIX_PROTOCOLS)
def test_fault_matrix_provisioning(protocol, tmp_path):
    with start(protocol, onus=1) as sim:
        waiting = sim.state()["autofind"][0]
        counts = _run_matrix(sim, tmp_path, lambda olt: olt.provision(service(waiting), wan=pppoe(), wifi=[wifi()]))
        _report("provision (base, PPPoE WAN, WiFi)", protocol, counts)


@pytest.mark.parametrize("protocol", MATRIX_PROTOCOLS)
def test_fault_matrix_suspend_resume_remove(protocol, tmp_path):
    with start(protocol, onus=1) as sim:
        waiting = sim.state()["autofind"][0]
        result = driver(sim).provision(service(waiting), wan=pppoe()).data
        ref = OnuRef(result.pon, result.onu_id)
        _report("suspend", protocol, _run_matrix(sim, tmp_path, lambda olt: olt.suspend(ref)))
        driver(sim).suspend(ref)
        _report("resume", protocol, _run_matrix(sim, tmp_path, lambda olt: olt.resume(ref)))
        driver(sim).resume(ref)
        _report("remove", protocol, _run_matrix(sim, tmp_path, lambda olt: olt.remove(ref)))


@pytest.mark.parametrize("protocol", MATRIX_PROTOCOLS)
def test_fault_matrix_bulk_traffic_change(protocol, tmp_path):
    count = 20 if FULL else 6
    with start(protocol, onus=0, registered=count) as sim:
        refs = [OnuRef(onu["pon"], onu["id"]) for onus in sim.state()["onus"].values() for onu in onus]
        assert len(refs) == count

        def change(olt):
            result = olt.bulk_apply(refs, BulkChange("traffic_profile", {"profile": "20"})).data
            failed = [item for item in result if not item.ok]
            if failed:
                # What the run reports for the ONUs it could not finish: the caller re-runs those.
                error = DriverError("; ".join(item.error for item in failed))
                error.outcome = "left"
                error.left = [f"{item.onu.pon} {item.onu.onu_id}" for item in failed]
                raise error
            # In place: every subscriber kept its service port (same index) throughout.
            assert "undo service-port" not in " ".join(olt.transcript.commands())

        _report(f"bulk traffic profile, {count} ONUs", protocol, _run_matrix(sim, tmp_path, change))


# -- latency: a slow OLT (0.1 to 2 s per command, with jitter) ---------------------------------------


@pytest.mark.parametrize(
    "latency",
    [
        0.0,
        0.1,
        0.5,
        pytest.param(2.0, marks=pytest.mark.skipif(not os.environ.get("SILVER_SLOW"), reason="SILVER_SLOW=1")),
    ],
)
def test_lifecycle_on_a_slow_olt(latency):
    with start("telnet", onus=1) as sim:
        sim.faults.latency, sim.faults.jitter = latency, latency / 4
        waiting = sim.state()["autofind"][0]
        olt = driver(sim, command_timeout=10.0 + 4 * latency)
        with olt:
            result = olt.provision(service(waiting), wan=pppoe(), wifi=[wifi()]).data
            ref = OnuRef(result.pon, result.onu_id)
            olt.suspend(ref)
            assert onu_of(sim, waiting["serial"])["admin_state"] == "deactivated"
            olt.resume(ref)
            assert onu_of(sim, waiting["serial"])["admin_state"] == "active"
            assert olt.status(ref).data.run_state == "online"
            olt.remove(ref)
        assert onu_of(sim, waiting["serial"]) is None
        assert sim.logins["succeeded"] == 1


def test_discovery_falls_back_to_each_port_on_a_parse_error():
    """A listing with a line nobody knows: the ports it names are asked one by
    one ('display ont autofind P'), which the real OLT answers in the same block."""
    with start("ssh", onus=4) as sim:
        waiting = sim.state()["autofind"]
        sim.faults.reject_pattern = r"^display ont autofind all$"
        sim.faults.reject_text = (
            "   ----------------------------------------------------------------------------\n"
            f"   Number              : 1\n   F/S/P               : {waiting[0]['pon']}\n"
            "   A line nobody knows\n"
            f"   Number              : 2\n   F/S/P               : {waiting[1]['pon']}\n"
        )
        result = driver(sim).discover()
        expected = {(a["serial"], a["pon"]) for a in waiting if a["pon"] in (waiting[0]["pon"], waiting[1]["pon"])}
        assert {(onu.serial, onu.pon) for onu in result.data} == expected
        assert any(
            command.startswith("display ont autofind ") and command[-1].isdigit()
            for command in result.transcript.commands()
        )
