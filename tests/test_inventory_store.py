from odoo.tests import tagged

from .inventory_common import PONS, InventoryCommon, serial


@tagged("post_install", "-at_install")
class TestInventoryStore(InventoryCommon):
    def test_first_poll_fills_the_table_the_readings_and_the_contracts(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        statuses = self.table(8)
        summary = self.store(statuses)
        self.assertEqual(summary["items"], 8)
        self.assertEqual(summary["new"], 8)
        onus = self.onus()
        self.assertEqual(len(onus), 8)
        first = onus.filtered(lambda onu: onu.serial_number == serial(1))
        self.assertEqual((first.pon, first.onu_id, first.port_id), (PONS[0], 0, self.ports[PONS[0]]))
        self.assertEqual(first.contract_id, contract)
        self.assertEqual(first.run_state, "online")
        self.assertEqual(first.signal_level, "ok")
        self.assertAlmostEqual(first.rx_power, -20.0)
        readings = self.env["silver.onu.reading"].search([("olt_id", "=", self.olt.id)])
        self.assertEqual(len(readings), 8)
        self.assertEqual(readings.filtered(lambda r: r.onu_id == first).contract_id, contract)
        self.assertEqual(contract.inventory_onu_id, first)
        self.assertEqual((contract.onu_run_state, contract.onu_admin_state), ("online", "enabled"))
        self.assertTrue(contract.onu_online)
        self.assertAlmostEqual(contract.onu_tx_power, 2.1)
        self.assertEqual(contract.onu_status_date, self.t0)

    def test_queries_do_not_grow_with_the_onus(self):
        """Storing a poll of 16 ONUs and one of 256 takes the same number of queries."""
        counts = {}
        for size, olt in ((16, self.olts["vsol"]), (256, self.olt)):
            statuses = self._layout(olt, size)
            for index, status in enumerate(statuses[: size // 2]):
                self.contract(
                    10_000 + size * 1000 + index, olt_id=olt.id, olt_port_id=False, serial_number=status.serial
                )
            self.env.flush_all()
            self.store(statuses, olt=olt)  # first poll: every ONU is new
            for status in statuses:
                status.rx_power_dbm -= 0.3
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            summary = self.store(statuses, now=self.later(self.t0), olt=olt)
            counts[size] = self.env.cr.sql_log_count - before
            self.assertEqual(summary["items"], size)
            self.assertEqual(len(self.onus(olt)), size)
        self.assertEqual(counts[16], counts[256], f"queries per poll: {counts}")
        self.assertLess(counts[256], 30)

    def _layout(self, olt, size):
        pons = list(olt._ports_by_pon())
        return [
            self.status(pons[index % len(pons)], index // len(pons), 50_000 + size * 1000 + index)
            for index in range(size)
        ]

    def test_moved_and_vanished_onus(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        self.store(self.table(3))
        onu = contract.inventory_onu_id
        # The ONU moves to another port; ONU 3 leaves the table.
        moved = [self.status(PONS[3], 9, 1), self.status(PONS[1], 0, 2)]
        summary = self.store(moved, now=self.later(self.t0))
        self.assertEqual(summary["gone"], 1)
        onu.invalidate_recordset()
        self.assertEqual((onu.pon, onu.onu_id, onu.port_id), (PONS[3], 9, self.ports[PONS[3]]))
        self.assertEqual(len(self.onus()), 3, "an ONU that leaves the table is kept, not present")
        self.assertEqual(self.onus().filtered(lambda o: not o.is_present).serial_number, serial(3))
        self.assertEqual(
            len(self.env["silver.onu.reading"].search([("onu_id", "=", onu.id)])), 2, "a moved ONU keeps its history"
        )

    def test_contract_whose_onu_is_not_in_the_table(self):
        present = self.contract(1, pon=PONS[0], onu_id=0)
        missing = self.contract(2, pon=PONS[0], onu_id=1)
        elsewhere = self.contract(3, olt_id=self.olts["zte"].id, olt_port_id=False)
        self.store([self.status(PONS[0], 0, 1)])
        self.assertEqual(present.onu_admin_state, "enabled")
        self.assertEqual((missing.onu_admin_state, missing.onu_run_state), ("missing", "missing"))
        self.assertFalse(missing.onu_online)
        self.assertFalse(elsewhere.onu_admin_state, "a contract of another OLT is not judged by this one")

    def test_one_serial_two_contracts_the_live_one_holds_it(self):
        old = self.contract(1, pon=PONS[0], onu_id=0, service="terminated")
        new = self.contract(2, pon=PONS[0], onu_id=0, serial_number=serial(1))
        self.store([self.status(PONS[0], 0, 1)])
        onu = self.onus()
        self.assertEqual(onu.contract_id, new)
        self.assertEqual(new.inventory_onu_id, onu)
        self.assertEqual(old.onu_admin_state, "missing")

    def test_serial_in_hex_form_on_the_contract(self):
        contract = self.contract(1, serial_number="48575443" + serial(1)[4:])
        self.store([self.status(PONS[0], 0, 1)])
        self.assertEqual(contract.inventory_onu_id.serial_number, serial(1))

    def test_down_causes_and_unknown_words(self):
        statuses = [
            self.status(PONS[0], 0, 1, run="offline", cause="LOS"),
            self.status(PONS[0], 1, 2, run="offline", cause="dying-gasp"),
            self.status(PONS[0], 2, 3, run="DyingGasp"),
            self.status(PONS[0], 3, 4, run="offline"),
            self.status(PONS[0], 4, 5, run="online", cause="LOS"),
        ]
        self.store(statuses)
        states = {onu.serial_number: onu.run_state for onu in self.onus()}
        self.assertEqual(
            states,
            {
                serial(1): "los",
                serial(2): "dying_gasp",
                serial(3): "dying_gasp",
                serial(4): "offline",
                serial(5): "online",
            },
        )

    def test_an_onu_on_another_olt_is_not_its_contract_here(self):
        """The ledger tells both sides: an ONU with no contract here, the contract's ONU missing there."""
        zte = self.olts["zte"]
        contract = self.contract(1, olt_id=zte.id, olt_port_id=False)
        self.store([self.status(PONS[0], 0, 1)])
        self.assertFalse(self.onus().contract_id)
        self.assertFalse(contract.inventory_onu_id)
        self.assertEqual(self.drifts(kind="onu_without_contract").onu_id, self.onus())
        self.store([], olt=zte)
        self.assertEqual(contract.onu_admin_state, "missing")
