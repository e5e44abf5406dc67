"""Members get a subscription status (with when and why), a language, a suppression list
and consent rules per country; the consent ledger names its source.

The old boolean becomes the status: True -> subscribed (since their latest consent);
False -> "not subscribed", or "unsubscribed" for a member whose latest ledger entry is a
withdrawal (none existed before this migration, but the rule is the honest one).

On PostgreSQL only, the workspace's member list gets its indexes (as the signatures'
0009 does), and signatures get a partial index by member for a member's history. Built
inside the migration's transaction (not CONCURRENTLY): members are written by the
worker, never by the sign path, and the signature index skips every row signing inserts
(their member is not set yet).
"""

import django.db.models.deletion
import django_countries.fields
from django.conf import settings
from django.db import migrations, models


INDEXES = {
    "members_member_staff_list": (
        "members_member (organisation_id, id) INCLUDE (status, country, created_at)"
    ),
    "members_member_staff_first_name": (
        "members_member (organisation_id, lower(first_name) text_pattern_ops)"
    ),
    "members_member_staff_last_name": (
        "members_member (organisation_id, lower(last_name) text_pattern_ops, "
        "lower(first_name) text_pattern_ops)"
    ),
    # A filter by subscription or country walks only the members it names, not the whole
    # register; the first is also where a mailing's recipients (the subscribed) are found.
    "members_member_staff_status": "members_member (organisation_id, status, id)",
    "members_member_staff_country": (
        "members_member (organisation_id, country, id) INCLUDE (status, created_at)"
    ),
    "petitions_signature_by_member": (
        "petitions_signature (member_id, id) WHERE member_id IS NOT NULL"
    ),
}


def statuses_from_boolean(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    ConsentRecord = apps.get_model("members", "ConsentRecord")
    for member in Member.objects.filter(subscribed=True).iterator():
        latest = ConsentRecord.objects.filter(member=member).order_by("-at").first()
        member.status = "subscribed"
        member.status_changed_at = latest.at if latest else member.updated_at
        member.save(update_fields=["status", "status_changed_at"])
    for member in Member.objects.filter(subscribed=False).iterator():
        latest = ConsentRecord.objects.filter(member=member).order_by("-at").first()
        if latest is not None and latest.action == "withdrawn":
            member.status = "unsubscribed"
            member.status_changed_at = latest.at
            member.save(update_fields=["status", "status_changed_at"])


def boolean_from_statuses(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Member.objects.filter(status="subscribed").update(subscribed=True)


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0002_initial"),
        ("orgs", "0003_invitation"),
        ("petitions", "0003_leaner_signature_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="consentrecord",
            name="by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="consentrecord",
            name="reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="consentrecord",
            name="source_kind",
            field=models.CharField(
                choices=[
                    ("page", "A petition page"),
                    ("mailing", "A mailing"),
                    ("import", "An import"),
                    ("staff", "Staff"),
                ],
                default="page",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="language",
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name="member",
            name="status",
            field=models.CharField(
                choices=[
                    ("none", "Not subscribed"),
                    ("pending", "Awaiting opt-in"),
                    ("subscribed", "Subscribed"),
                    ("unsubscribed", "Unsubscribed"),
                    ("bounced", "Bounced"),
                    ("complained", "Complained"),
                ],
                default="none",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="member",
            name="status_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="member",
            name="status_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.RunPython(statuses_from_boolean, boolean_from_statuses),
        migrations.RemoveField(
            model_name="member",
            name="subscribed",
        ),
        migrations.AlterField(
            model_name="consentrecord",
            name="source",
            field=models.CharField(
                help_text="Where the choice was made: the page, the mailing, the file.",
                max_length=300,
            ),
        ),
        migrations.CreateModel(
            name="CountryConsentRule",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("country", django_countries.fields.CountryField(max_length=2)),
                (
                    "double_opt_in",
                    models.BooleanField(
                        default=True,
                        help_text="A subscription to mailings needs its own confirmed opt-in, even when the petition did not ask signers to confirm their address.",
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=300)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="orgs.organisation"
                    ),
                ),
            ],
            options={
                "ordering": ["country"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organisation", "country"), name="one_consent_rule_per_country"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Suppression",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email_key", models.CharField(max_length=300)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("unsubscribed", "Unsubscribed"),
                            ("bounced", "Bounced"),
                            ("complained", "Complained (marked as spam)"),
                            ("staff", "Suppressed by staff"),
                            ("imported", "Imported suppression list"),
                        ],
                        max_length=12,
                    ),
                ),
                ("at", models.DateTimeField()),
                ("note", models.CharField(blank=True, max_length=300)),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organisation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to="orgs.organisation"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organisation", "email_key"), name="one_suppression_per_email_key"
                    )
                ],
            },
        ),
        migrations.RunPython(indexes_create, indexes_drop, elidable=False),
    ]
