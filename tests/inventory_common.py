"""Shared set-up of the inventory tests: polls as the drivers return them (OnuStatus
lists) stored through the OLT's real store, and contracts placed on its PON ports."""

import datetime

from odoo import fields
from odoo.addons.silver_provisioning.drivers import get_driver
from odoo.addons.silver_provisioning.drivers.models import OnuStatus, SubscriberStatus

from .common import PPPOE_PASSWORD, SilverProvisioningCommon

#: the OLT the store tests use: Huawei ports 0/1/0 .. 0/1/3
PLATFORM = "huawei"
PONS = ("0/1/0", "0/1/1", "0/1/2", "0/1/3")


def serial(number, vendor="HWTC"):
    return f"{vendor}{number:08X}"


class InventoryCommon(SilverProvisioningCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.olt = cls.olts[PLATFORM]
        cls.olt.alarm_user_id = cls.technician
        cls.ports = cls.olt._ports_by_pon()
        cls.t0 = datetime.datetime(2026, 3, 2, 8, 0, 0)

    # -- polls ---------------------------------------------------------------------
    @staticmethod
    def status(pon, onu_id, number, run="online", rx=-20.0, tx=2.1, admin="enabled", cause="", description=""):
        return OnuStatus(
            pon=pon,
            onu_id=onu_id,
            serial=serial(number),
            admin_state=admin,
            run_state=run,
            rx_power_dbm=rx if run == "online" else None,
            tx_power_dbm=tx if run == "online" else None,
            olt_rx_power_dbm=rx - 3 if run == "online" and rx is not None else None,
            description=description,
            model="EG8145V5",
            distance_m=1200 + onu_id,
            last_down_cause=cause,
        )

    def table(self, count, per_port=None, start=1, **kwargs):
        """``count`` ONUs spread over the four ports (or ``per_port`` on each, in order)."""
        statuses = []
        for index in range(count):
            port = index // per_port if per_port else index % len(PONS)
            onu_id = index % per_port if per_port else index // len(PONS)
            statuses.append(self.status(PONS[port], onu_id, start + index, **kwargs))
        return statuses

    def store(self, statuses, now=None, olt=None):
        olt = (olt or self.olt).sudo()
        return olt._inventory_store(statuses, get_driver(olt.platform), now or self.t0)

    def store_router(self, secrets, now=None):
        return self.router.sudo()._inventory_store(secrets, get_driver("mikrotik"), now or self.t0)

    @staticmethod
    def secret(name, enabled=True, suspended=False, online=True):
        return SubscriberStatus(
            name=name,
            exists=True,
            enabled=enabled,
            suspended=suspended,
            online=online,
            address="100.64.0.10" if online else "",
        )

    # -- records ---------------------------------------------------------------------
    def contract(self, number, pon=None, onu_id=None, service="active", router=False, **values):
        port = self.ports[pon] if pon else self.env["silver.olt.card.port"]
        vals = {
            "name": f"CT-{number:05d}",
            "partner_id": self.partner.id,
            "state": "active",
            "state_service": service,
            "olt_id": self.olt.id,
            "olt_card_id": port.olt_card_id.id,
            "olt_port_id": port.id,
            "onu_pon_id": onu_id or 0,
            "serial_number": serial(number),
            "vlan_id": self.olt.vlan_ids[:1].id,
            "core_id": self.router.id if router else False,
            "pppoe_user": f"user{number}",
            "pppoe_password": PPPOE_PASSWORD,
        }
        vals.update(values)
        return self.env["silver.contract"].create(vals)

    def onus(self, olt=None):
        return self.env["silver.olt.onu"].search([("olt_id", "=", (olt or self.olt).id)])

    def activities(self, record, xmlid):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "in", record.ids),
                ("activity_type_id", "=", self.env.ref(xmlid).id),
            ]
        )

    def drifts(self, **domain):
        return self.env["silver.provisioning.drift"].search([(key, "=", value) for key, value in domain.items()])

    @staticmethod
    def later(moment, minutes=15):
        return moment + datetime.timedelta(minutes=minutes)

    @staticmethod
    def now():
        return fields.Datetime.now()
