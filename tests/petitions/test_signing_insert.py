"""petitions.signing_insert: statements built from the models, through Django's cursor."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs.models import Job
from petitions import signing_insert
from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data


def _field(name, field):
    field.set_attributes_from_name(name)
    return field


def test_the_job_row_holds_every_job_column_but_the_payload():
    now = timezone.now()

    values = signing_insert.job_values(kind="signature_submitted", now=now)

    columns = {f.attname for f in Job._meta.concrete_fields if not f.primary_key}
    assert set(values) == columns - {"payload"}
    assert values["kind"] == "signature_submitted"
    assert values["state"] == Job.State.DUE
    assert values["run_after"] == values["created_at"] == now


def test_a_new_job_column_with_a_default_reaches_the_job_row_without_an_edit():
    fields = [*signing_insert.job_fields(), _field("priority", models.IntegerField(default=7))]

    values = signing_insert.job_values(kind="k", now=timezone.now(), fields=fields)

    assert values["priority"] == 7


def test_a_new_job_column_signing_cannot_fill_stops_it_with_a_message_naming_it():
    fields = [*signing_insert.job_fields(), _field("priority", models.IntegerField())]

    with pytest.raises(ImproperlyConfigured, match="Job.priority has no default"):
        signing_insert.job_values(kind="k", now=timezone.now(), fields=fields)


def test_the_conflict_condition_is_the_constraints_and_names_the_live_states():
    [constraint] = [
        c for c in Signature._meta.constraints if c.name == "one_live_signature_per_email_key"
    ]

    assert constraint.condition == Q(state__in=Signature.LIVE_STATES)
    sql = signing_insert.live_condition_sql()
    for state in Signature.State.values:
        assert (f"'{state}'" in sql) == (state in Signature.LIVE_STATES)


@pytest.mark.django_db
def test_the_insert_goes_through_djangos_cursor_where_query_tools_see_it(petition):
    with CaptureQueriesContext(connection) as queries:
        signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    inserts = [q["sql"] for q in queries if f"INSERT INTO {Signature._meta.db_table}" in q["sql"]]
    assert len(inserts) == 1
    assert Job._meta.db_table in "".join(q["sql"] for q in queries)
