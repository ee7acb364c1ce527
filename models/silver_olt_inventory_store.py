"""Storing one poll of an OLT: the ONU table, the readings, the contracts' latest
values, alarms and the drift ledger, in a number of queries that does not grow
with the number of ONUs (one read of the ONU table, one of the contracts, one
INSERT or UPDATE per table; see silver_inventory_bulk.py)."""

import re
from dataclasses import dataclass, field

from markupsafe import Markup
from odoo import _, fields, models

from ..drivers import validation
from ..drivers.errors import InvalidInput
from .silver_inventory_bulk import bulk_insert, bulk_update
from .silver_olt_onu import DOWN_CAUSES

#: dB an ONU must climb back above a threshold before its level counts as recovered
SIGNAL_HYSTERESIS_DB = 0.5
SEVERITY = {False: 0, None: 0, "ok": 0, "warning": 1, "critical": 2, "overload": 2}
#: the order in which one serial's contracts claim its ONU
STATE_PRIORITY = {"active": 0, "suspended": 1, "inactive": 2, "terminated": 3}

ONU_COLUMNS = [
    ("port_id", "int4"),
    ("pon", "varchar"),
    ("onu_id", "int4"),
    ("serial_number", "varchar"),
    ("description", "varchar"),
    ("model", "varchar"),
    ("admin_state", "varchar"),
    ("run_state", "varchar"),
    ("rx_power", "float8"),
    ("tx_power", "float8"),
    ("olt_rx_power", "float8"),
    ("distance_m", "int4"),
    ("last_down_cause", "varchar"),
    ("signal_level", "varchar"),
    ("contract_id", "int4"),
    ("is_present", "bool"),
    ("last_read_at", "timestamp"),
    ("state_since", "timestamp"),
]
READING_COLUMNS = [
    ("read_at", "timestamp"),
    ("olt_id", "int4"),
    ("port_id", "int4"),
    ("onu_id", "int4"),
    ("contract_id", "int4"),
    ("run_state", "varchar"),
    ("rx_power", "float8"),
    ("tx_power", "float8"),
    ("olt_rx_power", "float8"),
]
ONU = {name: index for index, (name, _kind) in enumerate(ONU_COLUMNS)}
CONTRACT_COLUMNS = [
    ("inventory_onu_id", "int4"),
    ("onu_run_state", "varchar"),
    ("onu_admin_state", "varchar"),
    ("onu_online", "bool"),
    ("onu_rx_power", "float8"),
    ("onu_tx_power", "float8"),
    ("onu_status_date", "timestamp"),
    ("olt_state", "varchar"),
    ("onu_rx_power_read", "bool"),
    ("onu_status_quality", "varchar"),
]


def vendor_serial(value):
    """The 12-character vendor form of a serial, or '' when it is none."""
    try:
        return validation.normalize_serial(value or "")
    except InvalidInput:
        return ""


def _word(text):
    return re.sub(r"[^a-z]", "", (text or "").lower())


#: the device's words for a run state, letters only -> how it is recorded
_STATE_WORDS = {
    "online": "online",
    "offline": "offline",
    **{_word(cause): cause for cause in DOWN_CAUSES},
    # Huawei's summary: loss of signal for ONU i
    "losi": "los",
}


def run_state_of(status):
    """'online', 'offline', or why it is down where the device says so
    ('LOS', 'dying-gasp', 'DyingGasp' as a state or as the last down cause)."""
    state = _STATE_WORDS.get(_word(status.run_state), "offline" if status.run_state else "")
    if state == "online":
        return "online"
    cause = _STATE_WORDS.get(_word(status.last_down_cause), "")
    if state in DOWN_CAUSES:
        return state
    if cause in DOWN_CAUSES:
        return cause
    return state or False


@dataclass
class OnuEvent:
    """What changed for one ONU between two polls."""

    onu_id: int
    contract_id: int
    port_id: int
    label: str
    before: str
    after: str
    level_before: str = ""
    level_after: str = ""
    rx: float = None
    cause: str = ""


@dataclass
class PollOutcome:
    events: list = field(default_factory=list)
    contracts: dict = field(default_factory=dict)  # contract id -> latest values (for the ledger)
    orphans: list = field(default_factory=list)  # ONU ids present with no contract
    new_onus: int = 0


class SilverOltInventoryStore(models.Model):
    _inherit = "silver.olt"

    # -- thresholds ----------------------------------------------------------------
    def _signal_level(self, rx, previous):
        """The RX level against this OLT's thresholds; a level climbs back only
        SIGNAL_HYSTERESIS_DB above its threshold (no alarm per 0.1 dB of flutter)."""
        if rx is None:
            return previous or False
        if rx > self.rx_overload_dbm:
            return "overload"
        if rx <= self.rx_critical_dbm or (previous == "critical" and rx <= self.rx_critical_dbm + SIGNAL_HYSTERESIS_DB):
            return "critical"
        if rx <= self.rx_warning_dbm or (
            previous in ("warning", "critical") and rx <= self.rx_warning_dbm + SIGNAL_HYSTERESIS_DB
        ):
            return "warning"
        return "ok"

    # -- the store -----------------------------------------------------------------
    def _inventory_store(self, found, driver_class, now):
        """Store one poll (a list of OnuStatus) of this OLT; returns a summary dict."""
        self.ensure_one()
        self.env.flush_all()
        ports = {pon: port.id for pon, port in self._ports_by_pon(driver_class).items()}
        known = self.env["silver.olt.onu"].search_fetch(
            [("olt_id", "=", self.id)],
            [
                "serial_number",
                "pon",
                "onu_id",
                "run_state",
                "signal_level",
                "state_since",
                "is_present",
                "first_seen",
                "contract_id",
                "port_id",
            ],
        )
        statuses = self._inventory_unique(found)
        claims, contracts = self._inventory_contract_claims(statuses, ports)
        outcome = PollOutcome()
        onu_rows, new_rows, seen = self._inventory_onu_rows(statuses, known, ports, claims, now, outcome)
        cr = self.env.cr
        if new_rows:
            inserted = bulk_insert(
                cr,
                "silver_olt_onu",
                [("olt_id", "int4"), ("first_seen", "timestamp"), *ONU_COLUMNS],
                [(self.id, now, *row) for _key, row in new_rows],
                returning=("id", "pon", "onu_id"),
            )
            by_position = {(pon, onu_id): onu for onu, pon, onu_id in inserted}
            for key, row in new_rows:
                onu = by_position[(row[ONU["pon"]], row[ONU["onu_id"]])]
                seen[key] = onu
                outcome.events.append(self._inventory_new_event(onu, row))
            outcome.new_onus = len(new_rows)
        bulk_update(cr, "silver_olt_onu", ONU_COLUMNS, onu_rows)
        present = set(seen.values())
        gone = [onu.id for onu in known if onu.is_present and onu.id not in present]
        if gone:
            cr.execute("UPDATE silver_olt_onu SET is_present = false WHERE id = ANY(%s)", (gone,))
        self._inventory_store_readings(statuses, seen, ports, claims, now)
        self._inventory_store_contracts(statuses, seen, claims, contracts, now, outcome)
        self.env["silver.olt.onu"].invalidate_model()
        self.env["silver.contract"].invalidate_model([name for name, _kind in CONTRACT_COLUMNS] + ["drift_ids"])
        outcome.orphans = [onu for key, onu in seen.items() if not claims.get(key)]
        alarms = self._inventory_raise_alarms(outcome.events, contracts)
        drifts = self.env["silver.provisioning.drift"]._refresh_olt(self, outcome, now)
        return {"items": len(statuses), "new": outcome.new_onus, "gone": len(gone), "alarms": alarms, **drifts}

    @staticmethod
    def _inventory_key(status):
        """An ONU is its serial; one whose serial the table does not print is its position."""
        return vendor_serial(status.serial) or f"{status.pon}:{status.onu_id}"

    def _inventory_unique(self, found):
        """key -> OnuStatus; a serial printed twice (a misconfigured OLT) keeps its first position."""
        statuses = {}
        for status in found:
            statuses.setdefault(self._inventory_key(status), status)
        return statuses

    def _inventory_contract_claims(self, statuses, ports):
        """(key -> contract for each ONU a contract holds, every contract read), in one query."""
        serials = {vendor_serial(status.serial) for status in statuses.values()} - {""}
        candidates = serials | {validation.serial_to_hex(serial) for serial in serials}
        contracts = self.env["silver.contract"].search_fetch(
            ["|", ("olt_id", "=", self.id), ("serial_number", "in", sorted(candidates))],
            [
                "name",
                "state_service",
                "serial_number",
                "olt_id",
                "olt_port_id",
                "onu_pon_id",
                "core_id",
                "onu_run_state",
                "onu_admin_state",
                "pppoe_secret_state",
            ],
        )
        by_serial, by_position = {}, {}
        for contract in contracts:
            serial = vendor_serial(contract.serial_number)
            # A contract of another OLT does not take this OLT's ONU: that one is an
            # ONU with no contract here and the contract's ONU is missing there.
            if serial and contract.olt_id.id in (self.id, False):
                by_serial.setdefault(serial, []).append(contract)
            if (
                contract.olt_id.id == self.id
                and contract.olt_port_id
                and contract.state_service in ("active", "suspended")
            ):
                by_position[(contract.olt_port_id.id, contract.onu_pon_id)] = contract
        claims = {}
        for key, status in statuses.items():
            holders = by_serial.get(vendor_serial(status.serial), [])
            if holders:
                claims[key] = min(holders, key=lambda c: (STATE_PRIORITY.get(c.state_service, 9), not c.olt_id, -c.id))
            elif not vendor_serial(status.serial):
                claims[key] = by_position.get((ports.get(status.pon), status.onu_id))
        return claims, contracts

    def _inventory_onu_rows(self, statuses, known, ports, claims, now, outcome):
        """(update rows, new rows, key -> ONU id of the rows updated)."""
        by_serial = {onu.serial_number: onu for onu in known if onu.serial_number}
        by_position = {f"{onu.pon}:{onu.onu_id}": onu for onu in known if not onu.serial_number}
        rows, new_rows, seen = [], [], {}
        for key, status in statuses.items():
            onu = by_serial.get(key) or by_position.get(key)
            contract = claims.get(key)
            state = run_state_of(status)
            rx = status.rx_power_dbm
            previous_state = (onu.run_state if onu and onu.is_present else "") or ""
            level = self._signal_level(rx, onu.signal_level if onu else False)
            row = (
                ports.get(status.pon) or None,
                status.pon,
                status.onu_id,
                vendor_serial(status.serial) or None,
                status.description or None,
                status.model or None,
                status.admin_state or None,
                state or None,
                rx,
                status.tx_power_dbm,
                status.olt_rx_power_dbm,
                status.distance_m,
                status.last_down_cause or None,
                level or None,
                contract.id if contract else None,
                True,
                now,
                now if not onu or previous_state != (state or "") else (onu.state_since or now),
            )
            if onu is None:
                new_rows.append((key, row))
                continue
            seen[key] = onu.id
            rows.append((onu.id, *row))
            outcome.events.append(
                OnuEvent(
                    onu_id=onu.id,
                    contract_id=contract.id if contract else 0,
                    port_id=row[0] or 0,
                    label=f"{status.pon}:{status.onu_id}",
                    before=previous_state,
                    after=state or "",
                    level_before=onu.signal_level or "",
                    level_after=level or "",
                    rx=rx,
                    cause=status.last_down_cause or "",
                )
            )
        return rows, new_rows, seen

    @staticmethod
    def _inventory_new_event(onu_id, row):
        """A first sighting: no state change, but a level already past a threshold counts."""
        return OnuEvent(
            onu_id=onu_id,
            contract_id=row[ONU["contract_id"]] or 0,
            port_id=row[ONU["port_id"]] or 0,
            label=f"{row[ONU['pon']]}:{row[ONU['onu_id']]}",
            before="",
            after=row[ONU["run_state"]] or "",
            level_after=row[ONU["signal_level"]] or "",
            rx=row[ONU["rx_power"]],
            cause=row[ONU["last_down_cause"]] or "",
        )

    def _inventory_store_readings(self, statuses, seen, ports, claims, now):
        rows = []
        for key, status in statuses.items():
            contract = claims.get(key)
            rows.append(
                (
                    now,
                    self.id,
                    ports.get(status.pon) or None,
                    seen[key],
                    contract.id if contract else None,
                    run_state_of(status) or None,
                    status.rx_power_dbm,
                    status.tx_power_dbm,
                    status.olt_rx_power_dbm,
                )
            )
        bulk_insert(self.env.cr, "silver_onu_reading", READING_COLUMNS, rows)

    def _inventory_store_contracts(self, statuses, seen, claims, contracts, now, outcome):
        """The latest values on every contract holding an ONU of this OLT, 'missing' on
        this OLT's contracts whose ONU is not in its table."""
        rows, claimed = [], set()
        for key, status in statuses.items():
            contract = claims.get(key)
            if not contract or contract.id in claimed:
                continue
            claimed.add(contract.id)
            state = run_state_of(status)
            admin = status.admin_state or ("enabled" if state else None)
            online = state == "online"
            rows.append(
                (
                    contract.id,
                    seen[key],
                    state or None,
                    admin,
                    online,
                    status.rx_power_dbm or 0.0,
                    status.tx_power_dbm or 0.0,
                    now,
                    "active" if online else "down",
                    status.rx_power_dbm is not None,
                    "read",
                )
            )
            outcome.contracts[contract.id] = {"onu_admin_state": admin, "onu_run_state": state}
        for contract in contracts:
            if contract.id in claimed or contract.olt_id.id != self.id or not contract.serial_number:
                continue
            rows.append((contract.id, None, "missing", "missing", False, 0.0, 0.0, now, "down", False, "read"))
            outcome.contracts[contract.id] = {"onu_admin_state": "missing", "onu_run_state": "missing"}
        bulk_update(self.env.cr, "silver_contract", CONTRACT_COLUMNS, rows)

    # -- alarms ------------------------------------------------------------------------
    def _inventory_raise_alarms(self, events, contracts):
        """Activities for signal crossings and ONUs going down; one PON outage per port
        where most of its ONUs went down at once.  Returns how many activities were raised."""
        active = {contract.id for contract in contracts if contract.state_service == "active"}
        down_by_port, online_by_port = {}, {}
        for event in events:
            if event.before == "online":
                online_by_port[event.port_id] = online_by_port.get(event.port_id, 0) + 1
                if event.after and event.after != "online":
                    down_by_port.setdefault(event.port_id, []).append(event)
        outage_ports = {
            port_id: downs
            for port_id, downs in down_by_port.items()
            if len(downs) >= self.pon_outage_min_onus
            and len(downs) * 100 > self.pon_outage_percent * online_by_port[port_id]
        }
        raised = sum(self._inventory_pon_outage(port_id, downs) for port_id, downs in outage_ports.items())
        signal, down, up = [], [], []
        for event in events:
            if event.contract_id not in active:
                continue
            if event.before == "online" and event.after and event.after != "online":
                if event.port_id not in outage_ports:
                    down.append(event)
            elif event.after == "online" and event.before and event.before != "online":
                up.append(event)
            worse = SEVERITY.get(event.level_after, 0) > SEVERITY.get(event.level_before, 0)
            if worse and event.after == "online":
                signal.append(event)
        raised += self._inventory_contract_activities(
            "silver_provisioning.mail_activity_onu_signal", signal, self._signal_summary
        )
        raised += self._inventory_contract_activities(
            "silver_provisioning.mail_activity_onu_down", down, self._down_summary
        )
        self._inventory_close_down_activities(up)
        return raised

    def _signal_summary(self, event):
        levels = dict(self.env["silver.olt.onu"]._fields["signal_level"]._description_selection(self.env))
        return _(
            "ONU signal %(level)s: RX %(rx).2f dBm on %(onu)s",
            level=levels[event.level_after].lower(),
            rx=event.rx,
            onu=event.label,
        )

    def _down_summary(self, event):
        states = dict(self.env["silver.olt.onu"]._fields["run_state"]._description_selection(self.env))
        return _("ONU down (%(state)s) on %(onu)s", state=states.get(event.after, event.after), onu=event.label)

    def _inventory_alarm_user(self):
        if self.alarm_user_id:
            return self.alarm_user_id
        group = self.env.ref("silver_provisioning.group_network_admin")
        admins = group.users.filtered(lambda user: not user.share and user.active)
        return admins.sorted("id")[:1] or self.env.user

    def _inventory_contract_activities(self, type_xmlid, events, summary):
        """One activity of this type per contract, unless one is still open (then it is
        brought up to date: a warning that became critical says so)."""
        if not events:
            return 0
        activity_type = self.env.ref(type_xmlid)
        model = self.env["ir.model"]._get_id("silver.contract")
        Activity = self.env["mail.activity"].sudo()
        open_ones = {
            activity.res_id: activity
            for activity in Activity.search(
                [
                    ("res_model", "=", "silver.contract"),
                    ("res_id", "in", [e.contract_id for e in events]),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        }
        user = self._inventory_alarm_user()
        today = fields.Date.context_today(self)
        new = []
        for event in events:
            text = summary(event)
            note = Markup("<p>{}</p>").format(text)
            if event.contract_id in open_ones:
                open_ones[event.contract_id].write({"summary": text[:250], "note": note})
                continue
            new.append(
                {
                    "res_model_id": model,
                    "res_id": event.contract_id,
                    "activity_type_id": activity_type.id,
                    "summary": text[:250],
                    "note": note,
                    "user_id": user.id,
                    "date_deadline": today,
                }
            )
        Activity.create(new)
        return len(new)

    def _inventory_close_down_activities(self, events):
        """An ONU back online closes its 'ONU down' activity."""
        if not events:
            return
        activity_type = self.env.ref("silver_provisioning.mail_activity_onu_down")
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "silver.contract"),
                    ("res_id", "in", [e.contract_id for e in events]),
                    ("activity_type_id", "=", activity_type.id),
                ]
            )
        )
        if activities:
            activities.action_feedback(feedback=_("The ONU is back online."))

    def _inventory_pon_outage(self, port_id, events):
        """One activity on the OLT naming the port and the contracts whose ONU went down."""
        port = self.env["silver.olt.card.port"].browse(port_id)
        where = port.display_name if port else events[0].label.split(":")[0]
        contracts = self.env["silver.contract"].browse(sorted({e.contract_id for e in events if e.contract_id}))
        causes = sorted({e.after for e in events})
        summary = _(
            "PON outage on %(port)s: %(down)s ONUs down (%(causes)s)",
            port=where,
            down=len(events),
            causes=", ".join(causes),
        )
        items = Markup().join(Markup("<li>{}</li>").format(contract.display_name) for contract in contracts)
        orphans = len([e for e in events if not e.contract_id])
        note = Markup("<p>{}</p><ul>{}</ul>").format(summary, items)
        if orphans:
            note += Markup("<p>{}</p>").format(_("and %s ONUs with no contract", orphans))
        self._inventory_schedule_olt_activity(
            "silver_provisioning.mail_activity_pon_outage", summary, note, match=where
        )
        return 1

    def _inventory_schedule_olt_activity(self, type_xmlid, summary, note, match=None):
        """An activity on the OLT, unless one of this type (for this port) is still open."""
        activity_type = self.env.ref(type_xmlid)
        Activity = self.env["mail.activity"].sudo()
        domain = [
            ("res_model", "=", "silver.olt"),
            ("res_id", "=", self.id),
            ("activity_type_id", "=", activity_type.id),
        ]
        if match:
            domain.append(("summary", "ilike", match))
        existing = Activity.search(domain)
        if match:
            # "…/P1" is also in "…/P10": only the name followed by no more of a name counts.
            exact = re.compile(re.escape(match) + r"(?![\w/])")
            existing = existing.filtered(lambda activity: exact.search(activity.summary or ""))
        existing = existing[:1]
        if existing:
            existing.write({"summary": summary[:250], "note": note})
            return existing
        return Activity.create(
            {
                "res_model_id": self.env["ir.model"]._get_id("silver.olt"),
                "res_id": self.id,
                "activity_type_id": activity_type.id,
                "summary": summary[:250],
                "note": note,
                "user_id": self._inventory_alarm_user().id,
                "date_deadline": fields.Date.context_today(self),
            }
        )

    def _inventory_poll_succeeded(self, summary, now):
        result = super()._inventory_poll_succeeded(summary, now)
        # The OLT answers again: its 'does not answer' activity is done.
        unreachable = self.env.ref("silver_provisioning.mail_activity_olt_unreachable")
        self.env["mail.activity"].sudo().search(
            [("res_model", "=", "silver.olt"), ("res_id", "=", self.id), ("activity_type_id", "=", unreachable.id)]
        ).action_feedback(feedback=_("The OLT answers again."))
        return result
