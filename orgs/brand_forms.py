"""The brand's forms: the workspace's two (text and colour; logo) and the operators' admin.

The logo has a form of its own, saved as soon as it is chosen, so a refused name or
colour never costs an upload that passed its checks.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from lib.forms import CleanImageField, CleanModelForm
from lib.images import ImageRefused
from orgs.brand import BRAND_FIELDS, brand_colour_problem, logo_prepare
from orgs.models import Organisation


class BrandColourField(forms.CharField):
    """A colour as #rrggbb (#rgb and a missing # are understood) that passes the AA rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value).strip().lower()
        if value and not value.startswith("#"):
            value = "#" + value
        if len(value) == 4:
            value = "#" + "".join(c * 2 for c in value[1:])
        return value

    def validate(self, value):
        super().validate(value)
        problem = brand_colour_problem(value)
        if problem:
            raise forms.ValidationError(problem, code="colour")


class LogoField(CleanImageField):
    """An image re-encoded from its pixels and scaled to the logo's box (orgs.brand)."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        try:
            return logo_prepare(upload)
        except ImageRefused as refused:
            raise forms.ValidationError(refused.message, code=refused.code) from None


class _OrganisationForm(CleanModelForm):
    website = forms.URLField(
        label=_("Website"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("Your organisation's own site."),
    )


class BrandForm(_OrganisationForm):
    class Meta:
        model = Organisation
        fields = list(BRAND_FIELDS)
        field_classes = {"primary_colour": BrandColourField}
        labels = {
            "name": _("Organisation name"),
            "logo_alt": _("Logo description"),
            "primary_colour": _("Brand colour"),
            "sender_name": _("Sender name"),
            "privacy_email": _("Privacy contact"),
            "postal_address": _("Postal address"),
        }
        help_texts = {
            "name": _("Shown at the top of every public page and in page titles."),
            "logo_alt": (
                _(
                    "Read out by screen readers in place of the logo, and shown when an email "
                    "program hides images. Leave empty to use the organisation's name."
                )
            ),
            "primary_colour": (
                _(
                    "Buttons, links, the signature count and the page header, as # and six "
                    "letters or digits. It must pass WCAG AA contrast: 4.5:1 for its text and "
                    "as text on white."
                )
            ),
            "sender_name": (
                _(
                    "The name emails come from, such as “Open Faces petitions”. Leave empty to "
                    "use the organisation's name."
                )
            ),
            "postal_address": (
                _("Printed at the foot of every email and public page, as anti-spam law asks.")
            ),
            "privacy_email": (
                _(
                    "Where people write about their data: a copy of it, a correction, erasure. "
                    "Shown on every public page and email."
                )
            ),
        }
        widgets = {
            "postal_address": forms.Textarea(attrs={"rows": 4}),
            "primary_colour": forms.TextInput(
                attrs={
                    "spellcheck": "false",
                    "autocapitalize": "none",
                    "autocomplete": "off",
                }
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy_email"].widget.attrs["autocomplete"] = "email"
        self.fields["postal_address"].widget.attrs["autocomplete"] = "street-address"


class LogoForm(forms.Form):
    logo = LogoField(
        label=_("Image file"),
        error_messages={
            "required": _("Choose an image file for the logo, then press Upload."),
            "empty": _("The file you chose is empty. Please choose the logo's image file."),
        },
        help_text=(
            _(
                "A PNG, JPEG, WebP or GIF of up to 8 MB; a PNG with a transparent background "
                "works best. It is shown about 40 pixels high, on a white tile, and scaled down "
                "to fit 800 × 240 pixels. SVG is not accepted."
            )
        ),
    )


class OrganisationAdminForm(_OrganisationForm):
    """The operators' admin keeps to the same rules for the colour and the logo."""

    class Meta:
        model = Organisation
        fields = "__all__"
        field_classes = {"primary_colour": BrandColourField, "logo": LogoField}
