import threading

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged

from .common import OLT_PASSWORD, OLT_SECRET, PPPOE_PASSWORD, SilverProvisioningCommon


@tagged("post_install", "-at_install")
class TestConcurrentActivation(SilverProvisioningCommon):
    """Two operators activate two contracts on one PON port at the same moment.

    This needs what other tests avoid: data committed for real, and one
    database connection per thread, as two Odoo workers would have.  The test
    creates its records on a cursor of its own, commits them, and deletes
    them afterwards.
    """

    def _committed(self, function):
        with self.registry.cursor() as cr:
            return function(api.Environment(cr, SUPERUSER_ID, {}))

    def _setup_committed(self, sim, pon, serials):
        def create(env):
            olt = env["silver.olt"].create({
                "name": "OLT concurrency", "platform": "vsol", "ip": sim.host, "port_ssh": str(sim.port),
                "type_connection": "ssh", "username": "admin", "password": OLT_PASSWORD,
                "secret_olt": OLT_SECRET, "profile_dba_internet": False,
            })
            card = env["silver.olt.card"].create({"olt_id": olt.id, "num_card": int(pon.split("/")[0])})
            port = env["silver.olt.card.port"].create({"olt_card_id": card.id, "num_port": int(pon.split("/")[1])})
            vlan = env["silver.vlan"].create({"vlanid": 100, "name": "internet", "olt_id": olt.id})
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            contracts = env["silver.contract"].create([{
                "name": f"CT-CONC-{number}", "partner_id": partner.id, "olt_id": olt.id,
                "olt_card_id": card.id, "olt_port_id": port.id, "serial_number": serial, "vlan_id": vlan.id,
                "pppoe_user": f"conc{number}", "pppoe_password": PPPOE_PASSWORD,
            } for number, serial in enumerate(serials)])
            return olt.id, partner.id, contracts.ids
        return self._committed(create)

    def _cleanup(self, olt_id, partner_id, contract_ids):
        def delete(env):
            env["silver.contract"].browse(contract_ids).unlink()
            env["silver.olt.discovered.onu"].search([("olt_id", "=", olt_id)]).unlink()
            env["silver.olt"].browse(olt_id).unlink()
            env["res.partner"].browse(partner_id).unlink()
        self._committed(delete)

    def test_two_activations_on_one_pon_get_different_onu_ids(self):
        sim = self.sim("vsol", onus=0)
        pon = "0/1"
        serials = [sim.add_autofind(pon=pon)["serial"] for _n in range(2)]
        # Widen the window between reading the free ONU ids and taking one (the device
        # answers "onu add" late), so that without the OLT lock both sessions read the same table.
        sim.faults.slow_pattern = r"^onu add"
        sim.faults.slow_extra = 1.0
        olt_id, partner_id, contract_ids = self._setup_committed(sim, pon, serials)
        self.addCleanup(self._cleanup, olt_id, partner_id, contract_ids)

        start = threading.Barrier(len(contract_ids))
        errors = {}

        def activate(contract_id):
            try:
                with self.registry.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    contract = env["silver.contract"].browse(contract_id)
                    contract.olt_id.name  # noqa: B018 - read before the race, not during it
                    start.wait(timeout=60)
                    contract.action_activate_service()
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors[contract_id] = repr(error)

        threads = [threading.Thread(target=activate, args=(cid,)) for cid in contract_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        self.assertFalse(any(thread.is_alive() for thread in threads), "an activation never finished")
        self.assertEqual(errors, {})

        def read(env):
            return env["silver.contract"].browse(contract_ids).read(["state_service", "onu_pon_id"])
        rows = self._committed(read)
        self.assertEqual([row["state_service"] for row in rows], ["active", "active"])
        onu_ids = [row["onu_pon_id"] for row in rows]
        self.assertEqual(len(set(onu_ids)), 2, f"both contracts got ONU id {onu_ids[0]}")
        on_device = sorted(onu["id"] for onu in sim.state()["onus"][pon])
        self.assertEqual(on_device, sorted(onu_ids))
