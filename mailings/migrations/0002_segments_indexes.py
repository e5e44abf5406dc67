"""Indexes that keep a segment's count fast on a million members, on PostgreSQL only.

Measured with bench/segments.py (1,000,000 members; docs/mailings.md has the figures):

* segment_signature_petition (petition_id, member_id), live signatures linked to a member:
  "signed petition X" reads one petition's signers from the index alone, in member order,
  instead of every signature of every petition. The sign path never writes it: a new
  signature has no member yet (petitions.jobs links it later, where the older
  petitions_signature_by_member index is written too).
* segment_signature_recent (created_at, member_id), the same rows: "signed in the last N
  days" reads the last N days only.
* segment_member_language and segment_member_joined: language and join date per
  organisation; members are written by the worker and imports, never by signing.
* segment_recipient_clicked (mailing_id, member_id) for recipients who clicked: written
  once per recipient, at the first click.

Built CONCURRENTLY (so not in a transaction), so signing and sending go on while they
build; not in the models' Meta, as members 0003 and petitions 0009 do, so the model state
is the same on SQLite, which gets none of them.
"""

from django.db import migrations

LIVE = "member_id IS NOT NULL AND state IN ('pending', 'confirmed')"
INDEXES = {
    "segment_signature_petition": f"petitions_signature (petition_id, member_id) WHERE {LIVE}",
    "segment_signature_recent": f"petitions_signature (created_at, member_id) WHERE {LIVE}",
    "segment_member_language": "members_member (organisation_id, language, id)",
    "segment_member_joined": "members_member (organisation_id, created_at, id)",
    "segment_recipient_clicked": (
        "mailings_recipient (mailing_id, member_id) WHERE first_clicked_at IS NOT NULL"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mailings", "0001_mailings"),
        ("members", "0005_member_optin"),
        ("petitions", "0010_signature_comment_hidden"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
