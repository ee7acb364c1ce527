"""The fault matrix: what real networks do to a plan, at every command of it.

For every OLT platform over SSH and Telnet, and for every command k of a full
provisioning (base, PPPoE WAN, WiFi), a suspend, a resume, a removal and a
bulk change of 20 ONUs, three faults are injected at k:

- ``drop``: the connection closes before k runs;
- ``drop_after``: k runs, the connection closes before its answer;
- ``late``: k runs at once, its answer comes after the client's timeout.

After each, the result must be true to the simulator's state (success: the
state of an uninterrupted run; an error: what its ``outcome``/``left`` say),
and ONE re-run must end in exactly the state of an uninterrupted run.  The
commands k come from a probe run's transcript, as in test_contract.py; the
same for the MikroTik API sentences.  Counts per platform are printed at the
end of the run (tests/drivers/conftest.py).

Timing: command timeout 1 s, late answers after 1.5 s, reconnect delay
0.05 s; most of the time is sleeping, so ``-n 4`` (pytest-xdist) fits it on
two cores.  A faulted run that leaves a device state already re-run in the
same test (most often the starting state or the uninterrupted end state)
reuses that re-run's verdict: the simulator is deterministic, so the same
state and a fresh driver make the same re-run.

The bulk run of 20 ONUs repeats the same commands for each ONU: by default
its points are every command of the first two and of the last occurrence of
each command shape (the command with its numbers taken out), which covers
each step of an ONU at the first ONU of the run, at a later one (after the
per-port reads) and at the last; ``FAULT_MATRIX_FULL=1`` tries every command
of it (about eight times the points).

Firmware profiles: each platform's default simulator profile runs the whole
matrix; every other profile runs a slice (see ``ALL_PROFILES``), and all of
it with ``SILVER_ALL_PROFILES=1``.  Off the default, a Huawei target does not
declare its firmware (the driver reads ``display version``) and a provisioning
asks only for the WAN and WiFi that firmware takes (test_contract.py checks
the refusals).
"""

import json
import os
import re
from dataclasses import dataclass, field

import pytest

import simulator
from drivers import get_driver
from drivers.errors import DriverError
from drivers.models import BulkChange, OnuRef, OnuService, RateLimit, Subscriber, Target, WanConfig, WifiConfig
from drivers.transcript import MASK

PASSWORD = "F4ult-Dev1ce-Pw"
ENABLE = "F4ult-En4ble-Pw"
PPPOE_PASSWORD = "F4ult-Ppp0e-S3cret"
WIFI_KEY = "F4ult-W1fi-K3y-Secret"
ROUTER_PASSWORD = "F4ult-R0uter-Pw"

COMMAND_TIMEOUT = 1.0
LATE_DELAY = 1.5
SESSION_OPTIONS = {"busy_delay": 0.01, "reconnect_delay": 0.05, "max_resyncs": 2}

CASES = {
    "huawei": {
        "sim_options": {"firmware": "ma5800"},
        "target_options": {"model": "MA5800", "firmware": "V100R019", "olt_wifi": True},
        "service": {"line_profile": "10", "service_profile": "10", "traffic_profile": "10"},
        # a traffic-table change is the platform's "delete, then re-create"
        "bulk": BulkChange("traffic_profile", {"profile": "20"}),
    },
    "vsol": {
        "sim_options": {},
        "target_options": {},
        "service": {"line_profile": "default", "dba_profile": "default1"},
        "bulk": BulkChange("vlan", {"vlan": 200}),
    },
    "zte": {
        "sim_options": {},
        "target_options": {},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
        "bulk": BulkChange("vlan", {"vlan": 200}),
    },
    "zte_c600": {
        "sim_options": {},
        "target_options": {},
        "service": {"onu_type": "ZTE-F660", "dba_profile": "100M"},
        "bulk": BulkChange("vlan", {"vlan": 200}),
    },
}
OPERATIONS = ("provision", "suspend", "resume", "remove", "bulk")
FAULTS = ("drop", "drop_after", "late")
FAULT_ATTRIBUTE = {"drop": "drop_pattern", "drop_after": "drop_after_pattern", "late": "late_pattern"}
BULK_ONUS = 20


def _profiles():
    """Every firmware profile of the simulator per platform (the first: CASES' own),
    and what each Huawei firmware takes over OMCI."""
    from simulator import huawei, vsol, zte

    names = {
        "huawei": ["ma5800_v100r019", *(name for name in huawei.FIRMWARES if name != "ma5800_v100r019")],
        "vsol": list(vsol.FIRMWARE),
        "zte": list(zte.FIRMWARE["zte"]),
        "zte_c600": list(zte.FIRMWARE["zte_c600"]),
    }
    capable = {
        name: {"wan": fw["wan_config"] or fw["internet_config"], "wifi": fw["wifi"]}
        for name, fw in huawei.FIRMWARES.items()
    }
    return names, capable


PROFILES, HUAWEI_CAN = _profiles()

#: SILVER_ALL_PROFILES=1: the complete matrix in every firmware profile.  Without
#: it, a profile other than the default runs a slice: provision and suspend over
#: SSH, each fault at the first command of each shape that the profiles answer
#: or take differently (the reads of the tables whose layout a profile changes,
#: the firmware read, the WAN/WiFi commands, the ONU management mode).
ALL_PROFILES = bool(os.environ.get("SILVER_ALL_PROFILES"))
_ZTE_STEPS = (
    r"show (?:system-group|software|gpon onu state|pon onu uncfg|gpon onu uncfg|pon power|gpon onu detail-info)"
    r"|pon-onu-mng"
)
PROFILE_STEPS = {
    "huawei": (
        r"display (?:version|ont autofind|ont info|ont wan-info|ont wlan-info)"
        r"|ont (?:ipconfig|internet-config|wan-config|wifi)"
    ),
    "vsol": r"show (?:version|onu info|onu state|onu auto-find|onu \d+ optical|running-config)",
    "zte": _ZTE_STEPS,
    "zte_c600": _ZTE_STEPS,
}
SLICE_OPERATIONS = ("provision", "suspend")


def _olt_matrix():
    cases = []
    for platform in CASES:
        for number, profile in enumerate(PROFILES[platform]):
            full = number == 0 or ALL_PROFILES
            for protocol in ("ssh", "telnet") if full else ("ssh",):
                for operation in OPERATIONS if full else SLICE_OPERATIONS:
                    for fault in FAULTS:
                        cases.append((platform, profile, protocol, operation, fault))
    return cases


def _olt_id(case):
    platform, profile, *rest = case
    name = [platform] if profile == PROFILES[platform][0] else [platform, profile]
    return "-".join(name + rest)


OLT_MATRIX = _olt_matrix()


def _profile_case(platform, profile):
    """CASES[platform] started as ``profile``.  Off the default, a Huawei target
    declares no model/firmware (the driver reads them with ``display version``),
    and asks only for what the firmware takes over OMCI."""
    case = dict(CASES[platform], profile=profile, wan=True, wifi=True)
    if profile == PROFILES[platform][0]:
        return case
    case["sim_options"] = dict(case["sim_options"], firmware=profile)
    if platform == "huawei":
        case["target_options"] = {"olt_wifi": True}
        case.update(HUAWEI_CAN[profile])
    return case


# -- what a point found ---------------------------------------------------------------------


@dataclass
class Tally:
    """Counts of one test (a platform, protocol, operation and fault)."""

    platform: str
    protocol: str
    operation: str
    fault: str
    tried: int = 0
    fired: int = 0
    truthful: int = 0
    converged: int = 0
    passed: int = 0
    failures: list = field(default_factory=list)
    #: why there are no points at all (the uninterrupted run failed)
    probe_error: str = ""
    #: commands of the uninterrupted run (points may be fewer, see _points)
    commands: int = 0

    def add(self, k, command, fired, truthful, converged, why):
        self.tried += 1
        self.fired += bool(fired)
        self.truthful += bool(truthful)
        self.converged += bool(converged)
        if fired and truthful and converged:
            self.passed += 1
        else:
            self.failures.append(f"{self.operation} {self.fault} at #{k} {command!r}: {why}")

    def record(self, request):
        # Read by tests/drivers/conftest.py for the closing table (works under xdist).
        summary = {key: getattr(self, key) for key in ("platform", "protocol", "operation", "fault")}
        for key in ("tried", "fired", "truthful", "converged", "passed", "probe_error", "commands"):
            summary[key] = getattr(self, key)
        request.node.user_properties.append(("fault_matrix", json.dumps(summary)))

    def check(self):
        assert not self.failures, (
            f"{len(self.failures)} of {self.tried} points failed "
            f"(truthful {self.truthful}, converged {self.converged}, fault fired {self.fired}):\n"
            + "\n".join(self.failures[:40])
        )


def _pattern(command):
    """A regex for one command line as typed (a masked secret matches any value)."""
    return re.escape(command.strip()).replace(re.escape(MASK), ".*")


def _skips(commands, lines):
    """For each transcript command, how many device lines before it its pattern
    also matches (so the fault hits this occurrence, not an earlier one)."""
    skips, position = [], 0
    for command in commands:
        pattern = re.compile(_pattern(command))
        while position < len(lines) and not pattern.fullmatch(lines[position]):
            position += 1
        assert position < len(lines), f"{command!r} is not among the lines the device received"
        skips.append(sum(1 for line in lines[:position] if pattern.fullmatch(line)))
        position += 1
    return skips


def _points(commands, operation, steps=None):
    """Indexes of the commands to fault (see the module docstring); with
    ``steps`` (a regex), the first command of each shape that matches it."""
    if steps is not None:
        shapes = {}
        for index, command in enumerate(commands):
            if re.match(steps, command.strip()):
                shapes.setdefault(re.sub(r"\d+", "#", command), index)
        return sorted(shapes.values())
    if operation != "bulk" or os.environ.get("FAULT_MATRIX_FULL"):
        return list(range(len(commands)))
    shapes = {}
    for index, command in enumerate(commands):
        shapes.setdefault(re.sub(r"\d+", "#", command), []).append(index)
    return sorted({index for indexes in shapes.values() for index in (*indexes[:2], indexes[-1])})


def _no_secret(text):
    for secret in (PASSWORD, ENABLE, PPPOE_PASSWORD, WIFI_KEY, ROUTER_PASSWORD):
        assert secret not in text


# -- OLTs -------------------------------------------------------------------------------------


def _comparable(state):
    """The device's configuration: counters and the order of auto-find left out."""
    state = json.loads(json.dumps(state))
    state.pop("saved", None)
    state["autofind"] = sorted(state.get("autofind", []), key=lambda onu: onu["serial"])
    return state


def _onu_part(state, pon, onu_id):
    """One ONU's part of the state: its entry and its service ports."""
    onu = next((item for item in state["onus"].get(pon, []) if item["id"] == onu_id), None)
    ports = [
        port
        for port in state.get("service_ports", [])
        if str(port.get("pon")) == str(pon) and str(port.get("onu_id")) == str(onu_id)
    ]
    return onu, ports


def _without(state, refs):
    """The state without the parts of ``refs`` (what a bulk run must not touch)."""
    state = json.loads(json.dumps(state))
    keys = {(str(ref.pon), str(ref.onu_id)) for ref in refs}
    for pon, onus in state["onus"].items():
        state["onus"][pon] = [onu for onu in onus if (str(pon), str(onu["id"])) not in keys]
    state["service_ports"] = [
        port for port in state.get("service_ports", []) if (str(port.get("pon")), str(port.get("onu_id"))) not in keys
    ]
    return state


class OltScene:
    """A simulated OLT in the starting state of one operation, and that operation."""

    def __init__(self, case, protocol, operation, sim):
        self.platform, self.protocol, self.operation, self.sim = case["platform"], protocol, operation, sim
        self.case = case
        self.refs = []
        self.ref = None

    def target(self):
        return Target(
            platform=self.platform,
            host=self.sim.host,
            port=self.sim.port,
            protocol=self.protocol,
            username="admin",
            password=PASSWORD,
            secret=ENABLE,
            command_timeout=COMMAND_TIMEOUT,
            options={**self.case["target_options"], **SESSION_OPTIONS},
        )

    def driver(self):
        return get_driver(self.platform)(self.target())

    def service(self):
        waiting = self.waiting
        return OnuService(
            serial=waiting["serial"], pon=waiting["pon"], vlan=100, description="CT-0001", **self.case["service"]
        )

    def prepare(self):
        """Bring the device to the operation's starting state; returns it."""
        if self.operation == "bulk":
            self.refs = [OnuRef(onu["pon"], onu["id"]) for onus in self.sim.state()["onus"].values() for onu in onus]
            assert len(self.refs) == BULK_ONUS
            return self.sim.state()
        self.waiting = self.sim.state()["autofind"][0]
        if self.operation != "provision":
            data = self.driver().provision(self.service(), **self.extras()).data
            self.ref = OnuRef(data.pon, data.onu_id)
            if self.operation == "resume":
                self.driver().suspend(self.ref)
        return self.sim.state()

    def extras(self):
        """The WAN and WiFi of a full provisioning, where the firmware takes them."""
        return {"wan": _wan() if self.case["wan"] else None, "wifi": [_wifi()] if self.case["wifi"] else []}

    def run(self, driver):
        if self.operation == "provision":
            return driver.provision(self.service(), **self.extras())
        if self.operation == "bulk":
            return driver.bulk_apply(self.refs, self.case["bulk"])
        return getattr(driver, self.operation)(self.ref)

    def truthful(self, outcome, state, baseline, uninterrupted):
        """(truthful, why) of one faulted run's result against the device."""
        if isinstance(outcome, DriverError):
            return _error_truthful(outcome, state, baseline)
        if self.operation != "bulk":
            return state == uninterrupted, "reported success, the device differs from an uninterrupted run"
        if _without(state, self.refs) != _without(baseline, self.refs):
            return False, "the bulk run changed other ONUs or other configuration"
        for item in outcome.data:
            part = _onu_part(state, item.onu.pon, item.onu.onu_id)
            if item.ok:
                if part != _onu_part(uninterrupted, item.onu.pon, item.onu.onu_id):
                    return False, f"ONU {item.onu.pon}:{item.onu.onu_id} reported done, is not as uninterrupted"
            elif item.outcome in ("unchanged", "undone"):
                if part != _onu_part(baseline, item.onu.pon, item.onu.onu_id):
                    return False, f"ONU {item.onu.pon}:{item.onu.onu_id} reported {item.outcome}, was changed"
            elif item.outcome != "left" or part == _onu_part(baseline, item.onu.pon, item.onu.onu_id):
                return False, f"ONU {item.onu.pon}:{item.onu.onu_id}: {item.outcome or 'no outcome'}: {item.error}"
        return True, ""

    def succeeded(self, outcome):
        if isinstance(outcome, DriverError):
            return False
        return self.operation != "bulk" or all(item.ok for item in outcome.data)


def _error_truthful(error, state, baseline):
    if error.outcome in ("unchanged", "undone"):
        return state == baseline, f"error says {error.outcome}, the device was changed: {error.message}"
    if error.outcome == "left":
        return state != baseline and bool(error.left), f"error says left {error.left}: {error.message}"
    return False, f"error without an outcome (the device was not read back): {error.code}: {error.message}"


def _wan():
    return WanConfig(mode="pppoe", vlan=100, username="client0001", password=PPPOE_PASSWORD)


def _wifi():
    return WifiConfig(index=1, ssid="Cliente-0001", key=WIFI_KEY)


def _attempt(run):
    try:
        return run()
    except DriverError as error:
        return error


@pytest.mark.parametrize("platform, profile, protocol, operation, fault", OLT_MATRIX, ids=map(_olt_id, OLT_MATRIX))
def test_olt_fault_matrix(request, platform, profile, protocol, operation, fault):
    case = dict(_profile_case(platform, profile), platform=platform)
    sliced = not ALL_PROFILES and profile != PROFILES[platform][0]
    with simulator.start(
        platform=platform,
        protocol=protocol,
        username="admin",
        password=PASSWORD,
        secret=ENABLE,
        onus=0 if operation == "bulk" else 1,
        registered=BULK_ONUS if operation == "bulk" else 0,
        options=dict(case["sim_options"]),
    ) as sim:
        scene = OltScene(case, protocol, operation, sim)
        start = scene.prepare()
        baseline = _comparable(start)

        label = platform if profile == PROFILES[platform][0] else f"{platform}:{profile}"
        tally = Tally(label, protocol, operation, fault)
        # The probe: an uninterrupted run, the commands it sends and where it ends.
        probe = scene.driver()
        mark = len(sim.commands)
        try:
            with probe:
                result = scene.run(probe)
                commands = probe.transcript.commands()
            assert scene.succeeded(result), _describe(result)
        except (DriverError, AssertionError) as error:
            tally.probe_error = f"the uninterrupted run failed: {error}"
            tally.record(request)
            raise
        uninterrupted = _comparable(sim.state())
        skips = _skips(commands, sim.commands[mark:])
        tally.commands = len(commands)
        reruns = {}
        points = _points(commands, operation, PROFILE_STEPS[platform] if sliced else None)
        assert points, f"no command of the run matches the profile's steps: {commands}"
        for k in points:
            command, skip = commands[k], skips[k]
            sim.faults.reset()
            sim.device.restore(start)
            sim.faults.inject(fault, "^" + _pattern(command) + "$", count=1, skip=skip, delay=LATE_DELAY)
            faulted = scene.driver()
            outcome = _attempt(lambda driver=faulted: scene.run(driver))
            fired = getattr(sim.faults, FAULT_ATTRIBUTE[fault]) is None
            sim.faults.reset()
            truthful, why = scene.truthful(outcome, _comparable(sim.state()), baseline, uninterrupted)
            _no_secret(str(outcome) + faulted.transcript.to_text())

            converged, rerun = _rerun(reruns, _comparable(sim.state()), lambda: _olt_rerun(scene, uninterrupted))
            if not converged:
                why = (why + "; " if not truthful else "") + f"re-run: {rerun}"
            elif not fired:
                why = "the fault did not fire (the run left the probe's path)"
            tally.add(k, command, fired, truthful, converged, why)
        tally.record(request)
    tally.check()


def _rerun(reruns, state, rerun):
    """(converged, description) of one re-run from ``state``, run once per state."""
    key = json.dumps(state, sort_keys=True)
    if key not in reruns:
        reruns[key] = rerun()
    return reruns[key]


def _olt_rerun(scene, uninterrupted):
    outcome = _attempt(lambda: scene.run(scene.driver()))
    converged = scene.succeeded(outcome) and _comparable(scene.sim.state()) == uninterrupted
    return converged, "" if converged else _describe(outcome)


def _describe(outcome):
    if isinstance(outcome, DriverError):
        return f"{outcome.code}: {outcome.message}"
    if hasattr(outcome, "data") and isinstance(outcome.data, list):
        failed = [item for item in outcome.data if not item.ok]
        if failed:
            return f"{len(failed)} ONU(s) failed, first: {failed[0].error}"
    return "succeeded, but the device is not as after an uninterrupted run"


# -- MikroTik -----------------------------------------------------------------------------------

ROUTER_PROFILES = [{"name": "plan-10M"}, {"name": "plan-30M"}, {"name": "CORTADO", "rate_limit": "64k/64k"}]
PLAN_10 = RateLimit(up=10, down=20)
PLAN_30 = RateLimit(up=30, down=60)


def _subscriber(**changes):
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


#: operation -> (how to prepare the router, the call)
ROUTER_OPERATIONS = {
    "create": (lambda d: None, lambda d: d.ensure_subscriber(_subscriber())),
    "update": (
        lambda d: d.ensure_subscriber(_subscriber()),
        lambda d: d.ensure_subscriber(_subscriber(password="F4ult-Ppp0e-NEW", profile="plan-30M", rate_limit=PLAN_30)),
    ),
    "create-profile-rate": (
        lambda d: None,
        lambda d: d.ensure_subscriber(_subscriber(profile="plan-new", remote_address="", rate_limit=PLAN_30)),
    ),
    "remove": (lambda d: d.ensure_subscriber(_subscriber()), lambda d: d.remove_subscriber("u1")),
    "remove-suspended": (
        lambda d: (d.ensure_subscriber(_subscriber()), d.suspend_subscriber("u1", "address_list")),
        lambda d: d.remove_subscriber("u1"),
    ),
}
for _method in ("disable_secret", "address_list", "profile"):
    ROUTER_OPERATIONS[f"suspend-{_method}"] = (
        lambda d: d.ensure_subscriber(_subscriber()),
        lambda d, m=_method: d.suspend_subscriber("u1", m),
    )
    ROUTER_OPERATIONS[f"resume-{_method}"] = (
        lambda d, m=_method: (d.ensure_subscriber(_subscriber()), d.suspend_subscriber("u1", m)),
        lambda d: d.resume_subscriber("u1"),
    )

#: router options an operation needs beyond the defaults
ROUTER_OPTIONS = {"create-profile-rate": {"rate_limit_method": "profile"}}

ROUTER_MATRIX = [
    (protocol, operation, fault)
    for protocol in ("api", "api-ssl")
    for operation in ROUTER_OPERATIONS
    for fault in FAULTS
]


def _router_config(state):
    """The router's configuration: ids and times left out, sessions by name."""
    config = {}
    for path, rows in state.items():
        if not path.startswith("/"):
            continue
        if path == "/ppp/active":
            config[path] = sorted(row["name"] for row in rows)
            continue
        config[path] = sorted(
            (json.dumps({k: v for k, v in row.items() if k not in (".id", "creation-time")}, sort_keys=True))
            for row in rows
        )
    return config


@pytest.mark.parametrize("protocol, operation, fault", ROUTER_MATRIX, ids=["-".join(case) for case in ROUTER_MATRIX])
def test_router_fault_matrix(request, protocol, operation, fault):
    prepare, call = ROUTER_OPERATIONS[operation]
    options = {**SESSION_OPTIONS, **ROUTER_OPTIONS.get(operation, {})}
    with simulator.start(
        platform="mikrotik",
        protocol=protocol,
        password=ROUTER_PASSWORD,
        options={"rows": {"/ppp/profile": ROUTER_PROFILES}},
    ) as sim:

        def driver():
            target = Target(
                "mikrotik",
                sim.host,
                sim.port,
                protocol,
                "admin",
                ROUTER_PASSWORD,
                command_timeout=COMMAND_TIMEOUT,
                connect_timeout=5,
                options=options,
            )
            return get_driver("mikrotik")(target)

        prepare(driver())
        sim.dial_in("u1")  # a live session where there is a secret to dial with
        start = sim.state()
        next_id = sim.router._next_id
        baseline = _router_config(start)
        mark = len(sim.commands)
        call(driver())
        sentences = sim.commands[mark:]
        uninterrupted = _router_config(sim.state())
        reruns = {}

        tally = Tally("mikrotik", protocol, operation, fault, commands=len(sentences))
        for k, sentence in enumerate(sentences):
            sim.faults.reset()
            sim.restore(start, next_id=next_id)
            pattern = "^" + re.escape(sentence) + "$"
            skip = sum(1 for line in sentences[:k] if line == sentence)
            sim.faults.inject(fault, pattern, count=1, skip=skip, delay=LATE_DELAY)
            faulted = driver()
            outcome = _attempt(lambda d=faulted: call(d))
            fired = getattr(sim.faults, FAULT_ATTRIBUTE[fault]) is None
            sim.faults.reset()
            state = _router_config(sim.state())
            if isinstance(outcome, DriverError):
                truthful, why = _error_truthful(outcome, state, baseline)
            else:
                truthful, why = state == uninterrupted, "reported success, the router differs from an uninterrupted run"
            _no_secret(str(outcome) + faulted.transcript.to_text())

            def router_rerun():
                outcome = _attempt(lambda: call(driver()))
                converged = not isinstance(outcome, DriverError) and _router_config(sim.state()) == uninterrupted
                return converged, "" if converged else _describe(outcome)

            converged, rerun = _rerun(reruns, state, router_rerun)
            if not converged:
                why = (why + "; " if not truthful else "") + f"re-run: {rerun}"
            elif not fired:
                why = "the fault did not fire (the run left the probe's path)"
            tally.add(k, sentence.split(" ")[0], fired, truthful, converged, why)
        tally.record(request)
    tally.check()
