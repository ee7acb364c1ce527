"""Browser tours (headless Chromium) of the flows, each role, English and Spanish,
against the project's simulators; the database and the devices are checked after
each tour."""

import datetime

from odoo.addons.queue_job.job import Job
from odoo.tests import tagged

from .common import SilverProvisioningCommon
from .tours_common import TourCase


@tagged("post_install", "-at_install")
class TestTours(SilverProvisioningCommon, TourCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.olt = cls.olts["huawei"]
        # start_tour logs in with the login as the password.
        for user in (cls.technician, cls.operator):
            user.password = user.login

    def spanish(self, *users):
        self.env["res.lang"]._activate_lang("es_ES")
        self.env["ir.module.module"]._load_module_terms(["base", "web", "mail", "silver_provisioning"], ["es_ES"])
        for user in users:
            user.lang = "es_ES"

    def form_url(self, record):
        return f"/web#model={record._name}&id={record.id}&view_type=form"

    def assert_service_cycle(self, contract, user):
        """What each tour of the flow leaves: an active contract with its ONU and secret on the devices."""
        self.assertEqual(contract.state_service, "active")
        self.assertIn(contract.serial_number, self.device_onus("huawei"))
        self.assertTrue(
            self.sim("mikrotik").rows("/ppp/secret", name=contract.pppoe_user), "the secret is on the router"
        )
        self.env.invalidate_all()
        operations = self.env["silver.provisioning.operation"].search(
            [("res_model", "=", contract._name), ("res_id", "=", contract.id)], order="id"
        )
        # Settled after the commit, which a test never reaches: none put back, none left.
        kinds = [(operation.kind, operation.state) for operation in operations]
        self.assertEqual(kinds, [("activate", "open"), ("suspend", "open"), ("reconnect", "open")])
        logged = self.logged(contract)
        self.assertGreaterEqual(len(logged), 3, "activate, suspend and reconnect are each logged")
        for body in logged:
            self.assertNoSecret(body, "the chatter")
        self.assertIn(user.name, logged[0])
        return kinds, logged

    # -- the flows -----------------------------------------------------------------
    def _technician_flow(self):
        contract = self.make_contract("huawei", name="CT-TOUR")
        contract.write({"serial_number": False, "olt_port_id": False, "olt_card_id": False})
        waiting = {onu["serial"] for onu in self.autofind("huawei")}
        self.start_tour(self.form_url(self.olt), "silver_provisioning_technician_flow", login=self.technician.login)
        self.assertIn(contract.serial_number, waiting, "the contract got an ONU the OLT had found")
        return self.assert_service_cycle(contract, self.technician)

    def _operator_flow(self):
        contract = self.make_contract("huawei", name="CT-TOUR-OP")
        self.start_tour(self.form_url(contract), "silver_provisioning_operator_flow", login=self.operator.login)
        return self.assert_service_cycle(contract, self.operator)

    def test_technician_discovers_assigns_and_runs_the_service(self):
        self._technician_flow()

    def test_operator_runs_the_service_of_an_assigned_contract(self):
        self._operator_flow()

    def test_technician_flow_in_spanish(self):
        self.spanish(self.technician)
        _kinds, logged = self._technician_flow()
        self.assertIn("Solicitado por", logged[0], "the log is written in the user's language")

    def test_operator_flow_in_spanish(self):
        self.spanish(self.operator)
        _kinds, logged = self._operator_flow()
        self.assertIn("Solicitado por", logged[0])

    # -- the ONU list and the dashboard ----------------------------------------------
    def _list_contracts(self):
        """Three contracts on the simulator's registered ONUs: read good, read low, never read."""
        self.sim("huawei", registered=3)
        read_at = datetime.datetime(2026, 3, 2, 8, 0)
        registered = [onu for onus in self.sim("huawei").state()["onus"].values() for onu in onus]
        contracts = {}
        readings = (("CT-GOOD", -20.0), ("CT-LOW", -25.5), ("CT-NEVER", None))
        for onu, (name, rx) in zip(registered, readings, strict=False):
            port = self.port_for("huawei", onu["pon"])
            contract = self.make_contract(
                "huawei",
                onu={"serial": onu["serial"], "pon": onu["pon"]},
                name=name,
                state_service="active",
                onu_pon_id=onu["id"],
                olt_port_id=port.id,
                with_router=False,
                wifi=False,
            )
            if rx is not None:
                contract.write({"onu_rx_power": rx, "onu_online": True, "onu_status_date": read_at})
            contracts[name] = contract
        return contracts

    def _onu_list_tour(self, tour):
        contracts = self._list_contracts()
        action = self.env.ref("silver_provisioning.silver_provisioned_onu_action")
        self.start_tour(f"/web#action={action.id}", tour, login=self.operator.login)
        jobs = self.env["queue.job"].search([("method_name", "=", "_job_read_contract_status")])
        self.assertEqual(len(jobs), 1, "one job for the one OLT")
        self.assertEqual(jobs.channel, f"root.silver_provisioning.olt_{self.olt.id}")
        self.assertEqual(jobs.args, [[contracts["CT-LOW"].id]], "only the rows the filter kept")
        Job.load(self.env, jobs.uuid).perform()
        self.assertEqual(self.sim("huawei").logins["attempted"], 1)
        self.assertEqual(contracts["CT-LOW"].onu_run_state, "online")
        self.assertFalse(self.logged(contracts["CT-GOOD"]))
        return self.logged(contracts["CT-LOW"])[-1]

    def test_onu_list_filters_and_read_status(self):
        self.assertIn("Status read", self._onu_list_tour("silver_provisioning_onu_list"))

    def test_onu_list_in_spanish(self):
        self.spanish(self.operator)
        self.assertIn("Estado leído", self._onu_list_tour("silver_provisioning_onu_list_es"))

    def test_olt_dashboard_opens_the_filtered_list(self):
        self._list_contracts()
        action = self.env.ref("silver_provisioning.silver_olt_dashboard_action")
        self.start_tour(f"/web#action={action.id}", "silver_provisioning_olt_dashboard", login=self.operator.login)
