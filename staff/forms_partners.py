"""Forms of the Partners section (staff/views/partners.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from lib.forms import SingleLineField
from partners.models import Partner
from staff.labels import translated_choices


class PartnerForm(forms.ModelForm):
    name = SingleLineField(max_length=200, label=_("Name"))
    slug = forms.SlugField(
        max_length=60,
        label=_("Short name"),
        help_text=_("Letters, digits and hyphens. Public: it appears in the widget and the API."),
    )
    website = forms.URLField(
        max_length=200, required=False, assume_scheme="https", label=_("Website")
    )

    class Meta:
        model = Partner
        fields = ["name", "slug", "website"]

    def clean_slug(self):
        slug = self.cleaned_data["slug"].lower()
        if Partner.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("Another partner has this short name."))
        return slug


class TokenForm(forms.Form):
    name = SingleLineField(
        max_length=100,
        label=_("What is it for?"),
        help_text=_("For example “website sign-up form”, to tell tokens apart."),
    )
    scopes = forms.MultipleChoiceField(
        choices=translated_choices(ApiToken.Scope.choices),
        initial=[ApiToken.Scope.SIGNATURES_WRITE],
        widget=forms.CheckboxSelectMultiple,
        label=_("What it may do"),
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        max_length=500,
        label=_("Address (URL)"),
        help_text=_("Where Chorus posts each confirmed signature the partner brought: https://…"),
        assume_scheme="https",
    )
