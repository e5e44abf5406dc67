"""Every export path, found rather than listed: each refuses staff without the export
permission and logs each export it makes.

An export path is any admin action whose answer is a file download, and any URL whose
name mentions "export". A new one added without going through orgs.exports fails here.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from orgs.models import ExportRecord
from tests.conftest import staff_login
from tests.factories import JobFactory, SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db

KNOWN_EXPORTS = {
    ("petitions.Petition", "export_signatures"),
    ("petitions.Signature", "export_csv"),
}


@pytest.fixture
def superuser(roles):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def everything_but_export(roles):
    """A staff account holding every permission there is, except exporting."""
    user = UserFactory(username="almost-everything")
    user.user_permissions.set(Permission.objects.exclude(codename="export_personal_data"))
    return user


@pytest.fixture(autouse=True)
def _signatures(petition):
    SignatureFactory.create_batch(2, petition=petition, state="confirmed")
    JobFactory()


def _request(user):
    request = RequestFactory().post("/staff/")
    request.user = user
    request._messages = CookieStorage(request)
    return request


def _is_download(response) -> bool:
    return bool(
        response is not None
        and (
            getattr(response, "streaming", False)
            or "attachment" in response.get("Content-Disposition", "")
            or response.get("Content-Type", "").startswith("text/csv")
        )
    )


def _read(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _every_admin_action():
    tables = set(connection.introspection.table_names())
    for model, model_admin in admin.site._registry.items():
        if model._meta.db_table not in tables:
            continue  # a page with no table behind it (django-rq's dashboard): no rows
        for function, name, _ in model_admin._get_base_actions():
            yield model, model_admin, function, name


def _export_actions(superuser):
    """The admin actions that answer a superuser with a download."""
    found = []
    for model, model_admin, function, name in _every_admin_action():
        response = function(model_admin, _request(superuser), model._default_manager.all())
        if _is_download(response):
            _read(response)  # an export is logged as finished once it has all gone out
            found.append((model, model_admin, function, name))
    return found


def test_every_export_action_is_found(superuser):
    found = {(model._meta.label, name) for model, _, _, name in _export_actions(superuser)}

    assert found >= KNOWN_EXPORTS


def test_every_export_action_logs_each_export(superuser):
    before = ExportRecord.objects.count()

    exports = _export_actions(superuser)

    assert ExportRecord.objects.count() == before + len(exports)
    assert set(ExportRecord.objects.values_list("user__username", flat=True)) == {"root"}
    assert not ExportRecord.objects.exclude(outcome="finished").exists()


def test_every_export_action_refuses_staff_without_the_export_permission_itself(
    superuser, everything_but_export
):
    exports = _export_actions(superuser)
    ExportRecord.objects.all().delete()  # the test's own set-up, not the staff area

    for model, model_admin, function, name in exports:
        request = _request(everything_but_export)
        with pytest.raises(PermissionDenied):
            function(model_admin, request, model._default_manager.all())
        assert not ExportRecord.objects.exists(), f"{model._meta.label}.{name} logged anyway"


def test_no_export_action_is_offered_to_staff_without_the_export_permission(
    superuser, everything_but_export
):
    exports = _export_actions(superuser)
    request = _request(everything_but_export)

    for model, model_admin, _, name in exports:
        assert name not in model_admin.get_actions(request), f"{model._meta.label}.{name}"


def test_posting_an_export_action_directly_gets_no_file(superuser, everything_but_export):
    exports = _export_actions(superuser)
    ExportRecord.objects.all().delete()
    client = Client()
    staff_login(client, everything_but_export)

    for model, _, _, name in exports:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        pks = list(model._default_manager.values_list("pk", flat=True))
        response = client.post(url, {"action": name, "_selected_action": pks})

        assert not _is_download(response), f"{model._meta.label}.{name}"
    assert not ExportRecord.objects.exists()


def _url_patterns(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _url_patterns(pattern.url_patterns, prefix + namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name, pattern


def _reverse(name, pattern, petition):
    values = {"int": petition.pk, "str": petition.slug, "slug": petition.slug}
    converters = pattern.pattern.converters
    kwargs = {
        key: values.get(type(converter).__name__.replace("Converter", "").lower(), "1")
        for key, converter in converters.items()
    }
    # A workspace route's petition is named `pk` by the include above it, which the
    # pattern's own converters do not list.
    for arguments in (kwargs, {**kwargs, "pk": petition.pk}):
        try:
            return reverse(name, kwargs=arguments)
        except NoReverseMatch:
            continue
    return None


def test_no_url_named_for_export_hands_a_file_to_staff_without_the_permission(
    everything_but_export, petition
):
    client = Client()
    staff_login(client, everything_but_export)
    named = [
        (name, pattern)
        for name, pattern in _url_patterns(get_resolver().url_patterns)
        if "export" in name.lower()
    ]

    for name, pattern in named:
        url = _reverse(name, pattern, petition)
        assert url, f"cannot build a URL for {name}: teach _reverse its arguments"
        for method in (client.get, client.post):
            assert not _is_download(method(url)), f"{name} gave a file"
    assert not ExportRecord.objects.filter(user=everything_but_export).exists()
