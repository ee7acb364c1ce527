"""The command line, `python -m drivers ...`, as a script or an engineer runs it.

Every case is a real subprocess against an in-process simulator on a free
port, checked against the simulator's own state.  Every call also checks that
no secret (device password, enable password, PPPoE password, WiFi key) ever
reaches stdout or stderr.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simulator

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
TRANSCRIPTS = HERE / "transcripts"

PASSWORD = "Cli-Dev1ce-Pw"
ENABLE = "Cli-En4ble-Pw"
PPPOE_PASSWORD = "Cli-Ppp0e-S3cret"
WIFI_KEY = "Cli-W1fi-K3y-Secret"
ROUTER_PASSWORD = "Cli-R0uter-Pw"
SECRETS = (PASSWORD, ENABLE, PPPOE_PASSWORD, WIFI_KEY, ROUTER_PASSWORD)
ENV = {
    "OLT_PW": PASSWORD,
    "OLT_ENABLE": ENABLE,
    "PPPOE_PW": PPPOE_PASSWORD,
    "WIFI_KEY": WIFI_KEY,
    "ROUTER_PW": ROUTER_PASSWORD,
}

#: what each platform needs on the command line beyond the common arguments
PLATFORMS = {
    "huawei": {
        "sim_options": {"firmware": "ma5800"},
        # WiFi from the OLT exists only on an MA5800 from V100R019 on.
        # 'ont wifi' is sent only with olt_wifi (no public source confirms it).
        "args": [
            "--option",
            "olt_wifi=true",
            "--option",
            "model=MA5800",
            "--option",
            "firmware=V100R019",
            "--line-profile",
            "10",
            "--service-profile",
            "10",
            "--traffic-profile",
            "10",
        ],
    },
    "vsol": {"sim_options": {}, "args": ["--line-profile", "default", "--dba-profile", "default1"]},
    "zte": {"sim_options": {}, "args": ["--onu-type", "ZTE-F660", "--dba-profile", "100M"]},
    "zte_c600": {"sim_options": {}, "args": ["--onu-type", "ZTE-F660", "--dba-profile", "100M"]},
}
MATRIX = [(platform, protocol) for platform in PLATFORMS for protocol in ("ssh", "telnet")]
ENABLED = {"active", "enable", "enabled", "activate", "activated", "up"}


def run_cli(*args, stdin=None, env=ENV):
    """`python -m drivers ARGS` in the repository; stdout parsed as JSON."""
    completed = subprocess.run(
        [sys.executable, "-m", "drivers", *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=120,
    )
    for secret in SECRETS:
        assert secret not in completed.stdout and secret not in completed.stderr, f"secret leaked by {args[0]}"
    try:
        completed.json = json.loads(completed.stdout)
    except ValueError:
        completed.json = None
    return completed


def ok(completed):
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stderr == ""
    return completed.json


def refused(completed, status, code):
    """A failure: exit status, the typed error as JSON on stdout, one line on stderr."""
    assert completed.returncode == status, completed.stdout + completed.stderr
    payload = completed.json
    assert payload["ok"] is False and payload["error"] == code, payload
    assert isinstance(payload["transcript"], list)
    assert completed.stderr.count("\n") == 1 and completed.stderr.startswith(f"error: {code}: ")
    return payload


# -- simulated devices (one per platform and protocol for the whole module) ------------------


class Olt:
    def __init__(self, platform, protocol, sim):
        self.platform, self.protocol, self.sim = platform, protocol, sim

    def connection(self, **changes):
        values = {
            "platform": self.platform,
            "host": self.sim.host,
            "port": self.sim.port,
            "protocol": self.protocol,
            "username": "admin",
            "password-env": "OLT_PW",
            "secret-env": "OLT_ENABLE",
        }
        values.update(changes)
        return [f"--{key}={value}" for key, value in values.items() if value is not None]

    def run(self, operation, *args, **changes):
        return run_cli(operation, *self.connection(**changes), *args)

    def onu(self, serial):
        for onus in self.sim.state()["onus"].values():
            for onu in onus:
                if onu["serial"] == serial:
                    return onu
        return None

    def service_ports(self, pon, onu_id):
        return [
            port
            for port in self.sim.state()["service_ports"]
            if str(port.get("pon")) == str(pon) and str(port.get("onu_id")) == str(onu_id)
        ]

    def vlans(self, serial):
        """The VLANs the device holds for an ONU: its service ports' and its native ones."""
        onu = self.onu(serial)
        native = {item.get("vlan") for item in (onu.get("native_vlan") or {}).values()}
        return native | {port.get("vlan") for port in self.service_ports(onu["pon"], onu["id"])}

    def waiting(self):
        return self.sim.state()["autofind"]


class OltPool(dict):
    """One running simulator per platform and protocol, started on first use."""

    def get_olt(self, platform, protocol):
        if (platform, protocol) not in self:
            sim = simulator.start(
                platform=platform,
                protocol=protocol,
                username="admin",
                password=PASSWORD,
                secret=ENABLE,
                onus=4,
                options=dict(PLATFORMS[platform]["sim_options"]),
            )
            self[platform, protocol] = Olt(platform, protocol, sim)
        olt = self[platform, protocol]
        olt.sim.faults.reset()
        return olt


@pytest.fixture(scope="module")
def olt_pool():
    pool = OltPool()
    yield pool
    for olt in pool.values():
        olt.sim.stop()


@pytest.fixture(params=MATRIX, ids=lambda case: f"{case[0]}-{case[1]}")
def olt(request, olt_pool):
    return olt_pool.get_olt(*request.param)


@pytest.fixture(scope="module", params=["api", "api-ssl"])
def router(request):
    profiles = [{"name": "plan-10M"}, {"name": "CORTADO", "rate_limit": "64k/64k"}]
    with simulator.start(
        platform="mikrotik",
        protocol=request.param,
        password=ROUTER_PASSWORD,
        options={"rows": {"/ppp/profile": profiles}},
    ) as sim:
        yield sim


def router_run(sim, operation, *args):
    return run_cli(
        operation,
        "--platform=mikrotik",
        f"--host={sim.host}",
        f"--port={sim.port}",
        f"--protocol={sim.protocol}",
        "--username=admin",
        "--password-env=ROUTER_PW",
        *args,
    )


# -- parse: terminal transcripts to JSON ---------------------------------------------------------


def pairs(payload):
    return [(item["serial"], item["pon"]) for item in payload]


def test_parse_huawei_transcripts_from_file_and_stdin():
    terminal = TRANSCRIPTS / "huawei_autofind_terminal.txt"
    from_file = ok(run_cli("parse", "huawei", "autofind", terminal))
    assert pairs(from_file) == [("HWTC0B086EA9", "0/1/3"), ("ZTEGD824CDF3", "0/2/15")]
    from_stdin = ok(run_cli("parse", "huawei", "autofind", stdin=terminal.read_text()))
    assert from_stdin == from_file
    old = ok(run_cli("parse", "huawei", "autofind", TRANSCRIPTS / "huawei_autofind_old_firmware.txt"))
    assert pairs(old) == [("HWTC11E70E9A", "0/1/0")]
    assert ok(run_cli("parse", "huawei", "autofind", TRANSCRIPTS / "huawei_autofind_empty.txt")) == []


def test_parse_vsol_transcripts():
    three = ok(run_cli("parse", "vsol", "autofind", TRANSCRIPTS / "vsol_autofind_three_ports.txt"))
    assert pairs(three) == [("GPON002E64F8", "0/1"), ("HWTC0B086EA9", "0/1"), ("GPON0CE43515", "0/3")]
    bare = ok(
        run_cli("parse", "vsol", "autofind", stdin=(TRANSCRIPTS / "vsol_autofind_equipment_bare_index.txt").read_text())
    )
    assert pairs(bare) == [("GPON002E64F8", "0/4")]


@pytest.mark.parametrize(
    "platform, expected",
    [
        ("zte", [("ZTEGE5864515", "1/1/1"), ("ZTEGE9773720", "1/1/1"), ("HWTC73046CAF", "1/1/2")]),
        ("zte_c600", [("ZTEG94E67574", "1/1/1"), ("ZTEG82A3EEC2", "1/1/1"), ("HWTC86D9FE5C", "1/1/2")]),
    ],
)
def test_parse_zte_transcripts(platform, expected):
    """Recorded from a telnet session with the simulator: echo, pager and its
    backspace erasure, a syslog line in the middle (see record_autofind)."""
    found = ok(run_cli("parse", platform, "autofind", TRANSCRIPTS / f"{platform}_autofind_session.txt"))
    assert [pair for pair in pairs(found) if pair in expected] == expected
    assert len(found) == 30


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_parse_a_live_terminal_session(platform):
    """What a terminal shows while an engineer lists auto-find on the simulator:
    the command echo, prompts, pagers, completion prompts, escapes and
    alarm/syslog lines, all of it piped to the parser."""
    # 40 ONUs fill more than one page; V-SOL lists per port, so its pages are made short.
    options = dict(PLATFORMS[platform]["sim_options"], **({"terminal_length": 6} if platform == "vsol" else {}))
    with simulator.start(
        platform=platform, protocol="telnet", password=PASSWORD, secret=ENABLE, onus=40, options=options
    ) as sim:
        sim.faults.async_every = 1
        capture = record_autofind(sim)
        expected = sorted((onu["serial"], onu["pon"]) for onu in sim.state()["autofind"])
    assert re.search(r"more", capture, re.IGNORECASE), "the capture should hold a pager line"
    assert sorted(pairs(ok(run_cli("parse", platform, "autofind", stdin=capture)))) == expected


def test_parse_refuses_what_it_does_not_know():
    unreadable = run_cli("parse", "huawei", "autofind", "/nonexistent/capture.txt")
    assert refused(unreadable, 2, "invalid_input")["field"] == "file"
    broken = (TRANSCRIPTS / "huawei_autofind_old_firmware.txt").read_text().replace("Loid ", "Something new ")
    refused(run_cli("parse", "huawei", "autofind", stdin=broken), 1, "parse_error")


# -- OLT operations ---------------------------------------------------------------------------------


def test_olt_lifecycle(olt):
    platform_args = PLATFORMS[olt.platform]["args"]
    # discover
    found = ok(olt.run("discover"))
    assert sorted(pairs(found["data"])) == sorted((onu["serial"], onu["pon"]) for onu in olt.waiting())

    # provision base + PPPoE WAN + WiFi
    first, second = olt.waiting()[:2]
    result = ok(
        olt.run(
            "provision",
            "--serial",
            first["serial"],
            "--pon",
            first["pon"],
            "--vlan",
            100,
            "--description",
            "CT-0001",
            *platform_args,
            "--wan-mode",
            "pppoe",
            "--pppoe-user",
            "client0001",
            "--pppoe-password-env",
            "PPPOE_PW",
            "--wifi-ssid",
            "Cliente-0001",
            "--wifi-key-env",
            "WIFI_KEY",
        )
    )
    onu = olt.onu(first["serial"])
    assert onu is not None and (result["data"]["pon"], result["data"]["onu_id"]) == (onu["pon"], onu["id"])
    assert first["serial"] not in {item["serial"] for item in olt.waiting()}
    device_view = json.dumps(onu)
    assert "client0001" in device_view and PPPOE_PASSWORD in device_view  # the device holds the secret...
    assert "Cliente-0001" in device_view and WIFI_KEY in device_view  # ...the command line printed none
    assert any(entry["kind"] == "send" for entry in result["transcript"])
    pon, onu_id = str(onu["pon"]), str(onu["id"])
    ref = ["--pon", pon, "--onu-id", onu_id]

    # status
    status = ok(olt.run("status", *ref))["data"]
    assert (status["admin_state"], status["run_state"]) == ("enabled", onu["run_state"])
    assert status["rx_power_dbm"] == pytest.approx(onu["rx_power"], abs=0.01)

    # suspend / resume
    ok(olt.run("suspend", *ref))
    assert str(olt.onu(first["serial"])["admin_state"]).lower() not in ENABLED
    assert ok(olt.run("status", *ref))["data"]["admin_state"] == "disabled"
    ok(olt.run("resume", *ref))
    assert str(olt.onu(first["serial"])["admin_state"]).lower() in ENABLED

    # bulk: one change to the provisioned ONU and to one that does not exist
    ok(olt.run("provision", "--serial", second["serial"], "--pon", second["pon"], "--vlan", 100, *platform_args))
    other = olt.onu(second["serial"])
    onus = f"{pon}:{onu_id},{other['pon']}:{other['id']},{pon}:77"
    bulk = olt.run("bulk", "--onus", onus, "--change", "vlan", "--param", "vlan=200")
    assert bulk.returncode == 1 and bulk.json["ok"] is False, "one ONU failed: the run did not fully succeed"
    outcome = {(item["pon"], item["onu_id"]): item["ok"] for item in bulk.json["data"]}
    assert outcome == {(pon, int(onu_id)): True, (other["pon"], other["id"]): True, (pon, 77): False}
    # Huawei moves the ONU's native VLAN, the others its service port.
    assert 200 in olt.vlans(first["serial"]) and 200 in olt.vlans(second["serial"])

    # save
    saved = olt.sim.state()["saved"]
    ok(olt.run("save"))
    assert olt.sim.state()["saved"] == saved + 1

    # remove
    for gone in (first, second):
        target = olt.onu(gone["serial"])
        ok(olt.run("remove", "--pon", target["pon"], "--onu-id", target["id"]))
        assert olt.onu(gone["serial"]) is None
    assert olt.service_ports(pon, onu_id) == []


def test_rejected_command_reports_the_device_words_and_rolls_back(olt):
    waiting = olt.waiting()[0]
    before = olt.sim.state()
    # The PPPoE WAN command carries the PPPoE user on every platform.
    olt.sim.faults.reject_pattern = r"client-rejected"
    failed = olt.run(
        "provision",
        "--serial",
        waiting["serial"],
        "--pon",
        waiting["pon"],
        "--vlan",
        100,
        *PLATFORMS[olt.platform]["args"],
        "--wan-mode",
        "pppoe",
        "--pppoe-user",
        "client-rejected",
        "--pppoe-password-env",
        "PPPOE_PW",
    )
    payload = refused(failed, 1, "command_rejected")
    assert "client-rejected" in payload["command"] and payload["device_message"]
    received = " ".join(entry["text"] for entry in payload["transcript"] if entry["kind"] == "recv")
    assert payload["device_message"].split("\n")[0].strip() in received
    assert "********" in json.dumps(payload["transcript"]), "the PPPoE password was sent, masked"
    after = olt.sim.state()
    assert after["onus"] == before["onus"] and after["service_ports"] == before["service_ports"]
    # An unregistered ONU comes back to auto-find at the end of the list: order carries no meaning.
    assert sorted(after["autofind"], key=json.dumps) == sorted(before["autofind"], key=json.dumps)


@pytest.fixture(params=sorted(PLATFORMS))
def olt_ssh(request, olt_pool):
    """SSH only: there a connection could open before any check ran."""
    return olt_pool.get_olt(request.param, "ssh")


def test_static_wan_arguments_reach_the_device(olt_pool):
    for platform in sorted(PLATFORMS):
        olt = olt_pool.get_olt(platform, "telnet")
        waiting = olt.waiting()[-1]
        completed = olt.run(
            "provision",
            "--serial",
            waiting["serial"],
            "--pon",
            waiting["pon"],
            "--vlan",
            100,
            *PLATFORMS[platform]["args"],
            "--wan-mode",
            "static",
            "--wan-ip",
            "192.0.2.10",
            "--wan-netmask",
            "255.255.255.0",
            "--wan-gateway",
            "192.0.2.1",
            "--wan-dns",
            "198.51.100.1",
            "--wan-dns",
            "198.51.100.2",
        )
        if platform.startswith("zte"):
            # ZXAN keeps a static WAN's gateway and DNS in an OLT-wide ip-profile:
            # refused before connecting rather than half applied.
            assert completed.returncode == 2 and completed.json["error"] == "unsupported", platform
            continue
        ok(completed)
        onu = olt.onu(waiting["serial"])
        addresses = re.findall(r"[\d.]+", json.dumps(onu))
        assert {"192.0.2.10", "192.0.2.1", "198.51.100.1"} <= set(addresses), platform
        ok(olt.run("remove", "--pon", onu["pon"], "--onu-id", onu["id"]))


def test_bad_input_is_refused_before_any_login(olt_ssh):
    olt = olt_ssh
    waiting = olt.waiting()[0]
    base = ["--serial", waiting["serial"], "--pon", waiting["pon"], *PLATFORMS[olt.platform]["args"]]
    attempts = olt.sim.logins["attempted"]
    cases = [
        ("vlan", ["--vlan", 4095]),
        ("vlan", ["--vlan", "ten"]),  # refused by the command line itself
        ("serial", ["--vlan", 100, "--serial", "HWTC0B08"]),
        (
            "wan.username",
            ["--vlan", 100, "--wan-mode", "pppoe", "--pppoe-user", "user name", "--pppoe-password-env", "PPPOE_PW"],
        ),
        (
            "pppoe-password-env",
            ["--vlan", 100, "--wan-mode", "pppoe", "--pppoe-user", "u1", "--pppoe-password-env", "NOT_SET_ANYWHERE"],
        ),
    ]
    for field, args in cases:
        payload = refused(olt.run("provision", *base, *args), 2, "invalid_input")
        assert payload["field"] == field, payload
    missing = refused(olt.run("discover", **{"password-env": "NOT_SET_ANYWHERE"}), 2, "invalid_input")
    assert missing["field"] == "password-env" and "NOT_SET_ANYWHERE" in missing["message"]
    no_id = refused(olt.run("suspend", "--pon", waiting["pon"]), 2, "invalid_input")
    assert no_id["field"] == "onu-id"
    assert refused(olt.run("discover", port="22x"), 2, "invalid_input")["field"] == "port"
    assert olt.sim.logins["attempted"] == attempts


def test_wifi_on_an_olt_that_cannot_is_refused_before_login(olt_pool):
    olt = olt_pool.get_olt("huawei", "ssh")
    waiting = olt.waiting()[0]
    attempts = olt.sim.logins["attempted"]
    # No model/firmware options: an MA5600T-class box without OLT-side WiFi.
    profiles = PLATFORMS["huawei"]["args"][4:]
    old = refused(
        olt.run(
            "provision",
            "--serial",
            waiting["serial"],
            "--pon",
            waiting["pon"],
            "--vlan",
            100,
            *profiles,
            "--wifi-ssid",
            "Cliente-0001",
            "--wifi-key-env",
            "WIFI_KEY",
        ),
        2,
        "unsupported",
    )
    assert "MA5800" in old["message"]
    assert olt.sim.logins["attempted"] == attempts


def test_platform_options_reach_the_driver(olt_pool):
    """--option values arrive as text: a busy device is retried after busy_delay."""
    olt = olt_pool.get_olt("zte", "telnet")
    olt.sim.faults.busy_pattern, olt.sim.faults.busy_count = r"uncfg", 1
    found = ok(olt.run("discover", option="busy_delay=0.01"))
    assert "device busy, retry 1" in json.dumps(found["transcript"])
    assert sorted(pairs(found["data"])) == sorted((onu["serial"], onu["pon"]) for onu in olt.waiting())


def test_wrong_password_is_an_authentication_error(olt_pool):
    olt = olt_pool.get_olt("zte", "telnet")
    refused(olt.run("discover", **{"password-env": "ROUTER_PW"}), 1, "authentication_failed")


# -- host keys --------------------------------------------------------------------------------------


def test_host_key_prints_the_fingerprint_and_a_wrong_pin_is_refused(olt_pool):
    olt = olt_pool.get_olt("vsol", "ssh")
    shown = ok(run_cli("host-key", "--host", olt.sim.host, "--port", olt.sim.port))
    assert shown["fingerprint"] == olt.sim.host_key_fingerprint
    attempts = olt.sim.logins["attempted"]
    wrong = refused(olt.run("discover", **{"host-key": "SHA256:" + "A" * 43}), 1, "host_key_mismatch")
    assert wrong["seen"] == olt.sim.host_key_fingerprint
    assert olt.sim.logins["attempted"] == attempts, "no password may go to an unverified host"
    ok(olt.run("discover", **{"host-key": shown["fingerprint"]}))


def test_api_ssl_certificate_fingerprint_and_pin():
    with simulator.start(platform="mikrotik", protocol="api-ssl", password=ROUTER_PASSWORD) as sim:
        shown = ok(run_cli("host-key", "--host", sim.host, "--port", sim.port, "--protocol", "api-ssl"))
        assert shown["fingerprint"] == sim.host_key_fingerprint
        wrong = router_run(sim, "status", "--name", "u1", "--host-key", "SHA256:" + "A" * 43)
        assert refused(wrong, 1, "host_key_mismatch")["seen"] == sim.host_key_fingerprint
        ok(router_run(sim, "status", "--name", "u1", "--host-key", shown["fingerprint"]))


# -- MikroTik ---------------------------------------------------------------------------------------


def test_router_subscriber_lifecycle(router):
    created = ok(
        router_run(
            router,
            "provision",
            "--name",
            "cli-u1",
            "--pppoe-password-env",
            "PPPOE_PW",
            "--profile",
            "plan-10M",
            "--remote-address",
            "10.20.0.5",
            "--comment",
            "CT-0001",
            "--rate",
            "10/20",
        )
    )
    assert created["data"]["created"] is True
    secret = router.rows("/ppp/secret", name="cli-u1")[0]
    assert (secret["password"], secret["profile"], secret["comment"]) == (PPPOE_PASSWORD, "plan-10M", "CT-0001")
    assert router.rows("/queue/simple", name="cli-u1")[0]["max-limit"] == "10000000/20000000"

    ok(router_run(router, "suspend", "--name", "cli-u1", "--method", "profile"))
    assert router.rows("/ppp/secret", name="cli-u1")[0]["profile"] == "CORTADO"
    assert ok(router_run(router, "status", "--name", "cli-u1"))["data"]["suspended"] is True
    ok(router_run(router, "resume", "--name", "cli-u1", "--method", "profile"))
    assert router.rows("/ppp/secret", name="cli-u1")[0]["profile"] == "plan-10M"

    ok(router_run(router, "suspend", "--name", "cli-u1", "--method", "disable_secret"))
    assert router.rows("/ppp/secret", name="cli-u1")[0]["disabled"] == "true"
    ok(router_run(router, "resume", "--name", "cli-u1"))
    assert router.rows("/ppp/secret", name="cli-u1")[0]["disabled"] == "false"
    status = ok(router_run(router, "status", "--name", "cli-u1"))["data"]
    assert (status["exists"], status["enabled"], status["suspended"]) == (True, True, False)

    ok(router_run(router, "remove", "--name", "cli-u1"))
    assert router.rows("/ppp/secret", name="cli-u1") == [] and router.rows("/queue/simple", name="cli-u1") == []


def test_router_rejection_and_bad_input(router):
    router.faults.reject_pattern = r"^/ppp/secret/add"
    try:
        failed = router_run(
            router,
            "provision",
            "--name",
            "cli-u2",
            "--pppoe-password-env",
            "PPPOE_PW",
            "--profile",
            "plan-10M",
            "--remote-address",
            "10.20.0.6",
            "--rate",
            "10/20",
        )
    finally:
        router.faults.reset()
    payload = refused(failed, 1, "command_rejected")
    assert payload["device_message"] and router.rows("/ppp/secret", name="cli-u2") == []
    assert router.rows("/queue/simple", name="cli-u2") == []

    attempts = router.logins["attempted"]
    cases = [
        ("rate", ["provision", "--name", "cli-u2", "--pppoe-password-env", "PPPOE_PW", "--rate", "fast"]),
        ("password", ["provision", "--name", "cli-u2"]),
        ("name", ["suspend", "--name", "bad name"]),
        ("method", ["suspend", "--name", "cli-u2", "--method", "unplug"]),
        ("command", ["discover"]),
    ]
    for field, args in cases:
        assert refused(router_run(router, *args), 2, "invalid_input")["field"] == field, args
    assert router.logins["attempted"] == attempts


# -- the command line itself ------------------------------------------------------------------------


def test_help_and_usage_errors():
    shown = run_cli("provision", "--help")
    assert shown.returncode == 0
    for text in ("--password-env", "--wifi-key-env", "--pppoe-password-env", "--rate", "ONU WiFi over OMCI"):
        assert text in shown.stdout
    assert refused(run_cli(), 2, "invalid_input")["field"] == "command"
    assert refused(run_cli("discover", "--platform", "cisco"), 2, "invalid_input")["field"] == "platform"
    # Nothing listens on this port: each refusal must come before any connection is tried.
    device = [
        "--platform=huawei",
        "--host=127.0.0.1",
        "--port=9",
        "--protocol=ssh",
        "--username=admin",
        "--password-env=OLT_PW",
    ]
    assert refused(run_cli("discover", *device, "--option", "model"), 2, "invalid_input")["field"] == "option"
    bulk = run_cli("bulk", *device, "--onus", "0/1/3", "--change", "vlan", "--param", "vlan=200")
    assert refused(bulk, 2, "invalid_input")["field"] == "onus"
    telnet_router = run_cli("status", *device[1:], "--platform=mikrotik", "--name=u1")
    assert refused(telnet_router, 2, "invalid_input")["field"] == "protocol"


# -- recording what a terminal shows ------------------------------------------------------------------

_TELNET_COMMAND = re.compile(rb"\xff(?:[\xfb-\xfe].|\xfa.*?\xff\xf0)", re.DOTALL)
_PROMPT = re.compile(rb"(?:^|\n)[^\n]*[#>] ?$")
_PAGER = re.compile(rb"-+ ?More ?(?:\( Press 'Q' to break \) )?-+ ?(?:\x1b\[\d+D)?$")
_COMPLETION = re.compile(rb"\{ <cr>[^}]*\}: ?$")
#: (setup lines after login, how to list auto-find) per platform
_SCRIPTS = {
    "huawei": (["enable", "config"], ["display ont autofind all"]),
    "vsol": (["enable", "configure terminal"], None),
    "zte": ([], ["show gpon onu uncfg"]),
    "zte_c600": ([], ["show pon onu uncfg"]),
}


class _Terminal:
    """A bare Telnet client that keeps every byte a terminal would show,
    answering pagers and completion prompts as a person would."""

    def __init__(self, sim):
        self.sock = socket.create_connection((sim.host, sim.port), timeout=10)
        self.shown = b""

    def read_until(self, pattern):
        start = answered = len(self.shown)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            tail = self.shown[answered:]
            if _PAGER.search(tail):
                self.sock.sendall(b" ")
                answered = len(self.shown)
            elif _COMPLETION.search(tail):
                self.sock.sendall(b"\r\n")
                answered = len(self.shown)
            elif pattern.search(self.shown[start:]):
                return
            self.shown += _TELNET_COMMAND.sub(b"", self.sock.recv(65536))
        raise AssertionError(f"no {pattern.pattern!r} in {self.shown[-300:]!r}")

    def send(self, line, until=_PROMPT):
        self.sock.sendall(line.encode() + b"\r\n")
        self.read_until(until)


def record_autofind(sim):
    """Log in, enter the mode, list auto-find; the capture starts at the prompt before the listing."""
    setup, listing = _SCRIPTS[sim.platform]
    terminal = _Terminal(sim)
    try:
        terminal.read_until(re.compile(rb"(?i)(user ?name|login):\s*$"))
        terminal.send("admin", until=re.compile(rb"(?i)password:\s*$"))
        terminal.send(PASSWORD)
        for line in setup:
            terminal.send(line, until=re.compile(rb"(?i)password:\s*$|[#>] ?$"))
            if terminal.shown.rstrip().lower().endswith(b"password:"):
                terminal.send(ENABLE)
        if listing is None:  # V-SOL lists auto-find per PON port
            listing = []
            for pon in sorted({onu["pon"] for onu in sim.state()["autofind"]}):
                listing += [f"interface gpon {pon}", "show onu auto-find", "exit"]
        start = terminal.shown.rfind(b"\n") + 1
        for line in listing:
            terminal.send(line)
        return terminal.shown[start:].decode("utf-8", errors="replace")
    finally:
        terminal.sock.close()


def test_parse_command_takes_the_file_before_or_after_the_option():
    """A field engineer types the file where it comes to mind: both orders read the same capture."""
    meta_path = sorted((HERE / "captures" / "huawei").glob("*/*.json"))[0]
    command = json.loads(meta_path.read_text())["command"]
    capture = meta_path.with_suffix(".txt")
    after = ok(run_cli("parse", "huawei", "--command", command, capture))
    before = ok(run_cli("parse", "huawei", capture, f"--command={command}"))
    assert after == before == json.loads(meta_path.read_text())["expected"]
