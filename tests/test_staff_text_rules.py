"""Every text column staff can edit keeps to the same rules as the public forms.

A petition's title, target and summary go into page titles, link previews, email subjects
and CSV files; a line break or a bidi override there does harm the same way. The staff
forms are found through the admin registry, so a model or field added later is covered.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import models
from django.test import RequestFactory

CHORUS_APPS = {"orgs", "members", "petitions", "jobs"}


def _staff_admins():
    """Each Chorus admin and inline, as classes: building their forms needs the database."""
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label in CHORUS_APPS:
            yield model, model_admin, None
            for inline in model_admin.inlines:
                yield inline.model, model_admin, inline


def _text_columns(kind):
    for model, model_admin, inline in _staff_admins():
        shown_by = inline or model_admin
        hidden = set(shown_by.readonly_fields or ()) | set(shown_by.exclude or ())
        for column in model._meta.get_fields():
            if not getattr(column, "editable", False) or column.name in hidden:
                continue
            one_line = isinstance(column, models.CharField) and not column.choices
            if (kind == "one line" and one_line) or (
                kind == "several lines" and isinstance(column, models.TextField)
            ):
                yield pytest.param(
                    model_admin, inline, column.name, id=f"{model.__name__}.{column.name}"
                )


def _form(model_admin, inline):
    request = RequestFactory().get("/")
    request.user = User(is_staff=True, is_superuser=True)
    if inline is None:
        return model_admin.get_form(request)
    return inline(model_admin.model, admin.site).get_formset(request).form


ONE_LINE = list(_text_columns("one line"))
SEVERAL_LINES = list(_text_columns("several lines"))


def test_the_columns_that_matter_most_are_among_those_checked():
    checked = {p.id for p in ONE_LINE + SEVERAL_LINES}

    assert {"Petition.title", "Petition.target", "Petition.summary", "Petition.image_alt"} <= (
        checked
    )
    assert {"Source.title", "Source.publisher", "Update.title", "Organisation.name"} <= checked
    assert {"Petition.story", "Update.body", "Organisation.postal_address"} <= checked


@pytest.mark.django_db
@pytest.mark.parametrize(("model_admin", "inline", "name"), ONE_LINE)
@pytest.mark.parametrize("hostile", ["Tom\r\nBcc: x", "Tom\u2028Jerry", "\u202eTom", "T\u200bom"])
def test_every_one_line_staff_column_refuses_line_breaks_and_hidden_characters(
    model_admin, inline, name, hostile
):
    form_class = _form(model_admin, inline)
    assert name in form_class.base_fields
    form = form_class(data={name: hostile})

    assert not form.is_valid()
    assert name in form.errors


@pytest.mark.django_db
@pytest.mark.parametrize(("model_admin", "inline", "name"), SEVERAL_LINES)
def test_every_several_line_staff_column_keeps_paragraphs_but_refuses_hidden_characters(
    model_admin, inline, name
):
    form_class = _form(model_admin, inline)
    assert name in form_class.base_fields
    paragraphs = form_class(data={name: "First.\r\n\r\nSecond."})
    paragraphs.is_valid()
    hidden = form_class(data={name: "First.\n\u202eSecond."})

    assert name not in paragraphs.errors
    assert paragraphs.cleaned_data[name] == "First.\n\nSecond."
    assert not hidden.is_valid()
    assert name in hidden.errors
