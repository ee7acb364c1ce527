"""The RouterOS simulator, driven by the unmodified librouteros client (and by raw
sentences where librouteros has no call for it): wire protocol, logins, menus,
queries, errors, faults and state."""

import json
import socket
import ssl
import time

import librouteros
import pytest
from librouteros.connections import SocketTransport
from librouteros.exceptions import ConnectionClosed, TrapError
from librouteros.login import token
from librouteros.protocol import ApiProtocol
from librouteros.query import And, Key, Or

import simulator
from simulator.routeros import encode_length

PASSWORD = "Adm1n-Pw"


@pytest.fixture
def sim():
    with simulator.start(platform="mikrotik", protocol="api", password=PASSWORD) as running:
        yield running


def connect(sim, password=PASSWORD, **kwargs):
    return librouteros.connect(sim.host, "admin", password, port=sim.port, timeout=5, **kwargs)


@pytest.fixture
def api(sim):
    connection = connect(sim)
    yield connection
    connection.close()


def raw_protocol(sim):
    sock = socket.create_connection((sim.host, sim.port), timeout=5)
    return ApiProtocol(SocketTransport(sock), "utf-8")


def call(protocol, *words):
    """Send one sentence; the raw reply sentences up to !done (or !fatal)."""
    protocol.writeSentence(*words)
    replies = []
    while True:
        words_in = tuple(iter(protocol.readWord, ""))
        replies.append(words_in)
        if words_in[0] in ("!done", "!fatal"):
            return replies


# -- wire protocol and login ---------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000])
def test_length_encoding_matches_librouteros(length):
    from librouteros.protocol import encode_length as client_encode

    assert encode_length(length) == client_encode(length)


def test_plain_and_token_login(sim):
    connect(sim).close()
    connect(sim, login_method=token).close()
    with pytest.raises(TrapError, match=r"invalid user name or password \(6\)"):
        connect(sim, password="wrong")
    assert sim.logins == {"attempted": 3, "succeeded": 2, "failed": 1}
    assert sim.commands == []


def test_commands_before_login_are_refused(sim):
    protocol = raw_protocol(sim)
    replies = call(protocol, "/ppp/secret/print")
    assert replies == [("!trap", "=message=not logged in"), ("!done",)]
    protocol.close()


def test_tags_are_echoed_and_quit_is_fatal(sim):
    protocol = raw_protocol(sim)
    call(protocol, "/login", "=name=admin", f"=password={PASSWORD}")
    replies = call(protocol, "/ppp/profile/print", "=.proplist=name", ".tag=7")
    assert replies == [
        ("!re", "=name=default", ".tag=7"),
        ("!re", "=name=default-encryption", ".tag=7"),
        ("!done", ".tag=7"),
    ]
    assert call(protocol, "/quit") == [("!fatal", "session terminated on request")]
    protocol.close()


def test_long_words_cross_the_length_boundaries(api, sim):
    comment = "x" * 20000
    api.path("ppp", "secret").add(name="long", password="pw", comment=comment)
    assert sim.rows("/ppp/secret", name="long")[0]["comment"] == comment
    row = next(iter(api.path("ppp", "secret").select(Key("comment")).where(Key("name") == "long")))
    assert row["comment"] == comment


def test_tls():
    with simulator.start(platform="mikrotik", protocol="api-ssl", password=PASSWORD) as sim:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        seen = []

        def wrap(sock):
            tls = context.wrap_socket(sock)
            seen.append(tls.getpeercert(binary_form=True))
            return tls

        api = connect(sim, ssl_wrapper=wrap)
        assert [row["name"] for row in api.path("ppp", "profile")] == ["default", "default-encryption"]
        api.close()
        import base64
        import hashlib

        digest = base64.b64encode(hashlib.sha256(seen[0]).digest()).decode().rstrip("=")
        assert sim.host_key_fingerprint == "SHA256:" + digest
        # A plain client gets no API from a TLS port.
        with pytest.raises((ConnectionClosed, OSError)):
            connect(sim)


def test_certificate_is_kept_in_host_key_file(tmp_path):
    path = str(tmp_path / "router.pem")
    with simulator.start(platform="mikrotik", protocol="api-ssl", host_key=path) as first:
        fingerprint = first.host_key_fingerprint
    with simulator.start(platform="mikrotik", protocol="api-ssl", host_key=path) as second:
        assert second.host_key_fingerprint == fingerprint


# -- menus and errors -----------------------------------------------------------------------------


def test_secret_add_set_remove_and_errors(api, sim):
    secrets = api.path("ppp", "secret")
    new_id = secrets.add(name="u1", password="pw1", profile="default", **{"remote-address": "10.0.0.9"})
    assert new_id.startswith("*")
    row = sim.rows("/ppp/secret", name="u1")[0]
    assert (row[".id"], row["service"], row["disabled"]) == (new_id, "any", "false")
    with pytest.raises(TrapError, match="failure: secret with the same name already exists"):
        secrets.add(name="u1", password="x")
    with pytest.raises(TrapError, match="input does not match any value of profile"):
        secrets.update(**{".id": new_id, "profile": "nope"})
    with pytest.raises(TrapError, match="unknown parameter"):
        secrets.update(**{".id": new_id, "colour": "red"})
    with pytest.raises(TrapError, match="no such item"):
        secrets.update(**{".id": "*999", "disabled": True})
    with pytest.raises(TrapError, match="invalid value for argument remote-address"):
        secrets.update(**{".id": new_id, "remote-address": "10.0.0.999"})
    secrets.update(**{".id": new_id, "disabled": True, "comment": "CT 9"})
    row = sim.rows("/ppp/secret", name="u1")[0]
    assert (row["disabled"], row["comment"]) == ("true", "CT 9")
    # RouterOS also takes a name where an .id is expected.
    tuple(api("/ppp/secret/enable", numbers="u1"))
    assert sim.rows("/ppp/secret", name="u1")[0]["disabled"] == "false"
    secrets.remove(new_id)
    assert sim.rows("/ppp/secret") == []
    with pytest.raises(TrapError, match="no such item"):
        secrets.remove(new_id)


def test_unknown_menus_and_commands(api):
    with pytest.raises(TrapError, match="no such command prefix"):
        tuple(api("/ip/hotspot/user/print"))
    with pytest.raises(TrapError, match="no such command"):
        tuple(api("/ppp/secret/explode"))
    with pytest.raises(TrapError, match="no such command"):
        tuple(api("/ppp/active/add", name="u1"))


def test_profiles_and_defaults(api, sim):
    profiles = api.path("ppp", "profile")
    profiles.add(name="plan-10M", **{"rate-limit": "10M/20M 15M/30M 8M/16M 8/8 5"})
    with pytest.raises(TrapError, match="profile with the same name already exists"):
        profiles.add(name="plan-10M")
    with pytest.raises(TrapError, match="invalid value for argument rate-limit"):
        profiles.add(name="bad", **{"rate-limit": "fast"})
    with pytest.raises(TrapError, match="can not remove default profile"):
        profiles.remove("*0")
    api.path("ppp", "secret").add(name="u1", password="pw", profile="plan-10M")
    plan_id = sim.rows("/ppp/profile", name="plan-10M")[0][".id"]
    with pytest.raises(TrapError, match="profile is in use"):
        profiles.remove(plan_id)


def test_address_list(api, sim):
    entries = api.path("ip", "firewall", "address-list")
    entries.add(list="CORTADOS", address="10.0.0.9", comment="u1")
    with pytest.raises(TrapError, match="failure: already have such entry"):
        entries.add(list="CORTADOS", address="10.0.0.9")
    entries.add(list="OTHER", address="10.0.0.9")
    with pytest.raises(TrapError, match="list must be specified"):
        entries.add(address="10.0.0.10")
    row = sim.rows("/ip/firewall/address-list", list="CORTADOS")[0]
    assert row["creation-time"] and row["dynamic"] == "false"


def test_queue_values_are_printed_as_routeros_does(api, sim):
    queues = api.path("queue", "simple")
    queues.add(
        name="u1",
        target="10.0.0.9",
        **{"max-limit": "10M/20M", "burst-limit": "15M/30M", "burst-time": "8/8", "priority": "5"},
    )
    row = next(iter(queues))
    assert (row["target"], row["max-limit"], row["burst-limit"], row["burst-time"], row["priority"]) == (
        "10.0.0.9/32",
        "10000000/20000000",
        "15000000/30000000",
        "8s/8s",
        "5/5",
    )
    with pytest.raises(TrapError, match="already have such name"):
        queues.add(name="u1", target="10.0.0.10")
    with pytest.raises(TrapError, match="invalid value for argument max-limit"):
        queues.add(name="u2", target="10.0.0.10", **{"max-limit": "lots"})
    with pytest.raises(TrapError, match="target must be specified"):
        queues.add(name="u3")


def test_queries_proplist_and_count(api, sim):
    secrets = api.path("ppp", "secret")
    for number in range(1, 5):
        secrets.add(name=f"u{number}", password="pw", disabled=number % 2 == 0)

    def names(query):
        return sorted(row["name"] for row in query)

    assert names(secrets.select(Key("name")).where(Key("name") == "u3")) == ["u3"]
    assert names(secrets.select(Key("name")).where(Key("disabled") == "yes")) == ["u2", "u4"]
    assert names(secrets.select(Key("name")).where(Key("name") != "u1")) == ["u2", "u3", "u4"]
    assert names(secrets.select(Key("name")).where(Key("name").In("u1", "u4"))) == ["u1", "u4"]
    assert names(
        secrets.select(Key("name")).where(Or(Key("name") == "u1", And(Key("disabled") == "yes", Key("name") == "u4")))
    ) == ["u1", "u4"]
    rows = list(secrets.select(Key(".id"), Key("name")).where(Key("name") == "u1"))
    assert list(rows[0]) == [".id", "name"]
    assert list(api.rawCmd("/ppp/secret/print", "=count-only=", "?disabled=true")) == [{"ret": 2}]
    assert list(api.rawCmd("/ppp/secret/print", "?-comment")) == []


# -- sessions, reboot, state ---------------------------------------------------------------------------


def test_dial_in_uptime_and_drop(api, sim):
    secrets = api.path("ppp", "secret")
    secrets.add(name="u1", password="pw", **{"remote-address": "10.0.0.9"})
    secrets.add(name="u2", password="pw", disabled=True)
    secrets.add(name="u3", password="pw")
    assert sim.dial_in("u2") is None  # disabled: refused
    assert sim.dial_in("nobody") is None
    assert sim.dial_in("u1")["address"] == "10.0.0.9"
    assert sim.dial_in("u3")["address"].startswith("100.64.0.")
    active = api.path("ppp", "active")
    rows = {row["name"]: row for row in active}
    assert set(rows) == {"u1", "u3"} and rows["u1"]["uptime"].endswith("s")
    # Disabling a secret does not end its session: the API client must drop it.
    secrets.update(**{".id": sim.rows("/ppp/secret", name="u1")[0][".id"], "disabled": True})
    assert len(sim.rows("/ppp/active", name="u1")) == 1
    active.remove(rows["u1"][".id"])
    assert [row["name"] for row in sim.state()["/ppp/active"]] == ["u3"]


def test_reboot_renumbers_and_ends_sessions(api, sim):
    api.path("ppp", "secret").add(name="u1", password="pw")
    sim.dial_in("u1")
    before = sim.rows("/ppp/secret", name="u1")[0][".id"]
    sim.reboot()
    assert sim.rows("/ppp/secret", name="u1")[0][".id"] != before
    assert sim.state()["/ppp/active"] == []
    assert sim.rows("/ppp/profile", name="default")[0][".id"] == "*0"


def test_state_file_survives_a_restart(tmp_path):
    path = str(tmp_path / "router.json")
    with simulator.start(platform="mikrotik", password=PASSWORD, state_file=path) as first:
        api = connect(first)
        api.path("ppp", "secret").add(name="u1", password="pw")
        api.close()
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle)["/ppp/secret"][0]["name"] == "u1"
    with simulator.start(platform="mikrotik", password=PASSWORD, state_file=path) as second:
        api = connect(second)
        new_id = api.path("ppp", "secret").add(name="u2", password="pw")
        api.close()
        assert [row["name"] for row in second.state()["/ppp/secret"]] == ["u1", "u2"]
        assert new_id != second.rows("/ppp/secret", name="u1")[0][".id"]


def test_seed_rows_and_extra_users():
    options = {"users": {"reader": "R3ad"}, "rows": {"/ppp/profile": [{"name": "CORTADO", "rate_limit": "64k/64k"}]}}
    with simulator.start(platform="mikrotik", password=PASSWORD, options=options) as sim:
        librouteros.connect(sim.host, "reader", "R3ad", port=sim.port).close()
        assert sim.rows("/ppp/profile", name="CORTADO")[0]["rate-limit"] == "64k/64k"


# -- faults ------------------------------------------------------------------------------------


def test_reject_pattern_changes_nothing(api, sim):
    sim.faults.reject_pattern = r"^/ppp/secret/add .*=name=u2"
    api.path("ppp", "secret").add(name="u1", password="pw")
    with pytest.raises(TrapError, match="failure: simulated fault"):
        api.path("ppp", "secret").add(name="u2", password="pw")
    sim.faults.reject_text = "failure: router busy"
    with pytest.raises(TrapError, match="failure: router busy"):
        api.path("ppp", "secret").add(name="u2", password="pw")
    assert [row["name"] for row in sim.state()["/ppp/secret"]] == ["u1"]
    assert sim.commands[-1].startswith("/ppp/secret/add =name=u2")


def test_drop_pattern_and_drop_after(sim):
    sim.faults.drop_pattern = r"^/queue/simple/add"
    api = connect(sim)
    with pytest.raises(ConnectionClosed):
        api.path("queue", "simple").add(name="q", target="10.0.0.1")
    assert sim.state()["/queue/simple"] == []
    sim.faults.drop_pattern = None
    sim.faults.drop_after_commands = 2
    api = connect(sim)
    list(api.path("ppp", "secret"))
    list(api.path("ppp", "secret"))
    with pytest.raises(ConnectionClosed):
        list(api.path("ppp", "secret"))
    # Per connection: a new one gets its own allowance.
    api = connect(sim)
    list(api.path("ppp", "secret"))
    api.close()


def test_reject_login(sim):
    sim.faults.reject_login = True
    with pytest.raises(TrapError):
        connect(sim)
    assert sim.logins["failed"] == 1


def test_login_delay(sim):
    sim.faults.login_delay = 0.5
    started = time.monotonic()
    connect(sim).close()
    assert time.monotonic() - started >= 0.5
    assert sim.logins["succeeded"] == 1


def test_slow_command_makes_the_client_time_out(sim):
    sim.faults.slow_pattern = r"^/ppp/profile/print"
    sim.faults.slow_extra = 30
    api = librouteros.connect(sim.host, "admin", PASSWORD, port=sim.port, timeout=0.3)
    with pytest.raises((socket.timeout, TimeoutError)):
        list(api.path("ppp", "profile"))
    api.close()


def test_drop_after_runs_the_sentence_then_hangs_up(sim):
    sim.faults.drop_after_pattern = r"^/queue/simple/add"
    api = connect(sim)
    with pytest.raises(ConnectionClosed):
        api.path("queue", "simple").add(name="q", target="10.0.0.1")
    assert [row["name"] for row in sim.state()["/queue/simple"]] == ["q"], "it ran before the close"
    assert sim.faults.drop_after_pattern is None, "fault_count 1: spent"
    api = connect(sim)
    assert [row["name"] for row in api.path("queue", "simple")] == ["q"]
    api.close()


def test_injected_drop_fires_count_times(sim):
    sim.faults.inject("drop", r"^/ppp/secret/print", count=1, skip=1)
    api = connect(sim)
    list(api.path("ppp", "secret"))  # let through
    with pytest.raises(ConnectionClosed):
        list(api.path("ppp", "secret"))
    api = connect(sim)
    assert list(api.path("ppp", "secret")) == []
    api.close()


def test_a_late_done_takes_effect_at_once_and_the_session_goes_on(sim):
    sim.faults.inject("late", r"^/ppp/secret/add", delay=1.0)
    sock = socket.create_connection((sim.host, sim.port), timeout=5)
    protocol = ApiProtocol(SocketTransport(sock), "utf-8")
    assert call(protocol, "/login", "=name=admin", f"=password={PASSWORD}")[-1][0] == "!done"
    started = time.monotonic()
    protocol.writeSentence("/ppp/secret/add", "=name=late1", "=password=x")
    time.sleep(0.3)
    assert [row["name"] for row in sim.state()["/ppp/secret"]] == ["late1"], "it took effect before the answer"
    reply = tuple(iter(protocol.readWord, ""))
    assert reply[0] == "!done" and time.monotonic() - started >= 1.0
    assert call(protocol, "/ppp/secret/print", "?name=late1")[0][0] == "!re"
    sock.close()


def test_latency_with_jitter_per_sentence(sim):
    sim.faults.latency, sim.faults.jitter = 0.1, 0.05
    api = connect(sim)
    started = time.monotonic()
    for _ in range(3):
        list(api.path("ppp", "secret"))
    assert time.monotonic() - started >= 3 * 0.05
    api.close()


def test_words_are_bytes_kept_as_they_came(sim):
    api = connect(sim, encoding="cp1252")
    api.path("ppp", "secret").add(name="u9", password="x", comment="Peña")
    assert [row["comment"] for row in api.path("ppp", "secret")] == ["Peña"]
    api.close()
