import datetime

from odoo.tests import tagged

from .inventory_common import PONS, InventoryCommon


@tagged("post_install", "-at_install")
class TestInventoryHistory(InventoryCommon):
    def _polls(self, hours, onus=2):
        """Polls every 15 minutes for ``hours`` hours from t0; ONU 1 goes down in the second hour."""
        moment = self.t0
        for step in range(hours * 4):
            statuses = []
            for number in range(1, onus + 1):
                down = number == 1 and 4 <= step < 8
                statuses.append(
                    self.status(
                        PONS[0],
                        number,
                        number,
                        rx=-20.0 - (step % 4) * 0.5,
                        run="offline" if down else "online",
                        cause="LOS" if down else "",
                    )
                )
            self.store(statuses, now=moment)
            moment = self.later(moment)
        return moment

    def _aggregates(self, period):
        return self.env["silver.onu.reading.aggregate"].search(
            [("olt_id", "=", self.olt.id), ("period", "=", period)], order="period_start, onu_id"
        )

    def test_hours_and_days_are_folded_and_raw_readings_expire(self):
        contract = self.contract(1, pon=PONS[0], onu_id=1)
        self._polls(hours=3)
        Aggregate = self.env["silver.onu.reading.aggregate"]
        # At 10:30 the hours 08:00 and 09:00 are complete; 10:00 is not.
        Aggregate._compact_olt(self.olt, self.t0 + datetime.timedelta(hours=2, minutes=30))
        hours = self._aggregates("hour")
        self.assertEqual(len(hours), 4)
        first = hours.filtered(lambda row: row.contract_id == contract and row.period_start == self.t0)
        self.assertEqual((first.samples, first.online_samples), (4, 4))
        self.assertAlmostEqual(first.rx_avg, -20.75)
        self.assertAlmostEqual(first.rx_min, -21.5)
        self.assertAlmostEqual(first.rx_max, -20.0)
        down_hour = hours.filtered(lambda row: row.contract_id == contract and row.period_start != self.t0)
        self.assertEqual(down_hour.availability, 0.0)
        self.assertFalse(self._aggregates("day"), "the day is not over")

        # Two days later: the day is folded from its hours, raw readings past 2 days are gone.
        later = self.t0 + datetime.timedelta(days=2, hours=3)
        Aggregate._compact_olt(self.olt, later)
        day = self._aggregates("day").filtered(lambda row: row.contract_id == contract)
        self.assertEqual(len(day), 1)
        self.assertEqual(day.period_start, self.t0.replace(hour=0))
        self.assertEqual((day.samples, day.online_samples), (12, 8))
        self.assertAlmostEqual(day.availability, 100.0 * 8 / 12)
        self.assertAlmostEqual(day.rx_avg, -20.75, msg="weighted by the samples that carried a level")
        self.assertFalse(self.env["silver.onu.reading"].search_count([("olt_id", "=", self.olt.id)]))
        self.assertEqual(len(self._aggregates("hour")), 6, "hourly rows are kept 14 days")

        # Folding again changes nothing; after the hourly retention only the days remain.
        Aggregate._compact_olt(self.olt, later)
        self.assertEqual(len(self._aggregates("day")), 2)
        Aggregate._compact_olt(self.olt, self.t0 + datetime.timedelta(days=15))
        self.assertFalse(self._aggregates("hour"))
        self.assertEqual(len(self._aggregates("day")), 2)
        Aggregate._compact_olt(self.olt, self.t0 + datetime.timedelta(days=402))
        self.assertFalse(self._aggregates("day"))

    def test_retention_is_per_olt(self):
        self.olt.reading_raw_days = 5
        self._polls(hours=1)
        self.env["silver.onu.reading.aggregate"]._cron_compact_readings(now=self.t0 + datetime.timedelta(days=3))
        self.assertEqual(self.env["silver.onu.reading"].search_count([("olt_id", "=", self.olt.id)]), 8)

    def test_graph_and_pivot_per_contract_and_port(self):
        contract = self.contract(1, pon=PONS[0], onu_id=1)
        self._polls(hours=2)
        self.env["silver.onu.reading.aggregate"]._compact_olt(self.olt, self.t0 + datetime.timedelta(days=1))
        action = contract.action_view_readings()
        groups = self.env["silver.onu.reading.aggregate"].read_group(
            action["domain"] + [("period", "=", "hour")], ["rx_avg:avg", "availability:avg"], ["period_start:hour"]
        )
        self.assertEqual(len(groups), 2)
        by_port = self.env["silver.onu.reading"].read_group(
            [("olt_id", "=", self.olt.id)], ["rx_power:avg"], ["port_id"]
        )
        self.assertEqual(by_port[0]["port_id"][0], self.ports[PONS[0]].id)
        for view in ("graph", "pivot"):
            self.env["silver.onu.reading.aggregate"].get_views([(False, view)])
            self.env["silver.onu.reading"].get_views([(False, view)])

    def test_a_poll_stored_after_its_hour_was_folded_is_folded_too(self):
        """A poll stamped 08:59 (when it started) and stored after the 09:00 run."""
        contract = self.contract(1, pon=PONS[0], onu_id=1)
        Aggregate = self.env["silver.onu.reading.aggregate"]
        self.store([self.status(PONS[0], 1, 1, rx=-20.0)], now=self.t0 + datetime.timedelta(minutes=44))
        Aggregate._compact_olt(self.olt, self.t0 + datetime.timedelta(hours=1, seconds=30))
        self.store([self.status(PONS[0], 1, 1, rx=-22.0)], now=self.t0 + datetime.timedelta(minutes=59))
        Aggregate._compact_olt(self.olt, self.t0 + datetime.timedelta(hours=2, seconds=30))
        hour = self._aggregates("hour").filtered(lambda row: row.contract_id == contract)
        self.assertEqual((hour.samples, hour.period_start), (2, self.t0))
        self.assertAlmostEqual(hour.rx_avg, -21.0)
        # The same across midnight: the day is folded again with its last hour.
        day = self.t0.replace(hour=23)
        self.store([self.status(PONS[0], 1, 1, rx=-20.0)], now=day + datetime.timedelta(minutes=30))
        Aggregate._compact_olt(self.olt, day + datetime.timedelta(hours=1, seconds=30))
        self.store([self.status(PONS[0], 1, 1, rx=-20.0)], now=day + datetime.timedelta(minutes=59))
        Aggregate._compact_olt(self.olt, day + datetime.timedelta(hours=2, seconds=30))
        daily = self._aggregates("day").filtered(lambda row: row.contract_id == contract)
        self.assertEqual(daily.samples, 4)
