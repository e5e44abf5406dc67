"""Find people by the start of their name, in a way an index can serve.

Lower-cased on both sides. "Starts with" is written as a range (at least "ada", below
"adb") rather than LIKE 'ada%': psycopg prepares repeated statements, and PostgreSQL's
generic plan for a prepared LIKE cannot use an index, while a range can (the
lower(first_name) and lower(last_name) text_pattern_ops indexes of the signatures and
members tables). A range also has no wildcards to escape. "Mary Ann Sm" also matches
first name "Mary Ann" with a last name starting "Sm".
"""

from django.db import models
from django.db.models import Lookup, Q
from django.db.models.functions import Lower


def name_prefix_filter(rows, name: str):
    """`rows` (with first_name and last_name columns) whose name starts with `name`."""
    rows = rows.alias(
        first_lower=Lower("first_name", output_field=_PrefixText()),
        last_lower=Lower("last_name", output_field=_PrefixText()),
    )
    name = " ".join(name.lower().split())
    match = _starts("first_lower", name) | _starts("last_lower", name)
    head, _, tail = name.rpartition(" ")
    if head:
        match |= Q(first_lower=head) & _starts("last_lower", tail)
    return rows.filter(match)


def _starts(column: str, prefix: str) -> Q:
    match = Q(**{f"{column}__prefix_from": prefix})
    after = ord(prefix[-1]) + 1
    if after < 0xD800:  # beyond that, no upper bound: no name needs such characters
        match &= Q(**{f"{column}__prefix_below": prefix[:-1] + chr(after)})
    return match


class _PrefixText(models.TextField):
    """A lower-cased name compared by character code, as text_pattern_ops sorts it,
    whatever the database's collation."""


@_PrefixText.register_lookup
class _PrefixFrom(Lookup):
    lookup_name = "prefix_from"
    operators = {"postgresql": "~>=~"}
    default = ">="  # SQLite compares text by its bytes (BINARY), as ~>=~ does

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        operator = self.operators.get(connection.vendor, self.default)
        return f"{lhs} {operator} {rhs}", [*lhs_params, *rhs_params]


@_PrefixText.register_lookup
class _PrefixBelow(_PrefixFrom):
    lookup_name = "prefix_below"
    operators = {"postgresql": "~<~"}
    default = "<"
