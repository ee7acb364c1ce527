"""MikroTik driver: the real librouteros client over real sockets (plain and TLS)
to the RouterOS simulator, checked against the simulator's own state."""

import json
import socket

import pytest

import simulator
from drivers import get_driver
from drivers.errors import (
    AuthenticationError,
    CommandRejected,
    CommandTimeout,
    ConnectError,
    ConnectTimeout,
    DriverError,
    HostKeyMismatch,
    InvalidInput,
)
from drivers.mikrotik import format_rate, profile_rate_limit, queue_limits, split_marker
from drivers.models import RateLimit, Subscriber, Target

ROUTER_PASSWORD = "R0uter-Adm1n-Pw"
PPPOE_PASSWORD = "Ppp0e-S3cret-u1"
NEW_PPPOE_PASSWORD = "Ppp0e-S3cret-NEW"

PLAN_10 = RateLimit(up=10, down=20)
PLAN_30 = RateLimit(
    up=30,
    down=60,
    burst_up=40,
    burst_down=80,
    threshold_up=24,
    threshold_down=48,
    burst_time_up=8,
    burst_time_down=8,
    priority=5,
)

PROFILES = [{"name": "plan-10M"}, {"name": "plan-30M"}, {"name": "CORTADO", "rate_limit": "64k/64k"}]
WRITES = ("/add", "/set", "/remove", "/enable", "/disable")


@pytest.fixture(params=["api", "api-ssl"])
def sim(request):
    with simulator.start(
        platform="mikrotik",
        protocol=request.param,
        password=ROUTER_PASSWORD,
        options={"rows": {"/ppp/profile": PROFILES}},
    ) as running:
        yield running


def target_for(sim, pin=True, **options):
    return Target(
        platform="mikrotik",
        host=sim.host,
        port=sim.port,
        protocol=sim.protocol,
        username="admin",
        password=ROUTER_PASSWORD,
        host_key=(sim.host_key_fingerprint or "") if pin else "",
        connect_timeout=5,
        command_timeout=5,
        options=options,
    )


def driver_for(sim, pin=True, **options):
    return get_driver("mikrotik")(target_for(sim, pin, **options))


def subscriber(**changes):
    values = {
        "name": "u1",
        "password": PPPOE_PASSWORD,
        "profile": "plan-10M",
        "remote_address": "10.20.0.5",
        "comment": "CT-0001",
        "rate_limit": PLAN_10,
    }
    values.update(changes)
    return Subscriber(**values)


def one(sim, path, **where):
    rows = sim.rows(path, **where)
    assert len(rows) == 1, rows
    return rows[0]


def config(sim):
    """The router's configuration without the sessions (what an operation may change)."""
    state = sim.state()
    return {path: rows for path, rows in state.items() if path.startswith("/") and path != "/ppp/active"}


def writes(sim, since=0):
    return [line for line in sim.commands[since:] if line.split(" ")[0].endswith(WRITES)]


def assert_no_secret(text):
    for secret in (ROUTER_PASSWORD, PPPOE_PASSWORD, NEW_PPPOE_PASSWORD):
        assert secret not in text


# -- lifecycle -------------------------------------------------------------------------


def test_create_update_rerun_remove(sim):
    result = driver_for(sim).ensure_subscriber(subscriber())
    assert result.data == {"name": "u1", "created": True, "changed": ["secret", "queue"]}
    secret = one(sim, "/ppp/secret", name="u1")
    assert (secret["password"], secret["profile"], secret["remote-address"], secret["comment"], secret["disabled"]) == (
        PPPOE_PASSWORD,
        "plan-10M",
        "10.20.0.5",
        "CT-0001",
        "false",
    )
    queue = one(sim, "/queue/simple", name="u1")
    assert (queue["target"], queue["max-limit"], queue["burst-limit"]) == ("10.20.0.5/32", "10000000/20000000", "0/0")
    assert "/ppp/secret/add name=u1 password=******** service=pppoe" in result.transcript.commands()[-2]

    # Re-run: nothing written at all.
    before, mark = config(sim), len(sim.commands)
    again = driver_for(sim).ensure_subscriber(subscriber())
    assert again.data == {"name": "u1", "created": False, "changed": []}
    assert writes(sim, mark) == [] and config(sim) == before

    # Plan and password change: only what differs is set, on the same .id.
    updated = driver_for(sim).ensure_subscriber(
        subscriber(password=NEW_PPPOE_PASSWORD, profile="plan-30M", rate_limit=PLAN_30)
    )
    assert updated.data["changed"] == [
        "password",
        "profile",
        "queue.burst-limit",
        "queue.burst-threshold",
        "queue.burst-time",
        "queue.max-limit",
        "queue.priority",
    ]
    secret_after = one(sim, "/ppp/secret", name="u1")
    assert secret_after[".id"] == secret[".id"]
    assert (secret_after["password"], secret_after["profile"]) == (NEW_PPPOE_PASSWORD, "plan-30M")
    queue = one(sim, "/queue/simple", name="u1")
    assert (
        queue["max-limit"],
        queue["burst-limit"],
        queue["burst-threshold"],
        queue["burst-time"],
        queue["priority"],
    ) == ("30000000/60000000", "40000000/80000000", "24000000/48000000", "8s/8s", "5/5")

    sim.dial_in("u1")
    removed = driver_for(sim).remove_subscriber("u1")
    assert removed.data == {"name": "u1", "removed": True}
    state = sim.state()
    assert state["/ppp/secret"] == [] and state["/queue/simple"] == [] and state["/ppp/active"] == []
    # Removing again is not an error and writes nothing.
    mark = len(sim.commands)
    assert driver_for(sim).remove_subscriber("u1").data == {"name": "u1", "removed": False}
    assert writes(sim, mark) == []


def test_rate_limit_on_the_ppp_profile(sim):
    driver = driver_for(sim, rate_limit_method="profile")
    result = driver.ensure_subscriber(subscriber(profile="plan-new", remote_address="", rate_limit=PLAN_30))
    assert result.data["changed"] == ["profile", "secret"]
    assert one(sim, "/ppp/profile", name="plan-new")["rate-limit"] == "30M/60M 40M/80M 24M/48M 8/8 5"
    assert one(sim, "/ppp/secret", name="u1")["profile"] == "plan-new"
    assert sim.rows("/queue/simple") == []
    mark = len(sim.commands)
    assert (
        driver_for(sim, rate_limit_method="profile")
        .ensure_subscriber(subscriber(profile="plan-new", remote_address="", rate_limit=PLAN_30))
        .data["changed"]
        == []
    )
    assert writes(sim, mark) == []
    driver_for(sim, rate_limit_method="profile").ensure_subscriber(
        subscriber(profile="plan-new", remote_address="", rate_limit=PLAN_10)
    )
    assert one(sim, "/ppp/profile", name="plan-new")["rate-limit"] == "10M/20M"


def test_ids_are_looked_up_after_a_reboot(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    old_id = one(sim, "/ppp/secret", name="u1")[".id"]
    sim.reboot()
    assert one(sim, "/ppp/secret", name="u1")[".id"] != old_id
    driver_for(sim).suspend_subscriber("u1", "disable_secret")
    assert one(sim, "/ppp/secret", name="u1")["disabled"] == "true"


def test_one_login_per_operation_and_per_with_block(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    assert sim.logins["succeeded"] == 1
    driver = driver_for(sim)
    with driver:
        driver.suspend_subscriber("u1")
        driver.subscriber_status("u1")
        driver.resume_subscriber("u1")
    assert sim.logins["succeeded"] == 2


# -- suspend and resume ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["disable_secret", "address_list", "profile"])
def test_suspend_and_resume_restore_exactly(sim, method):
    driver_for(sim).ensure_subscriber(subscriber())
    # Someone else's entry in the same list must survive both operations.
    sim.add("/ip/firewall/address-list", list="CORTADOS", address="10.99.0.1", comment="manual")
    sim.dial_in("u1")
    before = config(sim)

    result = driver_for(sim, suspend_method=method).suspend_subscriber("u1")
    assert result.data == {"name": "u1", "method": method, "changed": True}
    secret = one(sim, "/ppp/secret", name="u1")
    assert split_marker(secret["comment"])[:2] == ("CT-0001", method)
    entries = sim.rows("/ip/firewall/address-list", list="CORTADOS", address="10.20.0.5")
    if method == "disable_secret":
        assert secret["disabled"] == "true" and secret["profile"] == "plan-10M" and entries == []
        assert sim.rows("/ppp/active", name="u1") == []
        assert sim.dial_in("u1") is None  # the router now refuses the subscriber
    elif method == "address_list":
        assert secret["disabled"] == "false" and secret["profile"] == "plan-10M" and len(entries) == 1
        assert len(sim.rows("/ppp/active", name="u1")) == 1  # the filter rule does the cutting
    else:
        assert secret["profile"] == "CORTADO" and secret["disabled"] == "false" and entries == []
        assert sim.rows("/ppp/active", name="u1") == []  # redials under the suspension profile
    status = driver_for(sim).subscriber_status("u1").data
    assert status.suspended and status.exists

    # A second suspend changes nothing.
    mark = len(sim.commands)
    assert driver_for(sim, suspend_method=method).suspend_subscriber("u1").data["changed"] is False
    assert writes(sim, mark) == []

    # Resume without naming the method: the marker says which one.
    resumed = driver_for(sim).resume_subscriber("u1")
    assert resumed.data == {"name": "u1", "method": method, "changed": True}
    assert config(sim) == before
    assert driver_for(sim).subscriber_status("u1").data.suspended is False
    mark = len(sim.commands)
    assert driver_for(sim).resume_subscriber("u1").data["changed"] is False
    assert writes(sim, mark) == []


def test_already_have_such_entry_counts_as_done(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    # The router answers the add as if an earlier, interrupted run had made it.
    sim.faults.reject_pattern = r"^/ip/firewall/address-list/add"
    sim.faults.reject_text = "failure: already have such entry"
    result = driver_for(sim).suspend_subscriber("u1", "address_list")
    assert result.data["changed"] is True
    assert "rolling back" not in result.transcript.to_text()
    assert split_marker(one(sim, "/ppp/secret", name="u1")["comment"])[1] == "address_list"


def test_pre_6_43_token_login(sim):
    driver_for(sim, login="token").ensure_subscriber(subscriber())
    assert sim.logins == {"attempted": 1, "succeeded": 1, "failed": 0}
    assert one(sim, "/ppp/secret", name="u1")["password"] == PPPOE_PASSWORD


def test_method_per_call_overrides_the_router_default(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    driver_for(sim, suspend_method="disable_secret").suspend_subscriber("u1", method="address_list")
    assert one(sim, "/ppp/secret", name="u1")["disabled"] == "false"
    assert len(sim.rows("/ip/firewall/address-list", list="CORTADOS")) == 1
    with pytest.raises(DriverError, match="suspended by address_list"):
        driver_for(sim).resume_subscriber("u1", method="profile")
    with pytest.raises(DriverError, match="resume it before"):
        driver_for(sim).suspend_subscriber("u1", method="profile")
    driver_for(sim).resume_subscriber("u1", method="address_list")
    assert sim.rows("/ip/firewall/address-list") == []


def test_address_list_name_is_configurable_and_uses_the_session_address(sim):
    driver_for(sim).ensure_subscriber(subscriber(remote_address="", rate_limit=None))
    with pytest.raises(DriverError, match="no address to cut off"):
        driver_for(sim, address_list="MOROSOS").suspend_subscriber("u1", "address_list")
    session = sim.dial_in("u1")
    driver_for(sim, address_list="MOROSOS").suspend_subscriber("u1", "address_list")
    entry = one(sim, "/ip/firewall/address-list", list="MOROSOS")
    assert entry["address"] == session["address"]
    driver_for(sim, address_list="MOROSOS").resume_subscriber("u1")
    assert sim.rows("/ip/firewall/address-list") == []


def test_an_entry_that_was_already_listed_stays_listed(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    sim.add("/ip/firewall/address-list", list="CORTADOS", address="10.20.0.5", comment="by hand")
    before = config(sim)
    driver_for(sim).suspend_subscriber("u1", "address_list")
    driver_for(sim).resume_subscriber("u1")
    assert config(sim) == before


def test_plan_change_while_suspended_by_profile_waits_for_resume(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    driver_for(sim).suspend_subscriber("u1", "profile")
    driver_for(sim).ensure_subscriber(subscriber(profile="plan-30M"))
    secret = one(sim, "/ppp/secret", name="u1")
    assert secret["profile"] == "CORTADO"
    assert split_marker(secret["comment"]) == ("CT-0001", "profile", "plan-30M")
    driver_for(sim).resume_subscriber("u1")
    secret = one(sim, "/ppp/secret", name="u1")
    assert (secret["profile"], secret["comment"]) == ("plan-30M", "CT-0001")


def test_a_secret_disabled_by_hand_is_not_taken_over(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    sim_id = one(sim, "/ppp/secret", name="u1")[".id"]
    with sim.lock:
        sim.router.set("/ppp/secret", [sim_id], {"disabled": "yes"})
    assert driver_for(sim).suspend_subscriber("u1", "disable_secret").data["changed"] is False
    assert driver_for(sim).resume_subscriber("u1").data["changed"] is False
    assert one(sim, "/ppp/secret", name="u1")["disabled"] == "true"


def test_status(sim):
    driver = driver_for(sim)
    assert driver.subscriber_status("u1").data.exists is False
    driver_for(sim).ensure_subscriber(subscriber())
    status = driver_for(sim).subscriber_status("u1").data
    assert (status.exists, status.enabled, status.online, status.suspended) == (True, True, False, False)
    sim.dial_in("u1")
    status = driver_for(sim).subscriber_status("u1").data
    assert status.online and status.address == "10.20.0.5" and status.uptime.endswith("s")
    assert driver_for(sim).subscriber_status("u1").to_dict()["data"]["address"] == "10.20.0.5"


# -- failures roll back ------------------------------------------------------------------------


def test_new_subscriber_rejected_midway_leaves_nothing(sim):
    before = config(sim)
    sim.faults.reject_pattern = r"^/queue/simple/add"
    sim.faults.reject_text = "failure: already have such name"
    with pytest.raises(CommandRejected) as caught:
        driver_for(sim).ensure_subscriber(subscriber())
    assert caught.value.device_message == "failure: already have such name"
    assert caught.value.command.startswith("/queue/simple/add name=u1")
    assert config(sim) == before
    text = caught.value.transcript.to_text()
    assert "undone: read back, the device is as it was" in text and "/ppp/secret/remove" in text


def test_update_rejected_midway_restores_the_secret(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    before = config(sim)
    sim.faults.reject_pattern = r"^/queue/simple/set"
    with pytest.raises(CommandRejected):
        driver_for(sim).ensure_subscriber(
            subscriber(password=NEW_PPPOE_PASSWORD, profile="plan-30M", rate_limit=PLAN_30)
        )
    assert config(sim) == before


def test_connection_dropped_midway_is_rolled_back_after_logging_in_again(sim):
    before = config(sim)
    sim.faults.drop_pattern = r"^/queue/simple/add"
    with pytest.raises(ConnectError) as caught:
        driver_for(sim).ensure_subscriber(subscriber())
    assert config(sim) == before
    assert "logging in again" in caught.value.transcript.to_text()


def test_router_refusing_the_profile_changes_nothing(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    before = config(sim)
    with pytest.raises(CommandRejected) as caught:
        driver_for(sim, suspend_profile="NO-SUCH").suspend_subscriber("u1", "profile")
    assert caught.value.device_message == "input does not match any value of profile"
    assert config(sim) == before


@pytest.mark.parametrize(
    "method,fail",
    [
        ("disable_secret", r"^/ppp/active/remove"),
        ("profile", r"^/ppp/active/remove"),
        ("address_list", r"^/ppp/secret/set"),
    ],
)
def test_suspend_failing_midway_leaves_the_router_as_it_was(sim, method, fail):
    driver_for(sim).ensure_subscriber(subscriber())
    sim.dial_in("u1")
    before = config(sim)
    sim.faults.reject_pattern = fail
    with pytest.raises(CommandRejected):
        driver_for(sim).suspend_subscriber("u1", method)
    assert config(sim) == before


def test_remove_failing_midway_restores_queue_and_entry(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    driver_for(sim).suspend_subscriber("u1", "address_list")
    before = config(sim)
    sim.faults.reject_pattern = r"^/ppp/secret/remove"
    with pytest.raises(CommandRejected):
        driver_for(sim).remove_subscriber("u1")
    after = config(sim)

    def strip(state):
        # Items a rollback adds back get new ids and creation times.
        return {
            path: [{k: v for k, v in row.items() if k not in (".id", "creation-time")} for row in rows]
            for path, rows in state.items()
        }

    assert strip(after) == strip(before)


def test_command_timeout(sim):
    driver_for(sim).ensure_subscriber(subscriber())
    sim.faults.slow_pattern = r"^/ppp/secret/set"
    sim.faults.slow_extra = 30
    target = target_for(sim)
    quick = Target(**{**target.__dict__, "command_timeout": 0.5})
    with pytest.raises(CommandTimeout):
        get_driver("mikrotik")(quick).suspend_subscriber("u1", "disable_secret")


# -- connection and credentials -----------------------------------------------------------------


def test_wrong_router_password(sim):
    target = Target(**{**target_for(sim).__dict__, "password": "Wr0ng-Adm1n-Pw"})
    with pytest.raises(AuthenticationError) as caught:
        get_driver("mikrotik")(target).subscriber_status("u1")
    assert "invalid user name or password" in caught.value.message
    assert "Wr0ng-Adm1n-Pw" not in caught.value.transcript.to_text() + str(caught.value)
    sim.faults.reject_login = True
    with pytest.raises(AuthenticationError):
        driver_for(sim).subscriber_status("u1")
    assert sim.logins["succeeded"] == 0


def test_nothing_listening():
    with simulator.start(platform="mikrotik") as gone:
        port = gone.port
    target = Target("mikrotik", "127.0.0.1", port, "api", "admin", "x", connect_timeout=2)
    with pytest.raises(ConnectError):
        get_driver("mikrotik")(target).subscriber_status("u1")


def test_router_that_never_answers_the_login():
    # A listening socket nobody serves: TCP connects, the /login is never answered.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        target = Target(
            "mikrotik", "127.0.0.1", silent.getsockname()[1], "api", "admin", ROUTER_PASSWORD, connect_timeout=0.5
        )
        with pytest.raises(ConnectTimeout) as caught:
            get_driver("mikrotik")(target).subscriber_status("u1")
    assert_no_secret(caught.value.transcript.to_text() + str(caught.value))


def test_tls_certificate_pinning():
    with simulator.start(platform="mikrotik", protocol="api-ssl", password=ROUTER_PASSWORD) as sim:
        unpinned = driver_for(sim, pin=False)
        result = unpinned.subscriber_status("u1")
        assert unpinned.seen_host_key == sim.host_key_fingerprint
        assert sim.host_key_fingerprint in result.transcript.to_text()
        wrong = Target(**{**target_for(sim).__dict__, "host_key": "SHA256:" + "A" * 43})
        with pytest.raises(HostKeyMismatch) as caught:
            get_driver("mikrotik")(wrong).subscriber_status("u1")
        assert caught.value.seen == sim.host_key_fingerprint
        assert sim.logins["attempted"] == 1  # the mismatch was refused before the password went out


# -- secrets and bad input ----------------------------------------------------------------------------


def test_secrets_never_reach_transcripts_or_errors(sim):
    results = [
        driver_for(sim).ensure_subscriber(subscriber()),
        driver_for(sim).ensure_subscriber(subscriber(password=NEW_PPPOE_PASSWORD)),
        driver_for(sim).subscriber_status("u1"),
    ]
    sim.faults.reject_pattern = r"^/ppp/secret/remove"
    with pytest.raises(CommandRejected) as caught:
        driver_for(sim).remove_subscriber("u1")
    error = caught.value
    texts = [json.dumps(result.to_dict()) for result in results]
    texts += [error.transcript.to_text(), str(error), json.dumps(error.to_dict()), repr(subscriber())]
    for text in texts:
        assert_no_secret(text)
    # The rollback re-added the secret with its password: masked too.
    assert "password=********" in error.transcript.to_text()


BAD_SUBSCRIBERS = [
    ("name", {"name": "u 1"}),
    ("name", {"name": ""}),
    ("password", {"password": ""}),
    ("password", {"password": "has space"}),
    ("profile", {"profile": "plan 10"}),
    ("profile", {"profile": "CORTADO"}),
    ("remote_address", {"remote_address": "10.20.0.300"}),
    ("remote_address", {"remote_address": ""}),  # a queue needs a target
    ("comment", {"comment": "CT-1\n/ppp/secret/remove"}),
    ("comment", {"comment": "[suspended=profile:x]"}),
    ("rate_limit.up", {"rate_limit": RateLimit(up=0, down=10)}),
    ("rate_limit.down", {"rate_limit": RateLimit(up=10, down="20")}),
    ("rate_limit.priority", {"rate_limit": RateLimit(up=10, down=20, priority=9)}),
    ("rate_limit.burst_up", {"rate_limit": RateLimit(up=10, down=20, burst_up=5, threshold_up=5, burst_time_up=8)}),
    ("rate_limit.threshold_down", {"rate_limit": RateLimit(up=10, down=20, burst_down=40, burst_time_down=8)}),
    ("rate_limit.burst_time_up", {"rate_limit": RateLimit(up=10, down=20, burst_up=20, threshold_up=8)}),
]


@pytest.mark.parametrize("field,change", BAD_SUBSCRIBERS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_SUBSCRIBERS)])
def test_bad_subscriber_is_refused_before_connecting(sim, field, change):
    with pytest.raises(InvalidInput) as caught:
        driver_for(sim).ensure_subscriber(subscriber(**change))
    assert caught.value.field == field
    assert sim.connections == 0 and sim.logins["attempted"] == 0
    assert_no_secret(str(caught.value))


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda d: d.suspend_subscriber("u1", method="cut_cable"), "method"),
        (lambda d: d.resume_subscriber("u1", method="cut_cable"), "method"),
        (lambda d: d.suspend_subscriber("bad name"), "name"),
        (lambda d: d.remove_subscriber("u1;x"), "name"),
        (lambda d: d.subscriber_status(""), "name"),
    ],
)
def test_bad_arguments_are_refused_before_connecting(sim, call, field):
    with pytest.raises(InvalidInput) as caught:
        call(driver_for(sim))
    assert caught.value.field == field
    assert sim.connections == 0


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"protocol": "ssh"}, "protocol"),
        ({"options": {"suspend_method": "unplug"}}, "options.suspend_method"),
        ({"options": {"rate_limit_method": "magic"}}, "options.rate_limit_method"),
        ({"options": {"address_list": "CORTADOS; drop"}}, "options.address_list"),
        ({"username": ""}, "username"),
        ({"options": {"login": "md5"}}, "options.login"),
    ],
)
def test_bad_target_is_refused_before_connecting(sim, changes, field):
    target = Target(**{**target_for(sim).__dict__, **changes})
    with pytest.raises(InvalidInput) as caught:
        get_driver("mikrotik")(target).subscriber_status("u1")
    assert caught.value.field == field
    assert sim.connections == 0


def test_profile_rate_limit_refuses_the_shared_default_profile(sim):
    with pytest.raises(InvalidInput) as caught:
        driver_for(sim, rate_limit_method="profile").ensure_subscriber(subscriber(profile="default"))
    assert caught.value.field == "profile"
    assert sim.connections == 0


# -- RouterOS formats ------------------------------------------------------------------------


def test_rate_formats():
    assert [format_rate(x) for x in (10, 1.5, 0.512, 0, 1000)] == ["10M", "1500k", "512k", "0", "1000M"]
    assert profile_rate_limit(PLAN_10) == "10M/20M"
    assert profile_rate_limit(RateLimit(up=2, down=4, priority=3)) == "2M/4M 0/0 0/0 0/0 3"
    assert profile_rate_limit(PLAN_30) == "30M/60M 40M/80M 24M/48M 8/8 5"
    assert queue_limits(PLAN_30) == {
        "max-limit": "30M/60M",
        "burst-limit": "40M/80M",
        "burst-threshold": "24M/48M",
        "burst-time": "8s/8s",
        "priority": "5/5",
    }
    assert split_marker("CT 1 [suspended=address_list:10.0.0.1:present]") == (
        "CT 1",
        "address_list",
        "10.0.0.1:present",
    )
    assert split_marker("plain") == ("plain", "", "")
