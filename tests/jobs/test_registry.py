"""jobs.registry: apps declare their job kinds and loops; a clash stops start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from jobs import registry

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(registry, "KINDS", {})
    monkeypatch.setattr(registry, "LOOPS", {})


def test_the_apps_own_job_kinds_and_loops_are_found_at_start_up():
    kinds = {kind: handler.__module__ for kind, handler in registry.KINDS.items()}
    loops = {name: loop.run.__module__ for name, loop in registry.LOOPS.items()}

    assert kinds == {
        "signature_submitted": "petitions.jobs",
        "send_confirmation": "petitions.jobs",
        "signature_confirmed": "petitions.jobs",
        "petition_recount": "petitions.jobs",
        "bulk_action_run": "petitions.jobs",
        "member_optin_send": "petitions.jobs",
        "staff_invitation_mail": "staff.jobs",
        "member_import_run": "staff.jobs",
        "rights_request": "rights.jobs",
        "delivery_pack_run": "delivery.jobs",
        "delivery_milestone_mail": "delivery.milestones",
        "webhook_deliver": "api.jobs",
    }
    assert loops == {
        "jobs_prune": "jobs.services",
        "counts_fold": "petitions.counting",
        "mail_allowances_prune": "petitions.services.mail_ceiling",
        "pending_images_prune": "petitions.pending_images",
        "visits_fold": "petitions.visits",
        "member_imports_prune": "members.imports",
        "member_imports_settle": "staff.jobs",
        "mailings_advance": "mailings.jobs",
        "rights_retention": "rights.jobs",
        "delivery_packs_prune": "delivery.packs",
        "delivery_milestones_check": "delivery.milestones",
        "webhook_deliveries_prune": "api.jobs",
    }
    drainers = {name: drain.__module__ for name, drain in registry.DRAINERS.items()}
    assert drainers == {"mailing_recipients": "mailings.jobs"}


def test_a_kind_registered_twice_is_an_error(clean_registry):
    @registry.job_kind("welcome")
    def welcome(payload):
        pass

    with pytest.raises(ImproperlyConfigured, match="'welcome' is registered twice"):

        @registry.job_kind("welcome")
        def another_welcome(payload):
            pass

    assert registry.KINDS["welcome"] is welcome


def test_a_loop_registered_twice_is_an_error(clean_registry):
    registry.periodic("tidy", every=60)(lambda: 0)

    def tidy_differently():
        return 0

    with pytest.raises(ImproperlyConfigured, match="'tidy' is registered twice"):
        registry.periodic("tidy", every=5)(tidy_differently)


def test_the_same_function_imported_again_is_not_a_clash(clean_registry):
    def welcome(payload):
        pass

    registry.job_kind("welcome")(welcome)
    registry.job_kind("welcome")(welcome)

    assert {"welcome": welcome} == registry.KINDS


def test_an_app_that_claims_another_apps_kind_stops_chorus_from_starting(tmp_path):
    (tmp_path / "clash").mkdir()
    (tmp_path / "clash" / "__init__.py").write_text("")
    (tmp_path / "clash" / "jobs.py").write_text(
        "from jobs.registry import job_kind\n\n"
        "@job_kind('signature_submitted')\n"
        "def hijack(payload):\n"
        "    pass\n"
    )
    (tmp_path / "clash_settings.py").write_text(
        "from chorus.settings import *  # noqa\nINSTALLED_APPS = [*INSTALLED_APPS, 'clash']\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "clash_settings",
        "DEBUG": "1",
        "SECRET_KEY": "test-secret",
        "IP_HASH_KEY": "test-ip-key",
    }

    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert "'signature_submitted' is registered twice" in started.stderr
