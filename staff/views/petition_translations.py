"""A petition's translations in the workspace: its text in each other language."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from lib.i18n import same_language
from petitions.models import PetitionTranslation
from petitions.services import petition_translation_delete, petition_translation_save
from staff.access import staff_view
from staff.forms_petition_tabs import PetitionTranslationForm
from staff.views.petition_tabs import petition_for, tab_context


def _other_languages(petition) -> list[tuple[str, str]]:
    """The site's languages but the petition's own (its own fields are that version)."""
    return [(c, n) for c, n in settings.LANGUAGES if not same_language(c, petition.language)]


def _language_name(petition, language: str) -> str:
    """The language's name, or a 404 for one the site does not have or the petition's own."""
    names = dict(_other_languages(petition))
    if language not in names:
        raise Http404("No such language for this petition")
    return names[language]


@staff_view("petitions.view_petition")
@require_safe
def translation_list(request, pk: int):
    petition = petition_for(pk)
    written = {t.language: t for t in petition.translations.all()}
    rows = [
        {"code": code, "name": name, "translation": written.get(code)}
        for code, name in _other_languages(petition)
    ]
    own = dict(settings.LANGUAGES).get(petition.language, petition.language)
    context = tab_context(petition, "translations", rows=rows, own_language=own)
    return render(request, "staff/petition_tabs/translations.html", context)


@staff_view("petitions.change_petitiontranslation")
def translation_edit(request, pk: int, language: str):
    petition = petition_for(pk)
    name = _language_name(petition, language)
    existing = PetitionTranslation.objects.filter(petition=petition, language=language).first()
    form = PetitionTranslationForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        petition_translation_save(
            petition=petition, language=language, data=form.cleaned_data, by=request.user
        )
        messages.success(request, _("Saved the %(language)s text.") % {"language": name})
        return redirect("staff:petition_translations", pk=petition.pk)
    status = 400 if form.is_bound and form.errors else 200
    context = tab_context(
        petition,
        "translations",
        form=form,
        language=language,
        language_name=name,
        existing=existing,
    )
    return render(request, "staff/petition_tabs/translation_form.html", context, status=status)


@staff_view("petitions.delete_petitiontranslation")
def translation_delete(request, pk: int, language: str):
    petition = petition_for(pk)
    name = _language_name(petition, language)
    if request.method == "POST":
        if petition_translation_delete(petition=petition, language=language, by=request.user):
            messages.success(request, _("Deleted the %(language)s text.") % {"language": name})
        return redirect("staff:petition_translations", pk=petition.pk)
    context = tab_context(petition, "translations", language=language, language_name=name)
    return render(request, "staff/petition_tabs/translation_delete.html", context)
