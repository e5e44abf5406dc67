"""Signatures as CSV files, through the one export seam (orgs.exports).

The admin's export actions and the workspace's Export tab both call
`signatures_export_response`, so the columns and the log entry are the same whichever
door the file leaves by.
"""

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
]


def signatures_export_response(
    request, queryset, *, what: str, scope: str, filename: str = "signatures.csv"
):
    """The signatures in `queryset` as a CSV download, oldest first."""
    rows = queryset.order_by("id").values_list(*EXPORT_COLUMNS).iterator(2000)
    return personal_data_csv_response(
        user=request.user,
        what=what,
        scope=scope,
        columns=EXPORT_COLUMNS,
        rows=rows,
        filename=filename,
    )
