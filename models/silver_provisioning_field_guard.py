from odoo import _, api, models
from odoo.exceptions import AccessError


def domain_field_names(domain):
    """The first field name of every term of ``domain`` (paths included: 'wifi_line_ids.password')."""
    names = set()
    for term in domain or ():
        if isinstance(term, (list, tuple)) and len(term) == 3 and isinstance(term[0], str):
            names.add(term[0].split(".", 1)[0])
    return names


def order_field_names(order):
    """The field names an ``order`` clause sorts on ('pppoe_password desc, id' -> {'pppoe_password', 'id'})."""
    names = set()
    for part in (order or "").split(","):
        words = part.strip().split()
        if words:
            names.add(words[0].strip('"').split(".", 1)[0])
    return names


def spec_field_names(specs):
    """The field names of read_group specs ('pppoe_password:array_agg', 'date:month', 'partner_id.name')."""
    return {spec.split(":", 1)[0].split(".", 1)[0].strip() for spec in specs or () if isinstance(spec, str)}


def having_field_names(having):
    """The field names of a read_group ``having`` domain, whose terms name aggregates ('x:sum')."""
    return {name.split(":", 1)[0] for name in domain_field_names(having)}


class SilverProvisioningFieldGuard(models.AbstractModel):
    """No search or sort on a value the user may not read: a count by value is an oracle.

    Odoo checks a field's ``groups`` when it is read, not when it is searched or
    sorted on: ``search_count([('pppoe_password', '=like', 'P%')])`` would tell
    anyone the password one letter at a time.  Here a term or a sort on such a
    field is refused; on a secret (``_secret_fields``) it is refused whoever
    asks, since no screen needs to find a record by its password.
    """

    _name = "silver.provisioning.field.guard"
    _description = "Search guard for restricted fields"

    #: fields nobody searches or sorts on by value (passwords, keys)
    _secret_fields = ()

    @api.model
    def _search(self, domain, offset=0, limit=None, order=None, access_rights_uid=None):
        if not self.env.su:
            self._check_searchable(domain_field_names(domain) | order_field_names(order))
        return super()._search(domain, offset=offset, limit=limit, order=order, access_rights_uid=access_rights_uid)

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # read_group, web_read_group and the pivot all come here: a group per value, or an
        # aggregate of the values (array_agg, count_distinct), would hand them out.
        if not self.env.su:
            names = spec_field_names(groupby) | spec_field_names(aggregates) | having_field_names(having)
            names |= {name.split(":", 1)[0] for name in order_field_names(order)}
            self._check_groupable(names)
        return super()._read_group(
            domain, groupby=groupby, aggregates=aggregates, having=having, offset=offset, limit=limit, order=order
        )

    def _restricted(self, name):
        field = self._fields.get(name)
        if field is None:
            return None
        if name in self._secret_fields or (field.groups and not self.user_has_groups(field.groups)):
            return field
        return None

    def _check_groupable(self, names):
        for name in sorted(names):
            field = self._restricted(name)
            if field is not None:
                raise AccessError(
                    _(
                        "%(field)s of %(model)s cannot be grouped by or aggregated: its values are restricted.",
                        field=field._description_string(self.env),
                        model=self._description,
                    )
                )

    def _check_searchable(self, names):
        for name in sorted(names):
            field = self._fields.get(name)
            if field is None:
                continue
            if name in self._secret_fields or (field.groups and not self.user_has_groups(field.groups)):
                raise AccessError(
                    _(
                        "%(field)s of %(model)s cannot be searched or sorted on: its values are restricted.",
                        field=field._description_string(self.env),
                        model=self._description,
                    )
                )
