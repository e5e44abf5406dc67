"""Signatures as CSV files, through the one export seam (orgs.exports).

The admin's export actions and the workspace's Export tab both call
`signatures_export_response`, so the columns and the log entry are the same whichever
door the file leaves by. Every CSV Chorus writes is UTF-8 with a byte-order mark and
CRLF line ends, its cells formula-safe (orgs.exports, lib.csvsafe), named after its
petition and day: Excel and LibreOffice open it with every accent intact.
"""

from django.utils import timezone

from lib.keyset import keyset_rows
from lib.replica import reads_may_lag
from orgs.exports import personal_data_csv_response

EXPORT_COLUMNS = [
    "created_at",
    "confirmed_at",
    "state",
    "first_name",
    "last_name",
    "email",
    "country",
    "postcode",
    "comment",
    "show_name",
    "opt_in",
    "channel",
    # The petition's slug on every row, so a file names its petition wherever it goes
    # (an admin export may hold several petitions).
    "petition",
]
# The signature field each column is read from, where the two differ.
COLUMN_FIELDS = {"petition": "petition__slug"}


def signatures_export_response(request, queryset, *, what: str, scope: str, filename: str = ""):
    """The signatures in `queryset` as a CSV download, oldest first."""
    filename = filename or f"signatures-{timezone.now().date().isoformat()}.csv"
    fields = [COLUMN_FIELDS.get(column, column) for column in EXPORT_COLUMNS]
    with reads_may_lag():  # the rows only; the export's record is written to the primary
        rows = keyset_rows(queryset, fields)
    return personal_data_csv_response(
        user=request.user,
        what=what,
        scope=scope,
        columns=EXPORT_COLUMNS,
        rows=rows,
        filename=filename,
    )
