"""The migrations describe the models: a model change without its migration fails the suite."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_every_model_change_has_its_migration():
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
    except SystemExit:
        pytest.fail(
            "The models and the migrations disagree; run `manage.py makemigrations`:\n"
            + output.getvalue()
        )
