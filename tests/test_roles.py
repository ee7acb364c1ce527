"""Secrets and device settings are guarded by role, in the ORM and over RPC, for each group.

A plain internal user, a provisioning operator, a technician and a network
administrator each try what the issue found open: reading and searching PPPoE
passwords and WiFi keys, creating, configuring and deleting OLTs and routers,
reading provisioning logs and transcripts.
"""

import base64
import xmlrpc.client

from odoo.addons.silver_provisioning.models.silver_provisioning_log_mixin import TRANSCRIPT_MARKER
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import PPPOE_PASSWORD, WIFI_KEY, SilverProvisioningCommon

#: provisioning parameters of an OLT beyond its connection: each changes how every ONU is provisioned
OLT_SETTINGS = (
    {"tcont": "2"},
    {"gemport": "3"},
    {"mtu": "1400"},
    {"ont_lineprofile_value": "20"},
    {"ont_srvprofile_value": "20"},
    {"profile_dba_internet": "other"},
    {"traffic_table_value": "7"},
    {"is_disable_onu": True},
    {"is_write_olt": True},
    {"connection_wan": "dhcp"},
    {"primary_dns": "9.9.9.9"},
    {"key_policy": "allow"},
    {"name": "Renamed OLT"},
)
ROUTER_SETTINGS = (
    {"suspend_method": "profile"},
    {"suspend_profile": "OTHER"},
    {"is_pppoe_profile": True},
    {"key_policy": "allow"},
)


class RolesCommon(SilverProvisioningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {
            "plain": cls.plain_user,
            "operator": cls.operator,
            "technician": cls.technician,
            "admin": cls.admin,
        }
        for user in cls.users.values():
            user.password = user.login
        olt = cls.olts["vsol"]
        port = olt.port_ids[:1]
        cls.contract = cls.env["silver.contract"].create(
            {
                "name": "CT-ROLES-1",
                "partner_id": cls.partner.id,
                "olt_id": olt.id,
                "olt_card_id": port.olt_card_id.id,
                "olt_port_id": port.id,
                "serial_number": "GPON0000C0DE",
                "vlan_id": olt.vlan_ids[:1].id,
                "pppoe_user": "roles1",
                "pppoe_password": PPPOE_PASSWORD,
                "wifi_line_ids": [(0, 0, {"ssid_index": 1, "name": "RolesHome", "password": WIFI_KEY})],
            }
        )
        cls.log_message = cls.contract.message_post(
            body="<p>Provision ONU: OK</p>", subtype_xmlid="silver_provisioning.mt_provisioning_log"
        )
        cls.note = cls.contract.message_post(body="<p>customer called</p>", subtype_xmlid="mail.mt_note")
        cls.transcript = cls.env["ir.attachment"].create(
            {
                "name": "transcript-silver_contract.txt",
                "res_model": "silver.contract",
                "res_id": cls.contract.id,
                "datas": base64.b64encode(b"> onu add 1 sn GPON0000C0DE"),
                "description": TRANSCRIPT_MARKER,
            }
        )


@tagged("post_install", "-at_install")
class TestRolesOrm(RolesCommon):
    def test_secrets_are_read_by_operators_and_above_only(self):
        for role, user in self.users.items():
            contract = self.contract.with_user(user)
            with self.subTest(role=role):
                if role == "plain":
                    with self.assertRaises(AccessError):
                        contract.read(["pppoe_password"])
                    with self.assertRaises(AccessError):
                        contract.wifi_line_ids.read(["password"])
                    form = contract.get_views([(False, "form")])["views"]["form"]["arch"]
                    self.assertNotIn('name="pppoe_password"', form)
                else:
                    self.assertEqual(contract.read(["pppoe_password"])[0]["pppoe_password"], PPPOE_PASSWORD)
                    self.assertEqual(contract.wifi_line_ids.password, WIFI_KEY)

    def test_secrets_are_no_search_oracle(self):
        """No count, search, sort or grouping by a secret's value, whoever asks."""
        Contract = self.env["silver.contract"]
        probes = [
            lambda c: c.search_count([("pppoe_password", "=like", "P%")]),
            lambda c: c.search([("pppoe_password", "ilike", "secret")]),
            lambda c: c.search_count([("wifi_line_ids.password", "=like", "W%")]),
            lambda c: c.search([], order="pppoe_password"),
            lambda c: c.env["silver.contract.wifi.line"].search_count([("password", "=like", "W%")]),
            lambda c: c.env["silver.olt"].search_count([("password", "=like", "O%")]),
            lambda c: c.env["silver.core"].search_count([("password", "=like", "A%")]),
        ]
        for role, user in self.users.items():
            for number, probe in enumerate(probes):
                with self.subTest(role=role, probe=number), self.assertRaises(AccessError):
                    probe(Contract.with_user(user))
        with self.assertRaises(AccessError):
            Contract.with_user(self.plain_user).read_group([], ["pppoe_password"], ["pppoe_password"])
        # A restricted (not secret) field: searchable only by those who may read it.
        with self.assertRaises(AccessError):
            self.env["silver.olt"].with_user(self.operator).search_count([("username", "=", "admin")])
        self.assertTrue(self.env["silver.olt"].with_user(self.admin).search_count([("username", "=", "admin")]))

    def test_secrets_are_not_grouped_or_aggregated(self):
        """A group per value, or an aggregate of the values, hands the secret out: refused to everyone."""
        probes = [
            lambda c: c.read_group([], ["pppoe_password"], ["pppoe_password"]),
            lambda c: c.read_group([], ["pppoe_password:array_agg"], ["partner_id"]),
            lambda c: c.read_group([], ["pppoe_password:count_distinct"], []),
            lambda c: c._read_group([], ["partner_id"], ["__count"], order="pppoe_password:max"),
            lambda c: c._read_group([], ["partner_id"], ["__count"], having=[("pppoe_password:max", "=", "x")]),
            lambda c: c.env["silver.contract.wifi.line"].read_group([], ["password"], ["password"]),
        ]
        for role, user in self.users.items():
            for number, probe in enumerate(probes):
                with self.subTest(role=role, probe=number), self.assertRaises(AccessError):
                    probe(self.env["silver.contract"].with_user(user))
        # Grouping on what may be read still works, and the superuser is not held back.
        groups = self.env["silver.contract"].with_user(self.operator).read_group([], ["partner_id"], ["partner_id"])
        self.assertTrue(groups)
        self.assertTrue(self.env["silver.contract"].sudo().read_group([], ["pppoe_password"], ["pppoe_password"]))

    def test_network_inventory_is_configured_by_administrators_only(self):
        olt = self.olts["vsol"]
        for role, user in self.users.items():
            if role == "admin":
                continue
            with self.subTest(role=role):
                for values in OLT_SETTINGS:
                    with self.assertRaises(AccessError):
                        olt.with_user(user).write(values)
                for values in ROUTER_SETTINGS:
                    with self.assertRaises(AccessError):
                        self.router.with_user(user).write(values)
                with self.assertRaises(AccessError):
                    self.env["silver.olt"].with_user(user).create({"name": "Rogue OLT", "platform": "vsol"})
                with self.assertRaises(AccessError):
                    self.env["silver.core"].with_user(user).create({"name": "Rogue router"})
                with self.assertRaises(AccessError):
                    olt.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    self.router.with_user(user).unlink()
                with self.assertRaises(AccessError):
                    olt.port_ids[:1].with_user(user).write({"num_port": 9})
                with self.assertRaises(AccessError):
                    olt.vlan_ids[:1].with_user(user).write({"vlanid": 999})
                with self.assertRaises(AccessError):
                    olt.card_ids[:1].with_user(user).unlink()
                # Read-only, not hidden: the form opens without edit, create or delete.
                form = olt.with_user(user).get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertIn('edit="false"', form.replace("False", "false"))
                self.assertIn('create="false"', form.replace("False", "false"))
                self.assertEqual(olt.with_user(user).read(["tcont"])[0]["tcont"], olt.tcont)
                # A note in the chatter is still everyone's.
                olt.with_user(user).message_post(body="seen the OLT", message_type="comment")
        admin_olt = olt.with_user(self.admin)
        for values in OLT_SETTINGS:
            admin_olt.write(values)
        self.assertEqual(olt.mtu, "1400")
        for values in ROUTER_SETTINGS:
            self.router.with_user(self.admin).write(values)
        created = self.env["silver.olt"].with_user(self.admin).create({"name": "New OLT", "platform": "vsol"})
        created.unlink()

    def test_provisioning_logs_and_transcripts_for_provisioning_groups_only(self):
        Message = self.env["mail.message"]
        Attachment = self.env["ir.attachment"]
        domain = [("model", "=", "silver.contract"), ("res_id", "=", self.contract.id)]
        for role, user in self.users.items():
            with self.subTest(role=role):
                seen = Message.with_user(user).search(domain)
                attachments = Attachment.with_user(user).search(
                    [("res_model", "=", "silver.contract"), ("res_id", "=", self.contract.id)]
                )
                self.assertIn(self.note, seen, "an ordinary note is everyone's")
                if role == "plain":
                    self.assertNotIn(self.log_message, seen)
                    self.assertNotIn(self.transcript, attachments)
                    with self.assertRaises(AccessError):
                        self.log_message.with_user(user).read(["body"])
                    with self.assertRaises(AccessError):
                        self.transcript.with_user(user).read(["datas"])
                else:
                    self.assertIn(self.log_message, seen)
                    self.assertIn(self.transcript, attachments)
                    self.assertTrue(self.transcript.with_user(user).read(["datas"])[0]["datas"])

    def test_logs_never_name_the_device_login_user(self):
        contract = self.make_contract("vsol", with_router=False)
        contract.with_user(self.operator).action_activate_service()
        bodies = self.logged(contract)
        self.assertTrue(bodies)
        for body in bodies:
            self.assertNotIn(" as admin", body)
        self.assertTrue(any("as [login]" in body for body in bodies), bodies)


@tagged("post_install", "-at_install")
class TestRolesRpc(RolesCommon, HttpCase):
    """The same over the wire: JSON-RPC as the web client sends it, and XML-RPC."""

    def _call(self, role, model, method, *args, **kwargs):
        user = self.users[role]
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def _refused(self, role, model, method, *args, **kwargs):
        with self.subTest(role=role, model=model, method=method, args=args), mute_logger("odoo.http"):
            with self.assertRaises(JsonRpcException) as caught:
                self._call(role, model, method, *args, **kwargs)
            self.assertIn("AccessError", str(caught.exception))

    def test_secrets_over_json_rpc(self):
        contract_id = self.contract.id
        self._refused("plain", "silver.contract", "read", [contract_id], ["pppoe_password"])
        self._refused("plain", "silver.contract.wifi.line", "read", self.contract.wifi_line_ids.ids, ["password"])
        for role in ("operator", "technician", "admin"):
            rows = self._call(role, "silver.contract", "read", [contract_id], ["pppoe_password"])
            self.assertEqual(rows[0]["pppoe_password"], PPPOE_PASSWORD)
        for role in self.users:
            self._refused(role, "silver.contract", "search_count", [("pppoe_password", "=like", "P%")])
            self._refused(
                role,
                "silver.contract",
                "web_search_read",
                [("wifi_line_ids.password", "=like", "W%")],
                specification={"name": {}},
            )

    def test_secrets_not_grouped_over_json_rpc(self):
        for role in self.users:
            self._refused(
                role,
                "silver.contract",
                "web_read_group",
                [],
                fields=["pppoe_password"],
                groupby=["pppoe_password"],
            )

    def test_network_inventory_over_json_rpc(self):
        olt_id = self.olts["vsol"].id
        for role in ("plain", "operator", "technician"):
            self._refused(role, "silver.olt", "write", [olt_id], {"tcont": "4"})
            self._refused(role, "silver.olt", "write", [olt_id], {"is_disable_onu": True})
            self._refused(role, "silver.olt", "create", [{"name": "Rogue", "platform": "vsol"}])
            self._refused(role, "silver.olt", "unlink", [olt_id])
            self._refused(role, "silver.core", "write", [self.router.id], {"suspend_method": "profile"})
        self._call("admin", "silver.olt", "write", [olt_id], {"tcont": "4"})
        self.assertEqual(self.olts["vsol"].tcont, "4")

    def test_logs_over_json_rpc(self):
        domain = [("model", "=", "silver.contract"), ("res_id", "=", self.contract.id)]
        plain = self._call("plain", "mail.message", "search_read", domain, ["id"])
        self.assertNotIn(self.log_message.id, [row["id"] for row in plain])
        self._refused("plain", "ir.attachment", "read", [self.transcript.id], ["datas"])
        operator = self._call("operator", "mail.message", "search_read", domain, ["id"])
        self.assertIn(self.log_message.id, [row["id"] for row in operator])

    def test_secrets_over_xml_rpc(self):
        db = self.env.cr.dbname
        for role in ("plain", "operator"):
            user = self.users[role]
            with self.subTest(role=role), mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault) as caught:
                self.xmlrpc_object.execute_kw(
                    db, user.id, user.login, "silver.contract", "search_count", [[("pppoe_password", "=like", "P%")]]
                )
            self.assertIn("cannot be searched", caught.exception.faultString)
        user = self.users["technician"]
        with mute_logger("odoo.http"), self.assertRaises(xmlrpc.client.Fault):
            self.xmlrpc_object.execute_kw(
                db, user.id, user.login, "silver.olt", "write", [[self.olts["vsol"].id], {"mtu": "1000"}]
            )
