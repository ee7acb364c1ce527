"""Signal history: raw readings of every poll, then hourly and daily aggregates.

A poll of 100 OLTs x 1,000 ONUs every 15 minutes is 9.6 million rows a day, so
the raw rows are kept for a few days only (per OLT, ``reading_raw_days``); an
hourly cron folds each complete hour into one row per ONU and each complete
day (UTC) into one more, then deletes what is past its retention.  Every step
is one SQL statement per OLT, whatever the number of ONUs.

The rows carry no create/write columns (``_log_access = False``): they are
written by the poll only, and 32 bytes a row less is a gigabyte a year at that
scale.
"""

import datetime

from odoo import api, fields, models

from .silver_olt_onu import RUN_STATES

#: the two aggregates (hour, day) write the same row: what differs is the SELECT between these
_AGGREGATE_INSERT = """
INSERT INTO silver_onu_reading_aggregate
       (period, period_start, olt_id, port_id, onu_id, contract_id, samples, online_samples,
        availability, rx_min, rx_avg, rx_max, tx_avg)
"""
_AGGREGATE_UPSERT = """
ON CONFLICT (onu_id, period, period_start) DO UPDATE SET
       port_id = EXCLUDED.port_id, contract_id = EXCLUDED.contract_id, samples = EXCLUDED.samples,
       online_samples = EXCLUDED.online_samples, availability = EXCLUDED.availability,
       rx_min = EXCLUDED.rx_min, rx_avg = EXCLUDED.rx_avg, rx_max = EXCLUDED.rx_max,
       tx_avg = EXCLUDED.tx_avg
"""


class SilverOnuReading(models.Model):
    _name = "silver.onu.reading"
    _description = "ONU Reading"
    _order = "read_at desc, id desc"
    _log_access = False
    _rec_name = "read_at"

    read_at = fields.Datetime(string="Read on", required=True)
    olt_id = fields.Many2one("silver.olt", string="OLT", required=True, ondelete="cascade")
    port_id = fields.Many2one("silver.olt.card.port", string="PON Port", ondelete="set null")
    onu_id = fields.Many2one("silver.olt.onu", string="ONU", required=True, ondelete="cascade")
    contract_id = fields.Many2one("silver.contract", ondelete="set null", index=True)
    run_state = fields.Selection(RUN_STATES)
    rx_power = fields.Float(string="RX (dBm)", digits=(5, 2), group_operator="avg")
    tx_power = fields.Float(string="TX (dBm)", digits=(5, 2), group_operator="avg")
    olt_rx_power = fields.Float(string="OLT RX (dBm)", digits=(5, 2), group_operator="avg")

    def init(self):
        # Compaction and retention walk one OLT's rows by time; the per-ONU
        # charts filter by contract (indexed on the field).
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS silver_onu_reading_olt_time_idx ON silver_onu_reading (olt_id, read_at)"
        )


class SilverOnuReadingAggregate(models.Model):
    _name = "silver.onu.reading.aggregate"
    _description = "ONU Reading (hourly and daily)"
    _order = "period_start desc, id desc"
    _log_access = False
    _rec_name = "period_start"

    period = fields.Selection([("hour", "Hour"), ("day", "Day")], required=True)
    period_start = fields.Datetime(required=True)
    olt_id = fields.Many2one("silver.olt", string="OLT", required=True, ondelete="cascade")
    port_id = fields.Many2one("silver.olt.card.port", string="PON Port", ondelete="set null")
    onu_id = fields.Many2one("silver.olt.onu", string="ONU", required=True, ondelete="cascade")
    contract_id = fields.Many2one("silver.contract", ondelete="set null", index=True)
    samples = fields.Integer(group_operator="sum")
    online_samples = fields.Integer(group_operator="sum")
    availability = fields.Float(string="Online (%)", digits=(5, 1), group_operator="avg")
    rx_min = fields.Float(string="RX Min (dBm)", digits=(5, 2), group_operator="min")
    rx_avg = fields.Float(string="RX Avg (dBm)", digits=(5, 2), group_operator="avg")
    rx_max = fields.Float(string="RX Max (dBm)", digits=(5, 2), group_operator="max")
    tx_avg = fields.Float(string="TX Avg (dBm)", digits=(5, 2), group_operator="avg")

    _sql_constraints = [
        ("onu_period_uniq", "unique (onu_id, period, period_start)", "One aggregate per ONU and period."),
    ]

    def init(self):
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS silver_onu_reading_aggregate_olt_time_idx "
            "ON silver_onu_reading_aggregate (olt_id, period, period_start)"
        )

    # -- compaction ------------------------------------------------------------
    @api.model
    def _cron_compact_readings(self, now=None):
        """Fold complete hours and days into aggregates and apply each OLT's retention."""
        now = now or fields.Datetime.now()
        # Every OLT keeps its own retention: a few hundred records at most.
        for olt in self.env["silver.olt"].sudo().search([]):  # pylint: disable=no-search-all
            self._compact_olt(olt, now)
        return True

    def _compact_olt(self, olt, now):
        hour = now.replace(minute=0, second=0, microsecond=0)
        day = hour.replace(hour=0)
        # Hours and days already folded are folded again (ON CONFLICT): a
        # cron that missed a run or ran twice leaves the same aggregates.
        # The last hour folded is folded once more: a poll is stamped when it
        # starts, so one that read the OLT across the hour stores rows of an
        # hour the previous run had already folded (a long V-SOL poll).
        since = olt.reading_compacted_until
        since = since - datetime.timedelta(hours=1) if since else datetime.datetime.min
        self._fold_hours(olt, since.replace(minute=0, second=0, microsecond=0), hour)
        self._fold_days(olt, since.replace(hour=0, minute=0, second=0, microsecond=0), day)
        cr = self.env.cr
        cr.execute(
            "DELETE FROM silver_onu_reading WHERE olt_id = %s AND read_at < %s AND read_at < %s",
            (olt.id, now - datetime.timedelta(days=olt.reading_raw_days), hour),
        )
        cr.execute(
            "DELETE FROM silver_onu_reading_aggregate WHERE olt_id = %s AND period = 'hour' "
            "AND period_start < %s AND period_start < %s",
            (olt.id, now - datetime.timedelta(days=olt.reading_hourly_days), day),
        )
        cr.execute(
            "DELETE FROM silver_onu_reading_aggregate WHERE olt_id = %s AND period = 'day' AND period_start < %s",
            (olt.id, now - datetime.timedelta(days=olt.reading_daily_days)),
        )
        olt.reading_compacted_until = hour
        self.env["silver.onu.reading"].invalidate_model()
        self.invalidate_model()

    def _fold_hours(self, olt, start, end):
        """One hourly row per ONU for every complete hour in [start, end)."""
        if start >= end:
            return
        self.env.cr.execute(
            _AGGREGATE_INSERT
            + """
            SELECT 'hour', date_trunc('hour', read_at), olt_id,
                   (array_agg(port_id ORDER BY read_at DESC))[1], onu_id,
                   (array_agg(contract_id ORDER BY read_at DESC))[1],
                   count(*), count(*) FILTER (WHERE run_state = 'online'),
                   100.0 * count(*) FILTER (WHERE run_state = 'online') / count(*),
                   min(rx_power), avg(rx_power), max(rx_power), avg(tx_power)
              FROM silver_onu_reading
             WHERE olt_id = %s AND read_at >= %s AND read_at < %s
          GROUP BY date_trunc('hour', read_at), olt_id, onu_id
            """
            + _AGGREGATE_UPSERT,
            (olt.id, start, end),
        )

    def _fold_days(self, olt, start, end):
        """One daily row per ONU for every complete day in [start, end), from its hours.

        The optical averages are weighted by the samples that carried a level
        (an offline ONU prints none), the availability by all samples.
        """
        if start >= end:
            return
        self.env.cr.execute(
            _AGGREGATE_INSERT
            + """
            SELECT 'day', date_trunc('day', period_start), olt_id,
                   (array_agg(port_id ORDER BY period_start DESC))[1], onu_id,
                   (array_agg(contract_id ORDER BY period_start DESC))[1],
                   sum(samples), sum(online_samples),
                   100.0 * sum(online_samples) / nullif(sum(samples), 0),
                   min(rx_min),
                   sum(rx_avg * online_samples) / nullif(sum(online_samples) FILTER (WHERE rx_avg IS NOT NULL), 0),
                   max(rx_max),
                   sum(tx_avg * online_samples) / nullif(sum(online_samples) FILTER (WHERE tx_avg IS NOT NULL), 0)
              FROM silver_onu_reading_aggregate
             WHERE olt_id = %s AND period = 'hour' AND period_start >= %s AND period_start < %s
          GROUP BY date_trunc('day', period_start), olt_id, onu_id
            """
            + _AGGREGATE_UPSERT,
            (olt.id, start, end),
        )
