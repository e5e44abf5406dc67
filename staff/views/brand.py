"""Organisation and brand: the name, colour, logo, sender and contacts pages and emails use."""

from email.utils import parseaddr

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from orgs.brand import BrandRefused, organisation_brand_update, organisation_logo_set
from orgs.brand_forms import BrandForm, LogoForm
from orgs.models import Organisation
from staff.access import staff_view

PERMISSION = "orgs.change_organisation"


def _page(request, organisation, *, form=None, logo_form=None, status=200):
    # The form works on its own copy: a refused form must not rename the page's header.
    form = form or BrandForm(instance=Organisation.objects.get(pk=organisation.pk))
    logo_form = logo_form or LogoForm()
    return render(
        request,
        "staff/brand/show.html",
        {
            "organisation": organisation,
            "form": form,
            "logo_form": logo_form,
            "from_address": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        },
        status=status,
    )


def _organisation():
    return Organisation.objects.current()


@staff_view(PERMISSION)
@require_http_methods(["GET", "HEAD", "POST"])
def brand_show(request):
    organisation = _organisation()
    if organisation is None:
        return render(request, "staff/brand/none.html")
    if request.method != "POST":
        return _page(request, organisation)
    form = BrandForm(request.POST, instance=Organisation.objects.get(pk=organisation.pk))
    if form.is_valid():
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            organisation_brand_update(organisation=organisation, data=data, by=request.user)
        except BrandRefused as refused:
            for field, errors in refused.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request, _("Saved. Public pages and emails show the change within a minute.")
            )
            return redirect("staff:brand")
    return _page(request, organisation, form=form, status=400)


@staff_view(PERMISSION)
@require_http_methods(["GET", "HEAD", "POST"])
def brand_logo(request):
    """POST: a new logo, or `remove`. GET: the page the form is on."""
    organisation = _organisation()
    if request.method != "POST" or organisation is None:
        return redirect("staff:brand")
    if request.POST.get("remove"):
        organisation_logo_set(organisation=organisation, logo=None, by=request.user)
        messages.success(
            request,
            _("Logo removed. Public pages and emails show the name instead within a minute."),
        )
        return redirect("staff:brand")
    logo_form = LogoForm(request.POST, request.FILES)
    if not logo_form.is_valid():
        return _page(request, organisation, logo_form=logo_form, status=400)
    organisation_logo_set(
        organisation=organisation, logo=logo_form.cleaned_data["logo"], by=request.user
    )
    messages.success(request, _("Logo saved. Public pages and emails show it within a minute."))
    return redirect("staff:brand")
