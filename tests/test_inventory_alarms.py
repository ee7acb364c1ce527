from odoo.tests import tagged

from .inventory_common import PONS, InventoryCommon

SIGNAL = "silver_provisioning.mail_activity_onu_signal"
DOWN = "silver_provisioning.mail_activity_onu_down"
OUTAGE = "silver_provisioning.mail_activity_pon_outage"


@tagged("post_install", "-at_install")
class TestInventoryAlarms(InventoryCommon):
    def _poll(self, moment, statuses):
        self.store(statuses, now=moment)
        return self.later(moment)

    def test_signal_thresholds_with_hysteresis(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        moment = self._poll(self.t0, [self.status(PONS[0], 0, 1, rx=-20.0)])
        self.assertFalse(self.activities(contract, SIGNAL))

        moment = self._poll(moment, [self.status(PONS[0], 0, 1, rx=-25.4)])
        activity = self.activities(contract, SIGNAL)
        self.assertEqual(len(activity), 1)
        self.assertIn("warning", activity.summary)
        self.assertIn("-25.40", activity.summary)
        self.assertEqual(activity.user_id, self.technician, "the OLT's alarm responsible gets it")

        moment = self._poll(moment, [self.status(PONS[0], 0, 1, rx=-27.6)])
        self.assertEqual(self.activities(contract, SIGNAL), activity, "escalated, not duplicated")
        self.assertIn("critical", activity.summary)

        # Just above the warning threshold: still a warning (0.5 dB of hysteresis), then back to OK.
        moment = self._poll(moment, [self.status(PONS[0], 0, 1, rx=-24.8)])
        self.assertEqual(contract.inventory_onu_id.signal_level, "warning")
        moment = self._poll(moment, [self.status(PONS[0], 0, 1, rx=-24.0)])
        self.assertEqual(contract.inventory_onu_id.signal_level, "ok")

        # A new crossing once the first activity is done raises a new one.
        activity.action_feedback(feedback="cleaned the connector")
        self._poll(moment, [self.status(PONS[0], 0, 1, rx=-26.0)])
        self.assertEqual(len(self.activities(contract, SIGNAL)), 1)

    def test_overload_and_thresholds_per_olt(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        self.olt.rx_overload_dbm = -10.0
        self._poll(self.t0, [self.status(PONS[0], 0, 1, rx=-9.0)])
        self.assertEqual(contract.inventory_onu_id.signal_level, "overload")
        self.assertEqual(len(self.activities(contract, SIGNAL)), 1)

    def test_suspended_and_unlinked_onus_raise_nothing(self):
        suspended = self.contract(1, pon=PONS[0], onu_id=0, service="suspended")
        moment = self._poll(self.t0, [self.status(PONS[0], 0, 1), self.status(PONS[0], 1, 2)])
        self._poll(
            moment, [self.status(PONS[0], 0, 1, rx=-28.0), self.status(PONS[0], 1, 2, run="offline", cause="LOS")]
        )
        self.assertFalse(self.activities(suspended, SIGNAL))
        self.assertFalse(self.env["mail.activity"].search([("activity_type_id", "=", self.env.ref(DOWN).id)]))

    def test_onu_down_then_back(self):
        contract = self.contract(1, pon=PONS[0], onu_id=0)
        moment = self._poll(self.t0, [self.status(PONS[0], 0, 1)])
        moment = self._poll(moment, [self.status(PONS[0], 0, 1, run="offline", cause="dying-gasp")])
        activity = self.activities(contract, DOWN)
        self.assertEqual(len(activity), 1)
        self.assertIn("Dying Gasp", activity.summary)
        self.assertEqual(contract.inventory_onu_id.state_since, self.later(self.t0))
        # Still down at the next poll: no second activity.
        moment = self._poll(moment, [self.status(PONS[0], 0, 1, run="offline", cause="dying-gasp")])
        self.assertEqual(self.activities(contract, DOWN), activity)
        self._poll(moment, [self.status(PONS[0], 0, 1)])
        self.assertFalse(self.activities(contract, DOWN), "back online: the activity is done")
        self.assertIn("back online", contract.message_ids[:1].body)

    def test_one_pon_outage_alert_instead_of_one_per_onu(self):
        on_port0 = [self.contract(n, pon=PONS[0], onu_id=n) for n in range(1, 7)]
        on_port1 = self.contract(20, pon=PONS[1], onu_id=0)
        healthy = [self.status(PONS[0], n, n) for n in range(1, 7)] + [self.status(PONS[1], 0, 20)]
        healthy += [self.status(PONS[1], n, 20 + n) for n in range(1, 4)]
        moment = self._poll(self.t0, healthy)
        # Five of six go down on port 0 (fibre cut); one ONU of port 1 loses its light.
        broken = [self.status(PONS[0], n, n, run="offline", cause="LOS") for n in range(1, 6)]
        broken += [self.status(PONS[0], 6, 6), self.status(PONS[1], 0, 20, run="offline", cause="LOS")]
        broken += [self.status(PONS[1], n, 20 + n) for n in range(1, 4)]
        summary = self.store(broken, now=moment)
        outage = self.activities(self.olt, OUTAGE)
        self.assertEqual(len(outage), 1)
        self.assertIn(self.ports[PONS[0]].display_name, outage.summary)
        self.assertIn("5 ONUs down", outage.summary)
        for contract in on_port0[:5]:
            self.assertIn(contract.name, outage.note)
        self.assertNotIn(on_port0[5].name, outage.note)
        self.assertFalse(
            self.activities(self.env["silver.contract"].browse([c.id for c in on_port0]), DOWN),
            "no alert per ONU for the port in outage",
        )
        self.assertEqual(len(self.activities(on_port1, DOWN)), 1, "a single ONU down elsewhere is its own alert")
        self.assertEqual(summary["alarms"], 2)

    def test_a_few_onus_down_are_no_outage(self):
        contracts = [self.contract(n, pon=PONS[0], onu_id=n) for n in range(1, 9)]
        moment = self._poll(self.t0, [self.status(PONS[0], n, n) for n in range(1, 9)])
        # Four of eight is not most of them.
        self._poll(
            moment,
            [self.status(PONS[0], n, n, run="offline" if n <= 4 else "online", cause="LOS") for n in range(1, 9)],
        )
        self.assertFalse(self.activities(self.olt, OUTAGE))
        self.assertEqual(len(self.activities(self.env["silver.contract"].browse([c.id for c in contracts]), DOWN)), 4)

    def test_outages_of_ports_whose_names_share_a_prefix_stay_apart(self):
        """An open outage on .../P1 is not the outage of .../P10 (a name search would take it)."""
        card = self.ports[PONS[0]].olt_card_id
        self.env["silver.olt.card.port"].create(
            {"olt_id": self.olt.id, "olt_card_id": card.id, "num_port": 10, "capacity_port_pon": "64"}
        )
        far = next(pon for pon, port in self.olt._ports_by_pon().items() if port.num_port == 10)
        up = [self.status(PONS[0], n, 1 + n) for n in range(4)] + [self.status(far, n, 11 + n) for n in range(4)]
        moment = self._poll(self.t0, up)
        # P10 first: a search for "P1" in the summaries would find P10's open outage.
        first = up[:4] + [self.status(far, n, 11 + n, run="offline", cause="LOS") for n in range(4)]
        moment = self._poll(moment, first)
        both = [self.status(PONS[0], n, 1 + n, run="offline", cause="LOS") for n in range(4)] + first[4:]
        self._poll(moment, both)
        outages = self.activities(self.olt, OUTAGE)
        self.assertEqual(len(outages), 2, outages.mapped("summary"))
        self.assertTrue(any("/P10" in summary for summary in outages.mapped("summary")))
