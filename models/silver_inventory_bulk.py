"""Bulk writes of a poll in a fixed number of statements, whatever the number of ONUs.

The ORM inserts 100 rows per statement and updates one row per statement when
the values differ (they do: every ONU has its own optical level), so storing a
poll of 2,048 ONUs would take dozens of queries, more with every ONU.  These
helpers send each column as one array and let PostgreSQL ``unnest`` them: one
INSERT or one UPDATE for any number of rows.  Only for columns no stored
computed field depends on; the caller invalidates the ORM cache afterwards.
"""

from odoo.tools import SQL

#: the array types the helpers accept (the cast also checks each value)
SQL_TYPES = frozenset({"int4", "float8", "text", "bool", "timestamp", "varchar"})


def _arrays(columns, rows):
    for _name, kind in columns:
        if kind not in SQL_TYPES:
            raise ValueError(f"unsupported column type {kind!r}")
    return [
        SQL(f"%s::{kind}[]", [row[index] for row in rows])  # kind is one of SQL_TYPES
        for index, (_name, kind) in enumerate(columns)
    ]


def bulk_insert(cr, table, columns, rows, returning=("id",)):
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one statement.

    :param columns: ``[(name, sql_type), ...]``, e.g. ``[("olt_id", "int4"), ("rx_power", "float8")]``
    :return: the ``returning`` columns of the new rows, as tuples (match them on
        a key column: PostgreSQL does not promise the order of RETURNING)
    """
    if not rows:
        return []
    names = SQL(", ").join(SQL.identifier(name) for name, _kind in columns)
    cr.execute(
        SQL(
            "INSERT INTO %s (%s) SELECT * FROM unnest(%s) RETURNING %s",
            SQL.identifier(table),
            names,
            SQL(", ").join(_arrays(columns, rows)),
            SQL(", ").join(SQL.identifier(name) for name in returning),
        )
    )
    return cr.fetchall()


def bulk_update(cr, table, columns, rows, key=("id", "int4")):
    """Set ``columns`` of many rows of ``table``, each row its own values, in one statement.

    :param rows: tuples ``(key value, value of column 1, ...)``
    :return: the number of rows updated
    """
    if not rows:
        return 0
    all_columns = [key, *columns]
    cr.execute(
        SQL(
            "UPDATE %s AS t SET %s FROM unnest(%s) AS v(%s) WHERE t.%s = v.%s",
            SQL.identifier(table),
            SQL(", ").join(SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name)) for name, _kind in columns),
            SQL(", ").join(_arrays(all_columns, rows)),
            SQL(", ").join(SQL.identifier(name) for name, _kind in all_columns),
            SQL.identifier(key[0]),
            SQL.identifier(key[0]),
        )
    )
    return cr.rowcount
