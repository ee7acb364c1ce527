"""Shared set-up of the Odoo tests: real simulators on real sockets, real drivers.

Each test gets fresh simulators (started on first use, port 0, stopped at the
end of the test), so the device state never leaks from one test into the
next while the database rolls back.  OLT and router records are created once
per class; a test points them at its own simulators.

Provisioning messages are written through a cursor of their own and committed
there (so they survive a rollback); the tests read them the same way, from a
new cursor, and delete them when the class is done.
"""

import importlib.util
import tempfile

from odoo import SUPERUSER_ID, api
from odoo.addons.silver_provisioning import simulator
from odoo.tests import TransactionCase, new_test_user

OLT_PLATFORMS = ("huawei", "vsol", "zte", "zte_c600")
DRIVER_MODULES = {"huawei": "huawei", "vsol": "vsol", "zte": "zte", "zte_c600": "zte", "mikrotik": "mikrotik"}

#: what every simulator is logged into with; the tests check none of them ever reaches a message
OLT_PASSWORD = "Olt-Pa55word"
OLT_SECRET = "En4ble-Secret"
ROUTER_PASSWORD = "Api-Pa55word"
PPPOE_PASSWORD = "Ppp0e-Secret"
WIFI_KEY = "Wifi-Key-9876"
SECRETS = (OLT_PASSWORD, OLT_SECRET, ROUTER_PASSWORD, PPPOE_PASSWORD, WIFI_KEY)

#: PON layout of each simulator: (frame, card, ports as the suite numbers them from 1)
LAYOUT = {
    "huawei": (0, 1, (1, 2, 3, 4)),  # 0/1/0 .. 0/1/3 (Huawei ports count from 0)
    "vsol": (0, 0, (1, 2, 3, 4)),  # 0/1 .. 0/4
    "zte": (1, 1, (1, 2)),  # 1/1/1, 1/1/2
    "zte_c600": (1, 1, (1, 2)),
}


def driver_available(platform):
    name = f"odoo.addons.silver_provisioning.drivers.{DRIVER_MODULES[platform]}"
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


class LoggedMessagesCleanup:
    """Provisioning messages are committed by the log's own cursor, outside the
    test transaction: a test class deletes the ones it caused."""

    @classmethod
    def _delete_logged_messages_at_class_end(cls):
        cls.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_message")
        cls._first_message_id = cls.env.cr.fetchone()[0]
        cls.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM silver_provisioning_operation")
        cls._first_operation_id = cls.env.cr.fetchone()[0]
        cls.addClassCleanup(cls._delete_logged_messages)

    @classmethod
    def _delete_logged_messages(cls):
        """The messages the tests committed through the log's own cursor."""
        subtype = cls.env.ref("silver_provisioning.mt_provisioning_log").id
        with cls.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM ir_attachment WHERE id IN (SELECT attachment_id FROM message_attachment_rel r "
                "JOIN mail_message m ON m.id = r.message_id WHERE m.id > %s AND m.subtype_id = %s)",
                (cls._first_message_id, subtype),
            )
            cr.execute("DELETE FROM mail_message WHERE id > %s AND subtype_id = %s", (cls._first_message_id, subtype))
            # Operations are committed apart too (before any device is touched).
            cr.execute("DELETE FROM silver_provisioning_operation WHERE id > %s", (cls._first_operation_id,))


class SilverProvisioningCommon(LoggedMessagesCleanup, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        # Simulators keep their SSH host key here: generated once per class, not per test.
        cls._key_dir = tempfile.TemporaryDirectory(prefix="silver_sim_keys_")
        cls.addClassCleanup(cls._key_dir.cleanup)
        cls._delete_logged_messages_at_class_end()

        cls.admin = new_test_user(
            cls.env, login="sp_admin", name="Nadia Admin", groups="silver_provisioning.group_network_admin"
        )
        cls.technician = new_test_user(
            cls.env,
            login="sp_tech",
            name="Tomas Technician",
            groups="silver_provisioning.group_provisioning_technician",
        )
        cls.operator = new_test_user(
            cls.env, login="sp_oper", name="Olga Operator", groups="silver_provisioning.group_provisioning_operator"
        )
        cls.plain_user = new_test_user(cls.env, login="sp_user", name="Uma User", groups="base.group_user")

        cls.partner = cls.env["res.partner"].create({"name": "Carla Customer"})
        cls.plan = cls.env["product.product"].create(
            {
                "name": "Fibre 100",
                "upload_bandwidth": 50,
                "download_bandwidth": 100,
            }
        )
        cls.router = cls.env["silver.core"].create(
            {
                "name": "Core Router",
                "ip": "127.0.0.1",
                "port": 1,
                "username": "admin",
                "password": ROUTER_PASSWORD,
                "suspend_method": "disable_secret",
            }
        )
        cls.olts = {platform: cls._create_olt(platform) for platform in OLT_PLATFORMS}

    @classmethod
    def _create_olt(cls, platform):
        frame, card_number, port_numbers = LAYOUT[platform]
        olt = cls.env["silver.olt"].create(
            {
                "name": f"OLT {platform}",
                "platform": platform,
                "ip": "127.0.0.1",
                "port_ssh": "1",
                "type_connection": "ssh",
                "username": "admin",
                "password": OLT_PASSWORD,
                "secret_olt": OLT_SECRET,
                "ont_lineprofile": "id",
                "ont_lineprofile_value": "10",
                "ont_srvprofile": "id",
                "ont_srvprofile_value": "10",
                "connection_wan": "pppoe",
                "primary_dns": "8.8.8.8",
                "secondary_dns": "1.1.1.1",
                "state": "active",
            }
        )
        olt.frame = frame
        if platform != "huawei":
            # Profiles are each OLT's own configuration: the simulators only know their defaults.
            olt.write({"ont_lineprofile_value": False, "ont_srvprofile_value": False, "profile_dba_internet": False})
        card = cls.env["silver.olt.card"].create({"olt_id": olt.id, "num_card": card_number})
        cls.env["silver.olt.card.port"].create(
            [{"olt_card_id": card.id, "num_port": number} for number in port_numbers]
        )
        olt.vlan_ids = [(0, 0, {"vlanid": 100, "name": "internet", "vtype": "s-vlan"})]
        return olt

    # -- simulators ----------------------------------------------------------
    def setUp(self):
        super().setUp()
        self._sims = {}

    def require_driver(self, platform):
        if not driver_available(platform):
            self.skipTest(f"drivers/{DRIVER_MODULES[platform]}.py does not exist yet: {platform} not tested")

    def sim(self, platform, **kwargs):
        """This test's simulator of ``platform`` (started on first use), with its record pointed at it."""
        if platform in self._sims:
            return self._sims[platform]
        self.require_driver(platform)
        options = dict(kwargs.pop("options", {}) or {})
        if platform == "mikrotik":
            protocol = kwargs.pop("protocol", "api")
            server = simulator.start(
                platform="mikrotik",
                protocol=protocol,
                username="admin",
                password=ROUTER_PASSWORD,
                host_key=f"{self._key_dir.name}/mikrotik.pem" if protocol == "api-ssl" else None,
                options=options,
                **kwargs,
            )
            self.router.sudo().write({"port": server.port, "api_tls": protocol == "api-ssl"})
        else:
            protocol = kwargs.pop("protocol", "ssh")
            server = simulator.start(
                platform=platform,
                protocol=protocol,
                username="admin",
                password=OLT_PASSWORD,
                secret=OLT_SECRET,
                onus=kwargs.pop("onus", 3),
                host_key=f"{self._key_dir.name}/{platform}.key",
                options=options,
                **kwargs,
            )
            port_field = "port_ssh" if protocol == "ssh" else "port_telnet"
            self.olts[platform].sudo().write({"type_connection": protocol, port_field: str(server.port)})
        self.addCleanup(server.stop)
        self._sims[platform] = server
        return server

    def autofind(self, platform):
        """The ONUs waiting in auto-find on this test's simulator."""
        return self.sim(platform).state()["autofind"]

    def device_onus(self, platform):
        """Every registered ONU on the simulator, by serial."""
        onus = {}
        for entries in self.sim(platform).state()["onus"].values():
            for onu in entries if isinstance(entries, list) else entries.values():
                onus[onu["serial"]] = onu
        return onus

    def port_for(self, platform, pon):
        olt = self.olts[platform]
        port = olt._ports_by_pon().get(pon)
        self.assertTrue(port, f"no port record for PON {pon} of {platform}")
        return port

    # -- records -------------------------------------------------------------
    def make_contract(self, platform, onu=None, with_router=True, wifi=True, **values):
        """A contract ready for activation with the first (or given) ONU waiting in auto-find."""
        self.sim(platform)
        if with_router:
            self.sim("mikrotik")
        onu = onu or self.autofind(platform)[0]
        port = self.port_for(platform, onu["pon"])
        olt = self.olts[platform]
        number = self.env["silver.contract"].search_count([]) + 1
        vals = {
            "name": f"CT-{platform}-{number:04d}",
            "partner_id": self.partner.id,
            "state": "active",
            "olt_id": olt.id,
            "olt_card_id": port.olt_card_id.id,
            "olt_port_id": port.id,
            "serial_number": onu["serial"],
            "vlan_id": olt.vlan_ids[:1].id,
            "core_id": self.router.id if with_router else False,
            "pppoe_user": f"user{platform}{number}",
            "pppoe_password": PPPOE_PASSWORD,
            "line_ids": [(0, 0, {"line_type": "recurring", "product_id": self.plan.id})],
        }
        if wifi:
            vals["wifi_line_ids"] = [(0, 0, {"ssid_index": 1, "name": f"Home{number}", "password": WIFI_KEY})]
        vals.update(values)
        return self.env["silver.contract"].create(vals)

    # -- the log -------------------------------------------------------------
    def logged(self, record):
        """Bodies of the provisioning messages of ``record``, as committed by the log's own cursor."""
        subtype = self.env.ref("silver_provisioning.mt_provisioning_log").id
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT body FROM mail_message WHERE model = %s AND res_id = %s AND subtype_id = %s ORDER BY id",
                (record._name, record.id, subtype),
            )
            return [body for (body,) in cr.fetchall()]

    def operations(self, record):
        """(kind, state, left_description) of ``record``'s operations, as committed apart, oldest first."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT kind, state, left_description FROM silver_provisioning_operation "
                "WHERE res_model = %s AND res_id = %s ORDER BY id",
                (record._name, record.id),
            )
            return cr.fetchall()

    def logged_attachments(self, record):
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT a.id FROM ir_attachment a WHERE a.res_model = %s AND a.res_id = %s",
                (record._name, record.id),
            )
            ids = [row[0] for row in cr.fetchall()]
            env = self.env(cr=cr)
            return [base64_text(att.raw) for att in env["ir.attachment"].sudo().browse(ids)]

    def assertNoSecret(self, text, where="text"):
        for secret in SECRETS:
            self.assertNotIn(secret, text or "", f"a secret leaked into {where}")


def base64_text(raw):
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")


class SilverProvisioningCommittedCommon(SilverProvisioningCommon):
    """For what only shows with data committed for real and one database
    connection per thread, as Odoo workers have: records are created on a
    cursor of their own, committed, and deleted after the test."""

    def _committed(self, function):
        with self.registry.cursor() as cr:
            return function(api.Environment(cr, SUPERUSER_ID, {}))

    def _setup_committed(self, sim, pon, serials, prefix="CT-COMMITTED", router=None):
        """A V-SOL OLT on ``sim`` with one contract per serial on ``pon``, committed.

        With ``router`` (a MikroTik simulator) the contracts are authenticated by a
        committed router record pointing at it.
        """
        router_ids = []

        def create(env):
            core = env["silver.core"]
            if router is not None:
                core = core.create(
                    {
                        "name": f"Router {prefix}",
                        "ip": router.host,
                        "port": router.port,
                        "username": "admin",
                        "password": ROUTER_PASSWORD,
                    }
                )
                router_ids.append(core.id)
            olt = env["silver.olt"].create(
                {
                    "name": f"OLT {prefix}",
                    "platform": "vsol",
                    "ip": sim.host,
                    "port_ssh": str(sim.port),
                    "type_connection": "ssh",
                    "username": "admin",
                    "password": OLT_PASSWORD,
                    "secret_olt": OLT_SECRET,
                    "profile_dba_internet": False,
                }
            )
            card = env["silver.olt.card"].create({"olt_id": olt.id, "num_card": int(pon.split("/")[0])})
            port = env["silver.olt.card.port"].create({"olt_card_id": card.id, "num_port": int(pon.split("/")[1])})
            vlan = env["silver.vlan"].create({"vlanid": 100, "name": "internet", "olt_id": olt.id})
            partner = env["res.partner"].create({"name": f"Customer {prefix}"})
            contracts = env["silver.contract"].create(
                [
                    {
                        "name": f"{prefix}-{number}",
                        "partner_id": partner.id,
                        "olt_id": olt.id,
                        "olt_card_id": card.id,
                        "olt_port_id": port.id,
                        "serial_number": serial,
                        "vlan_id": vlan.id,
                        "pppoe_user": f"{prefix.lower()}{number}",
                        "pppoe_password": PPPOE_PASSWORD,
                        "core_id": core.id,
                    }
                    for number, serial in enumerate(serials)
                ]
            )
            return olt.id, partner.id, contracts.ids

        ids = self._committed(create)
        self.addCleanup(self._cleanup_committed, *ids, router_ids=router_ids)
        return ids

    def _cleanup_committed(self, olt_id, partner_id, contract_ids, router_ids=()):
        def delete(env):
            env["silver.contract"].browse(contract_ids).unlink()
            env["silver.core"].browse(list(router_ids)).unlink()
            env["silver.olt.discovered.onu"].search([("olt_id", "=", olt_id)]).unlink()
            env["silver.olt"].browse(olt_id).unlink()
            env["res.partner"].browse(partner_id).unlink()

        self._committed(delete)
