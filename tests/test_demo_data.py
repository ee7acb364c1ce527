"""The demo data describes the devices tools/demo starts, and the walkthrough works on them.

The serials in data/demo/ were read from the simulators' fixed seeds; if the
simulator's generation or tools/demo-simulators.json changes, the demo would
quietly stop matching its devices.  These tests start the same devices (on
free ports, not the demo's fixed ones) and check both sides agree, then run
the README's walkthrough: discovery, activation, suspension, reconnection.
Skipped when the database has no demo data.
"""

import importlib.util
import tempfile
import unittest
from importlib.machinery import SourceFileLoader
from pathlib import Path

from odoo.addons.silver_provisioning import simulator
from odoo.tests import TransactionCase, tagged

from .common import LoggedMessagesCleanup

REPO = Path(__file__).resolve().parent.parent
DEMO_TOOL = REPO / "tools" / "demo"
OLTS = {
    "huawei": "demo_olt_huawei",
    "zte": "demo_olt_zte",
    "zte_c600": "demo_olt_zte_c600",
    "vsol": "demo_olt_vsol",
}


def load_demo_tool():
    """tools/demo as a module (the file has no .py suffix)."""
    loader = SourceFileLoader("silver_demo_tool", str(DEMO_TOOL))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestDemoData(LoggedMessagesCleanup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.router = cls.env.ref("silver_provisioning.demo_core_mikrotik", raise_if_not_found=False)
        if not cls.router:
            raise unittest.SkipTest("no demo data in this database")
        cls._delete_logged_messages_at_class_end()
        cls._keys = tempfile.TemporaryDirectory(prefix="silver_demo_keys_")
        cls.addClassCleanup(cls._keys.cleanup)
        # The router rows tools/demo seeds: read by the tool itself, so the test covers its code.
        cls.tool = load_demo_tool()
        cls.router_rows = cls.tool.demo_router_rows()

    def setUp(self):
        super().setUp()
        self.sims = {}
        ports = {}
        for record, _offset, spec in self.tool.demo_devices():
            spec = dict(spec, port=0)
            if spec["platform"] == "mikrotik":
                spec["options"] = dict(spec.get("options") or {}, rows={"/ppp/secret": self.router_rows})
            else:
                spec["host_key"] = f"{self._keys.name}/{spec['platform']}.key"
            sim = simulator.start(**spec)
            self.addCleanup(sim.stop)
            self.sims[spec["platform"]] = sim
            ports[record] = sim.port
        # As tools/demo does it, so the test covers its code: the records follow the devices.
        self.tool.point_demo_records(self.env, ports)
        for platform, xmlid in OLTS.items():
            olt = self.env.ref(f"silver_provisioning.{xmlid}")
            port = olt.port_ssh if olt.type_connection == "ssh" else olt.port_telnet
            self.assertEqual(port, str(self.sims[platform].port), f"{olt.name}: not pointed at its device")
        self.assertEqual(self.router.port, self.sims["mikrotik"].port)

    def contracts(self, olt, states):
        return self.env["silver.contract"].search([("olt_id", "=", olt.id), ("state_service", "in", states)])

    def test_registered_onus_are_the_active_contracts(self):
        for platform, xmlid in OLTS.items():
            olt = self.env.ref(f"silver_provisioning.{xmlid}")
            on_device = {
                (onu["pon"], onu["id"], onu["serial"])
                for entries in self.sims[platform].state()["onus"].values()
                for onu in (entries if isinstance(entries, list) else entries.values())
            }
            in_demo = {
                (olt._pon_address(contract.olt_port_id), contract.onu_pon_id, contract.serial_number)
                for contract in self.contracts(olt, ("active", "suspended"))
            }
            self.assertEqual(in_demo, on_device, f"{olt.name}: demo contracts and registered ONUs differ")

    def test_ready_contracts_wait_in_autofind(self):
        for platform, xmlid in OLTS.items():
            olt = self.env.ref(f"silver_provisioning.{xmlid}")
            waiting = {(onu["pon"], onu["serial"]) for onu in self.sims[platform].state()["autofind"]}
            ready = self.contracts(olt, ("inactive",)).filtered("serial_number")
            self.assertTrue(ready, f"{olt.name}: no demo contract ready to activate")
            for contract in ready:
                self.assertIn(
                    (olt._pon_address(contract.olt_port_id), contract.serial_number),
                    waiting,
                    f"{contract.name}: its ONU is not waiting in auto-find on {olt.name}",
                )

    def test_router_knows_the_active_and_suspended_subscribers(self):
        secrets = {row["name"]: row for row in self.sims["mikrotik"].state()["/ppp/secret"]}
        contracts = self.env["silver.contract"].search(
            [("core_id", "=", self.router.id), ("state_service", "in", ("active", "suspended"))]
        )
        self.assertEqual(set(secrets), set(contracts.mapped("pppoe_user")))
        for contract in contracts:
            disabled = secrets[contract.pppoe_user]["disabled"] in ("true", "yes")
            self.assertEqual(disabled, contract.state_service == "suspended", contract.name)

    def test_walkthrough(self):
        """What tools/demo tells a new user to do, on every platform."""
        for platform, xmlid in OLTS.items():
            olt = self.env.ref(f"silver_provisioning.{xmlid}")
            olt.action_discover_onus()
            waiting = olt.discovered_onu_ids.filtered(lambda onu: onu.is_present and not onu.is_assigned)
            self.assertEqual(len(waiting), len(self.sims[platform].state()["autofind"]), olt.name)
            contract = self.contracts(olt, ("inactive",)).filtered("serial_number")[:1]
            contract.action_activate_service()
            self.assertEqual(contract.state_service, "active", contract.name)
            registered = {
                onu["serial"]
                for entries in self.sims[platform].state()["onus"].values()
                for onu in (entries if isinstance(entries, list) else entries.values())
            }
            self.assertIn(contract.serial_number, registered, contract.name)
        self.env.ref("silver_provisioning.demo_contract_active_huawei").action_suspend_service()
        self.env.ref("silver_provisioning.demo_contract_suspended_huawei").action_reconnect_service()
        secrets = {row["name"]: row for row in self.sims["mikrotik"].state()["/ppp/secret"]}
        self.assertEqual(secrets["lucia.fernandez"]["disabled"], "true")
        self.assertEqual(secrets["jorge.quispe"]["disabled"], "false")
        activated = self.env.ref("silver_provisioning.demo_contract_ready_huawei")
        subtype = self.env.ref("silver_provisioning.mt_provisioning_log").id
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM mail_message WHERE model = 'silver.contract' AND res_id = %s AND subtype_id = %s",
                (activated.id, subtype),
            )
            self.assertGreater(cr.fetchone()[0], 0, "activation left no message in the chatter")
