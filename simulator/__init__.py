"""Stateful OLT simulator speaking each platform's CLI over real SSH and Telnet.

It shares no code with ``drivers/`` on purpose: a misunderstanding of a device
must not be copied into both.

In-process API (stable; tests and other helpers code against it)
-----------------------------------------------------------------

    import simulator
    with simulator.start(platform="huawei", protocol="ssh", username="admin",
                         password="pw", secret="", onus=4, registered=0,
                         port=0, latency=0.0) as sim:
        sim.host, sim.port              # "127.0.0.1", the bound port (port=0: a free one)
        sim.host_key_fingerprint        # "SHA256:..." (OpenSSH form, no padding); None on telnet
        sim.state()                     # deep-copied JSON-able dict, see below
        sim.logins                      # {"attempted": n, "succeeded": n, "failed": n}
        sim.commands                    # every command line received, in order (login lines excluded)
        sim.sessions, sim.max_concurrent_sessions   # logged-in sessions now / at most at once
        sim.faults.reject_pattern = r"^ont add"   # mutable at runtime, see core.Faults
        sim.add_autofind(pon="0/1/0", serial="HWTC12345678")  # another ONU appears
        sim.set_run_state("HWTC12345678", "offline")          # an ONU loses light
        sim.set_onu_down("HWTC12345678", "dying_gasp")        # ... or its power
        sim.take_pon_down("0/1/0"); sim.bring_pon_up("0/1/0") # a feeder fibre cut and mended
        sim.drift_optics(0.3)                                 # optical levels wander (seeded)
        sim.replug("HWTC12345678", "0/1/1")                   # its fibre moved to another port
    # leaving the block = sim.stop()

``start`` keyword arguments: ``platform`` (``huawei``, ``vsol``, ``zte``,
``zte_c600``; ``mikrotik`` is handed whole to ``simulator.routeros.start``),
``protocol`` (``ssh``/``telnet``), ``host`` (default 127.0.0.1), ``port``,
``username``, ``password``, ``secret`` (enable password where the platform
asks one: V-SOL), ``onus`` (ONUs waiting in auto-find), ``registered`` (ONUs
already in the ONU table, each with one service port), ``latency`` (seconds
per command line), ``host_key`` (private key file; created when missing so the
fingerprint stays stable), ``state_file`` (JSON dump rewritten after every
change; loaded at start when it exists), ``seed`` (serials are deterministic
per seed; default derived from platform and name), ``name``, ``options``
(platform options dict, documented in each dialect module, e.g. Huawei
``{"firmware": "ma5800"}``, V-SOL ``{"autofind_format": "detail"}``, common
``{"pons": [...]}``).

``state()`` layout (all platforms)::

    {"platform": "huawei", "name": "...",
     "autofind": [{"pon": "0/1/0", "serial": "HWTC0B086EA9", "serial_hex": "485754430B086EA9",
                   "vendor_id": "HWTC", "model": "EG8145V5", "version": "...",
                   "software_version": "...", "mac": "B85F-B0E0-61DE", "password": "", "loid": "",
                   "equipment_sn": "...", "found_at": "...", "rx_power": -18.5}, ...],
     "onus": {"0/1/0": [{"id": 0, "pon": "0/1/0", "serial": "...", "serial_hex": "...",
                         "admin_state": "active"|"deactivated", "run_state": "online"|"offline",
                         "rx_power": -18.5, "description": "...", "line_profile": 10,
                         "service_profile": 10, "wan": [ {...} ], "wifi": {"1": {...}},
                         "native_vlan": {"eth 1": {"vlan": 100, "priority": 0}}, ...}], ...},
     "service_ports": [{"index": 0, "vlan": 100, "pon": "0/1/0", "onu_id": 0, ...}],
     "saved": 0,
     "extra": {...},                   # platform specific, see the dialect
     ...}                              # plus the dialect's platform_state() keys

Faults (``sim.faults``, a ``core.Faults``): ``drop_after_commands`` (per
connection: the next line after N is not answered, the connection closes),
``drop_pattern``, ``reject_pattern`` (+ optional ``reject_text``; default is the
platform's own error words; ``inject("reject", pattern)`` refuses only the next
match, so an undo sending it again is accepted), ``busy_pattern`` + ``busy_count`` (answered with
the platform's "busy" text that many times), ``latency``, ``slow_pattern`` +
``slow_extra``, ``async_every`` (alarm/syslog block in the middle of every Nth
answer), ``reject_login`` (every login fails), ``max_sessions`` (more simultaneous
sessions are refused with the platform's words, e.g. Huawei's
``Reenter times have reached the upper limit.``). ``sim.faults.reset()`` clears
them all (keeping the latency).

Command line: ``python -m simulator --help`` (one device, or several from
``--config FILE``); it prints one line per device: platform, protocol, port and
SSH host-key fingerprint.

Adding a platform: see ``simulator.core`` (Device / CliSession contract) and
add one line to ``PLATFORMS``.
"""

from __future__ import annotations

import importlib

from .core import Faults  # noqa: F401

#: platform -> "module:attr". attr is a core.Device subclass (CLI platforms) or a
#: factory ``start(**kwargs)`` returning an object with this module's Simulator API.
PLATFORMS = {
    "huawei": ".huawei:HuaweiDevice",
    "vsol": ".vsol:VsolDevice",
    "zte": ".zte:ZteDevice",
    "zte_c600": ".zte:ZteC600Device",
    "mikrotik": ".routeros:start",
}


def resolve(platform):
    try:
        target = PLATFORMS[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; one of {', '.join(sorted(PLATFORMS))}") from None
    module_name, attr = target.split(":")
    module = importlib.import_module(module_name, __name__)
    return getattr(module, attr)


class Simulator:
    """A running simulated device (see the module docstring)."""

    def __init__(self, device, server):
        self.device = device
        self.server = server
        self.platform = device.platform
        self.protocol = server.protocol
        self.host = server.host
        self.port = server.port
        self.host_key_fingerprint = server.host_key_fingerprint

    @property
    def faults(self):
        return self.device.faults

    @property
    def commands(self):
        return self.device.commands

    @property
    def logins(self):
        return self.device.logins

    @property
    def sessions(self):
        """Logged-in sessions open right now."""
        return self.device.sessions

    @property
    def max_concurrent_sessions(self):
        """The most sessions that were ever open at the same time."""
        return self.device.max_concurrent

    def state(self):
        return self.device.state()

    def add_autofind(self, pon=None, **facts):
        return self.device.add_autofind(pon, **facts)

    def replug(self, serial, pon):
        """The registered ONU ``serial``'s fibre moved to ``pon`` (see core.Device.replug_onu)."""
        self.device.replug_onu(serial, pon)

    def set_run_state(self, serial, run_state):
        """Make a registered ONU ``online`` or ``offline`` (as if its fibre changed)."""
        with self.device.lock:
            onu = self.device.find_serial(serial)
            if onu is None:
                raise KeyError(serial)
            onu["run_state"] = run_state
            self.device.changed()

    def set_onu_down(self, serial, cause="los"):
        """A registered ONU goes down: 'los', 'dying_gasp' (its power failed) or 'power_off'."""
        with self.device.lock:
            onu = self.device.find_serial(serial)
            if onu is None:
                raise KeyError(serial)
            self.device.set_onu_down(onu, cause)
            self.device.changed()

    def take_pon_down(self, pon, cause="los"):
        self.device.take_pon_down(pon, cause)

    def bring_pon_up(self, pon):
        self.device.bring_pon_up(pon)

    def drift_optics(self, step=0.3):
        self.device.drift_optics(step)

    def stop(self):
        self.server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return f"<Simulator {self.platform} {self.protocol} {self.host}:{self.port}>"


def start(
    platform="huawei",
    protocol="ssh",
    host="127.0.0.1",
    port=0,
    username="admin",
    password="admin",
    secret="",
    onus=0,
    registered=0,
    latency=0.0,
    host_key=None,
    state_file=None,
    seed=None,
    options=None,
    name=None,
    **kwargs,
):
    """Start one simulated device in background threads; returns a ``Simulator``."""
    from .core import Device
    from .server import Server

    target = resolve(platform)
    if not (isinstance(target, type) and issubclass(target, Device)):
        return target(
            platform=platform,
            protocol=protocol,
            host=host,
            port=port,
            username=username,
            password=password,
            secret=secret,
            onus=onus,
            registered=registered,
            latency=latency,
            host_key=host_key,
            state_file=state_file,
            seed=seed,
            options=options,
            name=name,
            **kwargs,
        )
    if kwargs:
        raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")
    device = target(
        username=username,
        password=password,
        secret=secret,
        onus=onus,
        registered=registered,
        latency=latency,
        seed=seed,
        state_file=state_file,
        options=options,
        name=name,
    )
    server = Server(device, protocol=protocol, host=host, port=port, host_key=host_key).start()
    return Simulator(device, server)
