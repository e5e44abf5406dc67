"""Indexes for the staff workspace's signature list, on PostgreSQL only.

Each index costs every signature's insert, so there are as few as the pages need:

* signature_staff_list (petition_id, id) INCLUDE (state, country, channel, created_at):
  one petition's signatures newest first, page by page, and the latest signers. The
  included columns let a filter on state, country, channel or date be checked in the
  index alone (an index-only scan), so a filter that matches nothing reads the index,
  not a million table rows.
* signature_staff_first_name, signature_staff_last_name: lower(name) with
  text_pattern_ops, so "starts with" is a range in the index. The last-name index also
  holds the first name, so "Grace Lov" (first name "grace", last name from "lov") is
  decided in the index instead of fetching every Lovelace and Lovato from the table.
* signature_staff_email_gone (petition_id, email_key) for rows no longer live: with the
  live-key constraint's index, a search by email finds a signature in any state. New
  signatures are pending, so this one costs the sign path nothing.

Built CONCURRENTLY (so not in a transaction), which lets signing go on while they build.
SQLite gets none of them: it has no INCLUDE or operator classes, and its signature
pages scan instead (fine at the sizes SQLite installations hold). They are not in the
model's Meta for the same reason: the model state stays the same on both databases.
"""

from django.db import migrations

INDEXES = {
    "signature_staff_list": "(petition_id, id) INCLUDE (state, country, channel, created_at)",
    "signature_staff_first_name": "(petition_id, lower(first_name) text_pattern_ops)",
    "signature_staff_last_name": (
        "(petition_id, lower(last_name) text_pattern_ops, lower(first_name) text_pattern_ops)"
    ),
    "signature_staff_email_gone": (
        "(petition_id, email_key) WHERE state NOT IN ('pending', 'confirmed')"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON petitions_signature {definition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("petitions", "0008_petition_workspace_fields"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
