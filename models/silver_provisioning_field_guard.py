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
