"""The CLI session (drivers/cli.py) and the driver base's reconnect, with the
real Netmiko client over real SSH and Telnet sockets to the simulator.

Every answer must belong to the command that caused it: a prompt left over
from session preparation, a slow device, a value that ends like a prompt or
an answer that comes after the timeout must never be read as the answer of
another command.
"""

import threading
import time

import pytest

import simulator
from drivers import get_driver
from drivers.errors import (
    AuthenticationError,
    CommandRejected,
    CommandTimeout,
    ConnectError,
    InvalidInput,
    LoginLockedOut,
    SessionLimit,
)
from drivers.models import BulkChange, OnuRef, OnuService, Target, WifiConfig

PASSWORD = "Sess10n-Pw-1"
WIFI_KEY = "Sess10n-W1fi-K3y"
BOTH = ["ssh", "telnet"]
#: a read-only command each platform answers
READ = {"huawei": "display version", "vsol": "show version", "zte": "show gpon onu uncfg"}


def _target(sim, platform, **overrides):
    values = {
        "platform": platform,
        "host": sim.host,
        "port": sim.port,
        "protocol": sim.protocol,
        "username": "admin",
        "password": PASSWORD,
        "command_timeout": 5.0,
        "options": {"busy_delay": 0.01, "reconnect_delay": 0.05},
    }
    options = overrides.pop("options", {})
    values.update(overrides)
    values["options"] = {**values["options"], **options}
    return Target(**values)


def _driver(sim, platform, **overrides):
    return get_driver(platform)(_target(sim, platform, **overrides))


@pytest.fixture
def sims():
    started = []

    def _start(platform, protocol, **kwargs):
        kwargs.setdefault("password", PASSWORD)
        sim = simulator.start(platform=platform, protocol=protocol, **kwargs)
        started.append(sim)
        return sim

    yield _start
    for sim in started:
        sim.stop()


def _registered(sim):
    return [onu for onus in sim.state()["onus"].values() for onu in onus]


# -- every answer is the answer of its own command ---------------------------------------


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("platform", ["zte", "zte_c600"])
def test_a_slow_zte_answers_each_command_not_the_one_before(sims, platform, protocol):
    """Netmiko's zte_zxros prepares the session with 'terminal length 0': at
    0.1 s per command its prompt arrives after the first command is sent, and
    was read as that command's answer (every answer one command late)."""
    sim = sims(platform, protocol, registered=2, latency=0.1)
    onu = _registered(sim)[1]
    driver = _driver(sim, platform)
    with driver:
        status = driver.status(OnuRef(onu["pon"], onu["id"])).data
        again = driver.status(OnuRef(onu["pon"], onu["id"])).data
    assert status.serial == onu["serial"] and again.serial == onu["serial"]
    assert status.onu_id == onu["id"]


@pytest.mark.parametrize("protocol", BOTH)
def test_a_slow_zte_provisions(sims, protocol):
    sim = sims("zte", protocol, onus=1, latency=0.1)
    waiting = sim.state()["autofind"][0]
    service = OnuService(
        serial=waiting["serial"], pon=waiting["pon"], vlan=100, onu_type="ZTE-F660", dba_profile="100M"
    )
    result = _driver(sim, "zte").provision(service).data
    assert [onu["serial"] for onu in _registered(sim)] == [waiting["serial"]]
    assert result.onu_id == _registered(sim)[0]["id"]


@pytest.mark.parametrize("protocol", BOTH)
def test_a_value_ending_like_the_prompt_does_not_end_the_read(sims, protocol):
    """A WiFi SSID ending 'ZXAN#': its echo ends like the prompt; the device's
    refusal after it must still be read as the answer."""
    sim = sims("zte", protocol, registered=1, latency=0.05)
    onu = _registered(sim)[0]
    before = sim.state()
    sim.faults.reject_pattern = r"ZXAN#"
    wifi = WifiConfig(index=1, ssid="Casa-ZXAN#", key=WIFI_KEY)
    with pytest.raises(CommandRejected):
        _driver(sim, "zte").provision_wifi(OnuRef(onu["pon"], onu["id"]), wifi)
    assert sim.state()["onus"] == before["onus"]


@pytest.mark.parametrize("protocol", BOTH)
def test_the_echo_anchors_the_answer_and_stale_output_is_a_note(sims, protocol):
    sim = sims("zte", protocol, registered=1)
    onu = _registered(sim)[0]
    driver = _driver(sim, "zte")
    with driver:
        session = driver.session
        # Output the device prints between two commands (a late line, a stale prompt).
        session.conn.write_channel("show clock" + session.conn.RETURN)
        time.sleep(0.2)
        text = session.read(f"show gpon onu by sn {onu['serial']}")
    assert f"gpon-onu_{onu['pon']}:{onu['id']}" in text and "show clock" not in text
    notes = [entry.text for entry in driver.transcript.entries if entry.kind == "note"]
    assert any(note.startswith("discarded what the device printed before") for note in notes)


@pytest.mark.parametrize("protocol", BOTH)
def test_a_timeout_hangs_up_and_the_late_answer_is_never_read(sims, protocol):
    sim = sims("zte", protocol, registered=1)
    onu = _registered(sim)[0]
    driver = _driver(sim, "zte", command_timeout=0.5)
    with driver:
        session = driver.session
        sim.faults.inject("late", r"^show gpon onu by sn", delay=1.5)
        with pytest.raises(CommandTimeout) as raised:
            session.read(f"show gpon onu by sn {onu['serial']}")
        assert "may still take effect" in str(raised.value)
        assert session.conn is None, "a session out of step is closed"
        with pytest.raises(ConnectError):
            session.read("show clock")
        deadline = time.monotonic() + 1.0
        while sim.sessions and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim.sessions == 0, "the device released the session when the client hung up"
        fresh = driver.reconnect()
        text = fresh.read(f"show gpon onu state gpon-olt_{onu['pon']}")
    assert "ONU Number" in text or f"{onu['pon']}:{onu['id']}" in text
    assert "gpon-onu_" not in text.split("\n")[0], "the late answer leaked into the next command"


# -- reconnect: bounded, session limits, lockouts ------------------------------------------


@pytest.mark.parametrize("protocol", BOTH)
@pytest.mark.parametrize("platform", ["huawei", "zte", "vsol"])
def test_a_session_limit_is_waited_for_then_refused_in_the_devices_words(sims, platform, protocol):
    sim = sims(platform, protocol)
    holder = _driver(sim, platform)
    holder.open()
    sim.faults.max_sessions = 1
    driver = _driver(sim, platform, options={"reconnect_attempts": 3, "reconnect_delay": 0.02})
    attempts = sim.logins["attempted"]
    with pytest.raises(SessionLimit) as raised:
        driver.reconnect()
    assert raised.value.retryable
    assert sim.logins["attempted"] - attempts == 3
    notes = [entry.text for entry in driver.transcript.entries if entry.kind == "note"]
    assert sum("failed" in note and "trying again" in note for note in notes) == 2
    assert sim.sessions == 1, "no half-open session left behind"
    # A session that frees up while the driver waits is taken.
    driver = _driver(sim, platform, options={"reconnect_attempts": 4, "reconnect_delay": 0.1})
    threading.Timer(0.15, holder.close).start()
    session = driver.reconnect()
    assert session.read(READ[platform])
    driver.close()


@pytest.mark.parametrize("protocol", BOTH)
def test_a_refused_password_is_never_retried(sims, protocol):
    sim = sims("huawei", protocol)
    driver = _driver(sim, "huawei", password="Wr0ng-Pw-9", options={"reconnect_attempts": 5})
    attempts = sim.logins["attempted"]
    with pytest.raises(AuthenticationError):
        driver.reconnect()
    assert sim.logins["attempted"] - attempts == 1


def test_a_lockout_is_named_and_never_retried(sims):
    sim = sims("zte", "telnet")
    sim.faults.lockout_after_failures = 1
    bad = _driver(sim, "zte", password="Wr0ng-Pw-9")
    with pytest.raises(AuthenticationError):
        bad.open()
    driver = _driver(sim, "zte", options={"reconnect_attempts": 5})
    attempts = sim.logins["attempted"]
    with pytest.raises(LoginLockedOut) as raised:
        driver.reconnect()
    assert "locked" in str(raised.value) or "too many failed" in str(raised.value)
    assert sim.logins["attempted"] - attempts == 1


def test_an_unreachable_device_ends_the_reconnect_after_the_attempts(sims):
    sim = sims("zte", "telnet")
    driver = _driver(sim, "zte", options={"reconnect_attempts": 2, "reconnect_delay": 0.01})
    sim.stop()
    started = time.monotonic()
    with pytest.raises(ConnectError):
        driver.reconnect()
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "options, field",
    [
        ({"max_resyncs": "two"}, "options.max_resyncs"),
        ({"max_resyncs": -1}, "options.max_resyncs"),
        ({"max_resyncs": "1\n"}, "options.max_resyncs"),
        ({"reconnect_delay": "soon"}, "options.reconnect_delay"),
        ({"reconnect_delay": -0.5}, "options.reconnect_delay"),
        ({"reconnect_delay": float("nan")}, "options.reconnect_delay"),
        ({"reconnect_attempts": 0}, "options.reconnect_attempts"),
        ({"busy_delay": "x"}, "options.busy_delay"),
    ],
)
def test_session_options_are_checked_before_any_login(sims, options, field):
    sim = sims("zte", "telnet", registered=1)
    onu = _registered(sim)[0]
    with pytest.raises(InvalidInput) as raised:
        _driver(sim, "zte", options=options).status(OnuRef(onu["pon"], onu["id"]))
    assert raised.value.field == field
    assert sim.logins["attempted"] == 0


# -- bulk: a lost session is followed by a new login, not by "not attempted" -------------------


@pytest.mark.parametrize("protocol", BOTH)
def test_bulk_goes_on_after_a_lost_session(sims, protocol):
    sim = sims("zte", protocol, registered=4)
    refs = [OnuRef(onu["pon"], onu["id"]) for onu in _registered(sim)]
    third = f"{refs[2].pon}:{refs[2].onu_id}"
    # Dropped before the third ONU's first command: nothing of it ran.
    sim.faults.inject("drop", rf"^interface gpon-onu_{third}$")
    result = _driver(sim, "zte").bulk_apply(refs, BulkChange("vlan", {"vlan": 300}))
    assert [item.ok for item in result.data] == [True] * 4, [item.error for item in result.data]
    assert sim.logins["succeeded"] == 2, "one new login after the lost session"
    assert sim.faults.drop_pattern is None, "the fault fired"
    assert all(port["vlan"] == 300 for port in sim.state()["service_ports"])


@pytest.mark.parametrize("protocol", BOTH)
def test_bulk_names_the_onus_done_when_the_device_is_gone(sims, protocol):
    sim = sims("zte", protocol, registered=4)
    refs = [OnuRef(onu["pon"], onu["id"]) for onu in _registered(sim)]
    third = f"{refs[2].pon}:{refs[2].onu_id}"
    sim.faults.inject("drop", rf"^interface gpon-onu_{third}$")
    driver = _driver(sim, "zte", options={"reconnect_attempts": 2, "reconnect_delay": 0.01})
    with driver:
        driver.open()
        sim.faults.max_sessions = 0  # nobody logs in again
        result = driver.bulk_apply(refs, BulkChange("vlan", {"vlan": 300}))
    items = result.data
    assert [item.ok for item in items] == [True, True, False, False]
    assert items[2].outcome == "unknown" and "could not be reached again" in items[2].error
    assert items[3].outcome == "unchanged" and items[3].error.startswith("not attempted")
    assert [item.onu for item in items] == refs


# -- the pieces: the echo finder and the prompt --------------------------------------------------


def test_the_echo_is_found_in_other_spacing_wrapped_or_with_cursor_moves():
    from drivers.cli import _echo_pattern

    echo = _echo_pattern("ont add 0 1 sn-auth 485754430B086EA9 omci")
    raw = "MA5800-X7(config-if-gpon-0/1)#ont add 0 1  sn-auth 4857544\r\n30B0 \x1b[1D86EA9 omci\r\n  Number of ONTs"
    start, end = echo.search(raw)
    assert raw[start:end].startswith("ont add") and raw[end:].startswith("\r\n  Number")
    assert echo.search("MA5800-X7#ont add 0 1 sn-auth 485754430B086EA9") is None, "not all of it yet"
    assert _echo_pattern("   ") is None


def test_only_a_whole_prompt_line_is_a_prompt():
    from drivers.cli import prompt_pattern

    prompt = prompt_pattern("ZXAN")
    assert prompt.search("output\nZXAN#")
    assert prompt.search("output\nZXAN(config-if-gpon_onu-1/1/1:1)# ")
    assert prompt.search("x\n  ZXAN>")
    assert not prompt.search("ssid ctrl wifi 1 name Casa-ZXAN#")
    assert not prompt.search("Name: Casa ZXAN#")
    assert not prompt.search("ZXAN#\nmore output")


# -- what the review of the converged drivers found -----------------------------------------


@pytest.mark.parametrize("platform", ["huawei", "zte", "vsol"])
def test_pager_words_inside_a_value_are_output_not_a_pager(sims, platform):
    """A description holding ``--More--`` is accepted by validation: reading it
    back must not be taken for the device waiting at its pager."""
    options = {"firmware": "ma5800"} if platform == "huawei" else {}
    sim = sims(platform, "telnet", onus=1, options=options)
    waiting = sim.state()["autofind"][0]
    extra = {
        "huawei": {"line_profile": "10", "service_profile": "10", "traffic_profile": "10"},
        "vsol": {"line_profile": "default", "dba_profile": "default1"},
        "zte": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
    }[platform]
    service = OnuService(serial=waiting["serial"], pon=waiting["pon"], vlan=100, description="CT--More--1", **extra)
    driver = _driver(sim, platform, command_timeout=3.0)
    with driver:
        done = driver.provision(service).data
        status = driver.status(OnuRef(done.pon, done.onu_id)).data
    assert status.serial == waiting["serial"]


def test_a_wrapped_secret_is_masked_in_both_halves():
    from drivers.transcript import MASK, Masker

    secret = "PppSecretTailXYZ123456"
    masked = Masker([secret])(f"wan-ip 1 mode pppoe username {'u' * 30} password PppSecretT\n  ailXYZ123456 host 1\n")
    assert "PppSecretT" not in masked and "ailXYZ123456" not in masked and masked.count(MASK) == 2


def test_library_debug_lines_are_masked(caplog):
    import logging

    from drivers.transcript import Masker

    masker = Masker(["Rv-Ppp0e-S3cret"])
    with caplog.at_level(logging.DEBUG, logger="netmiko"):
        logging.getLogger("netmiko").debug("write_channel: %r", b"wan-ip 1 password Rv-Ppp0e-S3cret vlan 100")
    assert "Rv-Ppp0e-S3cret" not in caplog.text and "wan-ip" in caplog.text
    del masker


@pytest.mark.parametrize("protocol", BOTH)
def test_bulk_stops_at_the_first_refused_login(sims, protocol):
    """After a lost session the device refuses the login: no further ONU may
    try again (each try counts towards a lockout)."""
    sim = sims("zte", protocol, registered=6)
    refs = [OnuRef(onu["pon"], onu["id"]) for onu in _registered(sim)]
    third = f"{refs[2].pon}:{refs[2].onu_id}"
    sim.faults.inject("drop", rf"^interface gpon-onu_{third}$")
    driver = _driver(sim, "zte", options={"reconnect_attempts": 2, "reconnect_delay": 0.01})
    with driver:
        driver.open()
        sim.faults.reject_login = True
        before = sim.logins["attempted"]
        result = driver.bulk_apply(refs, BulkChange("vlan", {"vlan": 300}))
    assert [item.ok for item in result.data] == [True, True, False, False, False, False]
    assert sim.logins["attempted"] - before == 1, "one refused login, never a second"
    assert all(item.error.startswith("not attempted") for item in result.data[3:])


@pytest.mark.parametrize("protocol", BOTH)
def test_a_lost_answer_to_save_is_saved_again(sims, protocol):
    sim = sims("zte", protocol, registered=1)
    sim.faults.inject("drop_after", r"^write$")
    driver = _driver(sim, "zte")
    driver.save()
    assert sim.state()["saved"] >= 1
