"""Migration 0003 turns the old "subscribed" box into a status without losing anyone."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

AFTER = [("members", "0003_member_subscription")]


def _before(executor) -> list[tuple[str, str]]:
    """Members before 0003, every other app as it is now (the tables really are), except
    mailings, which stands on the members of today and so is unapplied meanwhile."""
    above = {"members", "mailings"}
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in above]
    return [("members", "0002_initial"), ("mailings", None), *others]


@pytest.fixture
def old_register(transactional_db):
    executor = MigrationExecutor(connection)
    before = _before(executor)
    executor.migrate(before)
    apps = executor.loader.project_state([node for node in before if node[1]]).apps
    organisation = apps.get_model("orgs", "Organisation").objects.create(
        name="Org", postal_address="1 Street", privacy_email="p@example.org"
    )
    Member = apps.get_model("members", "Member")

    def member(email, subscribed):
        return Member.objects.create(
            organisation=organisation,
            email=email,
            email_key=email,
            first_name="A",
            last_name="B",
            country="GB",
            subscribed=subscribed,
        )

    agreed = member("agreed@example.org", True)
    apps.get_model("members", "ConsentRecord").objects.create(
        member=agreed,
        action="granted",
        wording="Email me.",
        wording_version="v1",
        source="/p/x/",
        at=datetime(2026, 5, 1, tzinfo=UTC),
    )
    member("never@example.org", False)
    yield
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())


def test_a_ticked_box_becomes_subscribed_since_the_consent_and_an_empty_one_not_subscribed(
    old_register,
):
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    Member = executor.loader.project_state(AFTER).apps.get_model("members", "Member")

    statuses = {m.email: (m.status, m.status_changed_at) for m in Member.objects.order_by("email")}

    assert statuses == {
        "agreed@example.org": ("subscribed", datetime(2026, 5, 1, tzinfo=UTC)),
        "never@example.org": ("none", None),
    }
