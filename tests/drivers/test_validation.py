"""Input checks (drivers/validation.py): what is checked is what is sent.

Each hole found on the way has its case: a trailing newline passing a name
check (``$`` matches before it), a stripped copy checked while the original
was sent, digits Python's int() takes but a CLI does not, and a non-ASCII
router comment escaping as UnicodeEncodeError (no DriverError, so no
rollback).  The driver cases run against the simulators: the value on the
device is the checked one, and a refused value never opens a connection.
"""

import pytest

import simulator
from drivers import get_driver
from drivers import validation as v
from drivers.errors import InvalidInput
from drivers.models import BulkChange, OnuRef, OnuService, Subscriber, Target, WanConfig

PASSWORD = "Val1d-Pw-1"
ROUTER_PASSWORD = "Val1d-R0uter-Pw"


@pytest.mark.parametrize("value", ["10\n", "plan\n", "a\r\n", "\n10", "x y", "", "p?"])
def test_a_name_is_refused_whole_not_up_to_a_newline(value):
    with pytest.raises(InvalidInput) as raised:
        v.check_name(value, "line_profile")
    assert raised.value.field == "line_profile"


@pytest.mark.parametrize("check", [v.check_description, lambda value: v.check_pppoe_user(value, "wan.username")])
def test_descriptions_and_users_are_refused_with_a_trailing_newline(check):
    with pytest.raises(InvalidInput):
        check("CT-0001\n")


@pytest.mark.parametrize(
    "value",
    ["\n100", "100\n", " 100", "100 ", "1_00", "\u0661\u0660\u0660", "\uff11\uff10\uff10", "+100", "1e2", "0x64", ""],
)
def test_whole_numbers_are_ascii_digits_exactly(value):
    with pytest.raises(InvalidInput) as raised:
        v.check_int("vlan", value, 1, 4094)
    assert raised.value.field == "vlan"


@pytest.mark.parametrize("value", [True, 100.0, None, b"100"])
def test_whole_numbers_are_ints_or_text(value):
    with pytest.raises(InvalidInput):
        v.check_int("vlan", value, 1, 4094)


def test_a_whole_number_is_returned_in_the_form_that_is_sent():
    assert v.check_int("vlan", "0100", 1, 4094) == 100
    assert v.check_int("vlan", 100, 1, 4094) == 100
    assert v.check_vlan("4094") == 4094


@pytest.mark.parametrize(
    "value", ["8.8.8.8\n", " 8.8.8.8", "8.8.8.8 ", "\u0668.\u0668.\u0668.\u0668", "08.8.8.8", "8.8.8", "8.8.8.8.8", ""]
)
def test_an_ipv4_address_is_checked_as_it_is_sent(value):
    with pytest.raises(InvalidInput) as raised:
        v.check_ipv4(value, "wan.dns1")
    assert raised.value.field == "wan.dns1"


def test_an_ipv4_address_comes_back_canonical():
    assert v.check_ipv4("192.0.2.1", "wan.gateway") == "192.0.2.1"


@pytest.mark.parametrize("value", ["0/1/\u0663", "0/1/\n3", "0/1/-3", "0/1/3\n"])
def test_a_pon_address_is_ascii_digits(value):
    with pytest.raises(InvalidInput) as raised:
        v.check_pon(value, 3)
    assert raised.value.field == "pon"


@pytest.mark.parametrize("value, number", [("2", 2.0), (0, 0.0), (0.25, 0.25), ("1.5", 1.5)])
def test_seconds(value, number):
    assert v.check_seconds("options.reconnect_delay", value, 0, 60) == number


@pytest.mark.parametrize("value", ["1,5", "\n1", "inf", float("inf"), float("nan"), -1, True, "1_0"])
def test_seconds_refused(value):
    with pytest.raises(InvalidInput):
        v.check_seconds("options.reconnect_delay", value, 0, 60)


# -- through the drivers ------------------------------------------------------------------------


@pytest.fixture
def zte():
    with simulator.start(platform="zte", protocol="telnet", password=PASSWORD, onus=1, registered=1) as sim:
        yield sim


def _zte(sim):
    return get_driver("zte")(
        Target("zte", sim.host, sim.port, "telnet", "admin", PASSWORD, options={"busy_delay": 0.01})
    )


def test_the_checked_value_is_the_one_on_the_device(zte):
    waiting = zte.state()["autofind"][0]
    service = OnuService(
        serial=waiting["serial"].lower(),
        pon=waiting["pon"],
        vlan="0100",
        onu_type="ZTE-F660",
        dba_profile="100M",
    )
    result = _zte(zte).provision(service)
    sent = result.transcript.commands()
    assert not [command for command in sent if "0100" in command]
    assert any(waiting["serial"] in command for command in sent), "the serial goes out in its canonical form"
    ports = [port for port in zte.state()["service_ports"] if port["onu_id"] == result.data.onu_id]
    assert {str(port["vlan"]) for port in ports} == {"100"}


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda d, ref: d.suspend(OnuRef(ref.pon, "\n1")), "onu_id"),
        (lambda d, ref: d.suspend(OnuRef(ref.pon, "1_0")), "onu_id"),
        (lambda d, ref: d.provision_wan(ref, WanConfig("dhcp", "100\n")), "wan.vlan"),
        (lambda d, ref: d.provision_wan(ref, WanConfig("dhcp", 100, mtu="1_500")), "wan.mtu"),
        (lambda d, ref: d.bulk_apply([ref], BulkChange("vlan", {"vlan": "\u0662\u0660\u0660"})), "params.vlan"),
        (lambda d, ref: d.bulk_apply([OnuRef(ref.pon + "\n", ref.onu_id)], BulkChange("vlan", {"vlan": 2})), None),
    ],
)
def test_bad_numbers_are_refused_before_any_login(zte, call, field):
    onu = zte.state()["onus"]["1/1/1"][0]
    ref = OnuRef(onu["pon"], onu["id"])
    with pytest.raises(InvalidInput) as raised:
        call(_zte(zte), ref)
    if field:
        assert raised.value.field == field
    assert zte.logins["attempted"] == 0


def test_a_dns_address_with_a_newline_is_refused_before_any_login():
    with simulator.start(platform="vsol", protocol="telnet", password=PASSWORD, registered=1) as sim:
        onu = next(onu for onus in sim.state()["onus"].values() for onu in onus)
        driver = get_driver("vsol")(Target("vsol", sim.host, sim.port, "telnet", "admin", PASSWORD))
        wan = WanConfig("static", 100, ip="192.0.2.10", netmask="255.255.255.0", gateway="192.0.2.1", dns1="8.8.8.8\n")
        with pytest.raises(InvalidInput) as raised:
            driver.provision_wan(OnuRef(onu["pon"], onu["id"]), wan)
        assert raised.value.field == "wan.dns1"
        assert sim.logins["attempted"] == 0


# -- MikroTik comments: what the API can carry ---------------------------------------------------


@pytest.fixture
def router():
    with simulator.start(
        platform="mikrotik",
        protocol="api",
        password=ROUTER_PASSWORD,
        options={"rows": {"/ppp/profile": [{"name": "p"}]}},
    ) as sim:
        yield sim


def _router(sim, **options):
    return get_driver("mikrotik")(
        Target("mikrotik", sim.host, sim.port, "api", "admin", ROUTER_PASSWORD, options=options)
    )


def test_a_non_ascii_comment_is_refused_naming_the_field(router):
    subscriber = Subscriber(name="u1", password="Pppoe-Pw-1", profile="p", comment="Peña 12")
    with pytest.raises(InvalidInput) as raised:
        _router(router).ensure_subscriber(subscriber)
    assert raised.value.field == "comment" and "options.encoding" in str(raised.value)
    assert router.connections == 0


def test_a_comment_goes_out_in_the_chosen_code_page_and_reads_back_equal(router):
    subscriber = Subscriber(name="u1", password="Pppoe-Pw-1", profile="p", comment="Peña 12")
    assert _router(router, encoding="cp1252").ensure_subscriber(subscriber).data["created"] is True
    raw = router.rows("/ppp/secret", name="u1")[0]["comment"]
    assert raw.encode("utf-8", "surrogateescape") == "Peña 12".encode("cp1252"), "one byte per character, as WinBox"
    again = _router(router, encoding="cp1252").ensure_subscriber(subscriber)
    assert again.data["changed"] == []


def test_a_character_the_code_page_lacks_is_refused(router):
    subscriber = Subscriber(name="u1", password="Pppoe-Pw-1", profile="p", comment="CT-1 \u4e2d")
    with pytest.raises(InvalidInput) as raised:
        _router(router, encoding="cp1252").ensure_subscriber(subscriber)
    assert raised.value.field == "comment"


def test_an_unknown_encoding_is_refused(router):
    with pytest.raises(InvalidInput) as raised:
        _router(router, encoding="ebcdic").subscriber_status("u1")
    assert raised.value.field == "options.encoding"


def test_rate_limit_numbers_are_sent_canonical(router):
    from drivers.models import RateLimit

    subscriber = Subscriber(
        name="u1",
        password="Pppoe-Pw-1",
        profile="p",
        remote_address="10.0.0.9",
        rate_limit=RateLimit(10, 20, priority="05"),
    )
    _router(router).ensure_subscriber(subscriber)
    assert router.rows("/queue/simple", name="u1")[0]["priority"] == "5/5"


def test_a_device_username_with_a_newline_is_refused_before_connecting():
    from drivers import get_driver
    from drivers.errors import InvalidInput
    from drivers.models import Target

    target = Target(platform="zte", host="127.0.0.1", port=1, protocol="ssh", username="admin\nenable")
    with pytest.raises(InvalidInput) as raised:
        get_driver("zte")(target).discover()
    assert raised.value.field == "username"
