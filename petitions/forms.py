from django import forms
from django.core.files.base import ContentFile
from django.http import QueryDict
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_countries import countries

from lib.addresses import InvalidEmail, UndeliverableEmail, email_normalise
from lib.forms import CleanImageField, CleanModelForm, MultiLineField, SingleLineField
from lib.i18n import language_tag
from petitions.models import EDITABLE_FIELDS, Channel, Petition, Source
from petitions.pending_images import pending_image_find, pending_image_keep

# What Django and form_data() put in place of bytes that are not UTF-8.
REPLACEMENT_CHARACTER = "\ufffd"


def form_data(request) -> QueryDict:
    """The posted fields, with bytes that are not UTF-8 left visible as U+FFFD.

    Django decodes a form body that is not UTF-8 as Latin-1, which turns broken
    input into plausible-looking names; this way the form refuses it, by field.
    """
    if request.content_type != "application/x-www-form-urlencoded":
        return request.POST
    try:
        request.body.decode("utf-8")
    except UnicodeDecodeError:
        return QueryDict(request.body.decode("utf-8", "replace"))
    return request.POST


def _clean_text(value: str) -> str:
    """Refuse what lib.text lets through but a signature must not hold.

    Line breaks, control and format characters and invisible text are refused by the
    fields themselves (lib.forms). The messages do not repeat the field's name: it stands
    above them, and the summary at the top of the form puts it in front of them.
    """
    if REPLACEMENT_CHARACTER in value:
        raise forms.ValidationError(
            _("Some characters did not arrive intact. Please type it again.")
        )
    if "<" in value or ">" in value:
        raise forms.ValidationError(_("Please remove < and >."))
    return value


UNDELIVERABLE_MESSAGE = gettext_noop(
    "This address has characters before the @ that our mail server cannot send to. "
    "Please use an address with only unaccented letters, digits and . _ - + before the @."
)


def _clean_email(value: str, invalid_message: str) -> str:
    value = value.strip()
    if REPLACEMENT_CHARACTER in value:
        raise forms.ValidationError(
            _("Your email address did not arrive intact. Please type it again.")
        )
    try:
        return email_normalise(value)
    except UndeliverableEmail:
        raise forms.ValidationError(_(UNDELIVERABLE_MESSAGE), code="undeliverable") from None
    except InvalidEmail:
        raise forms.ValidationError(invalid_message, code="invalid") from None


COUNTRY_CHOICES = [("", "Choose your country"), *countries]
COUNTRY_CODES = frozenset(code for code, _name in COUNTRY_CHOICES if code)
_country_choices: dict[str, list[tuple[str, str]]] = {}


def country_choices() -> list[tuple[str, str]]:
    """COUNTRY_CHOICES named and sorted in the active language, built once per language."""
    language = translation.get_language() or "en"
    if language not in _country_choices:
        _country_choices[language] = [("", _("Choose your country")), *countries]
    return _country_choices[language]


class CountryCodeField(forms.CharField):
    """A country code from the ISO list.

    A ChoiceField would deep-copy and re-normalise some 250 choices for every
    form built, which showed up as a tenth of the sign path's time under load.
    The template draws the options from `choices`, shared and never copied.
    """

    choices = COUNTRY_CHOICES
    default_error_messages = {"invalid_choice": gettext_lazy("Choose your country from the list.")}

    def __init__(self, **kwargs):
        super().__init__(max_length=2, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value and value not in COUNTRY_CODES:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )


# Computed once: Channel.values walks the enum on every call (an eighth of the sign path).
CHANNELS = frozenset(Channel.values)


class ChannelField(forms.CharField):
    """The share channel a link carried. A tag outside the fixed list is dropped, not refused:
    the signer did nothing wrong, and nobody would see an error on a hidden field."""

    def clean(self, value):
        return value if value in CHANNELS else ""


class HoneypotField(forms.CharField):
    """Left empty by people, filled in by bots; whatever a bot puts there is never refused,
    so it cannot tell the trap from the form."""

    def clean(self, value):
        return str(value or "")


class SignatureForm(forms.Form):
    first_name = SingleLineField(max_length=100, label=gettext_lazy("First name"))
    last_name = SingleLineField(max_length=100, label=gettext_lazy("Last name"))
    email = forms.CharField(max_length=254, label=gettext_lazy("Email"))
    country = CountryCodeField(label=gettext_lazy("Country"))
    postcode = SingleLineField(
        max_length=20, required=False, label=gettext_lazy("Postcode (optional)")
    )
    comment = MultiLineField(
        max_length=1000,
        required=False,
        label=gettext_lazy("Why are you signing? (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    show_name = forms.BooleanField(
        required=False, label=gettext_lazy("Show my name and reason on this petition")
    )
    opt_in = forms.BooleanField(required=False)
    channel = ChannelField(required=False, widget=forms.HiddenInput)
    # Left empty by people; form-filling bots tend to fill it in.
    website = HoneypotField(required=False, label=gettext_lazy("Leave this empty"))

    def clean_first_name(self):
        return _clean_text(self.cleaned_data["first_name"])

    def clean_last_name(self):
        return _clean_text(self.cleaned_data["last_name"])

    def clean_postcode(self):
        value = _clean_text(self.cleaned_data["postcode"])
        if value and not all(c.isalnum() or c in " -" for c in value):
            raise forms.ValidationError(_("Use only letters, digits, spaces and hyphens."))
        return value.upper()

    def clean_comment(self):
        return _clean_text(self.cleaned_data["comment"])

    def clean_email(self):
        return _clean_email(
            self.cleaned_data["email"], _("Enter a valid email address, like name@example.org.")
        )

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


def _field_copy(field: forms.Field) -> forms.Field:
    """What Django's Field.__deepcopy__ makes (the field and its widget copied, their attrs,
    error messages and validators the copy's own), built without copy.copy's reduce
    protocol: the ten copies of every sign form were the largest share of the CPU the sign
    path gained when fields stopped being shared (docs/benchmarks.md). None of these
    fields or widgets has a __deepcopy__ of its own beyond Field's and Widget's.
    """
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    widget = object.__new__(type(field.widget))
    widget.__dict__.update(field.widget.__dict__)
    widget.attrs = dict(field.widget.attrs)
    copied.widget = widget
    copied.error_messages = dict(field.error_messages)
    copied.validators = list(field.validators)
    return copied


class _FieldsCopiedCheaply(dict):
    """The base fields of a form: each form still gets its own copies (see _field_copy)."""

    def __deepcopy__(self, memo):
        return {name: _field_copy(field) for name, field in self.items()}


SignatureForm.base_fields = _FieldsCopiedCheaply(SignatureForm.base_fields)


class ResendForm(forms.Form):
    email = forms.CharField(max_length=254, label=gettext_lazy("Your email"))

    def clean_email(self):
        return _clean_email(self.cleaned_data["email"], _("Enter a valid email address."))


# The page shows the image at most about 700 CSS pixels wide (1,400 device pixels on a
# sharp phone or laptop); link previews ask for 1,200. Anything larger only adds weight.
PETITION_IMAGE_FIT = 1400


class PetitionImageField(CleanImageField):
    """A petition's image: cleaned, and scaled down to PETITION_IMAGE_FIT on its longer side."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, fit=PETITION_IMAGE_FIT, **kwargs)


class PetitionAdminForm(CleanModelForm):
    """The operators' admin form: every column the admin's fieldsets name, the image cleaned."""

    class Meta:
        model = Petition
        fields = "__all__"
        field_classes = {"image": PetitionImageField}

    def clean_language(self):
        return _clean_language(self.cleaned_data["language"])


def _clean_language(value: str) -> str:
    tag = language_tag(value)
    if tag.lower() != value.strip().lower():
        raise forms.ValidationError(
            "Use a language tag such as en, fr or pt-BR.", code="invalid_language"
        )
    return tag


GOAL_MAX = 100_000_000


class PetitionForm(CleanModelForm):
    """The workspace's petition form: what a campaigner writes, never the status.

    Nothing is lost when it is refused: the fields come back as typed, and an image that
    passed its checks is kept (petitions.pending_images) and used by the next submit.
    """

    fixed_goal = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=GOAL_MAX,
        label="Fixed goal",
        help_text="Only for a fixed goal: the number of signatures the campaign aims for.",
        error_messages={
            "invalid": "Enter the goal as a whole number, like 5000.",
            "min_value": "The goal must be at least 1.",
            "max_value": "The goal can be at most 100,000,000.",
        },
    )
    delivery_fields = forms.MultipleChoiceField(
        choices=Petition.DELIVERY_FIELDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="What the target will receive",
        help_text="Which details of each confirmed signer go in the delivery pack. "
        "Email addresses never do.",
    )
    kept_image = forms.CharField(required=False, widget=forms.HiddenInput)
    remove_image = forms.BooleanField(required=False, label="Remove this image")

    class Meta:
        model = Petition
        fields = [
            "title",
            "target",
            "summary",
            "story",
            "image",
            "image_alt",
            "goal_mode",
            "require_confirmation",
            "language",
            "slug",
        ]
        field_classes = {"image": PetitionImageField}
        labels = {
            "title": "The ask",
            "target": "Who can make it happen (the target)",
            "summary": "Summary",
            "story": "The story",
            "image": "Image",
            "image_alt": "Describe the image",
            "goal_mode": "Goal",
            "require_confirmation": "Count a signature only once its email address is confirmed",
            "language": "Language",
            "slug": "Address",
        }
        help_texts = {
            "title": "What you ask for, in one sentence: it is the page's heading.",
            "target": "The person or organisation who decides: a minister, a company, a council.",
            "summary": "One or two sentences, shown in link previews when people share it.",
            "story": "Why it matters. Markdown: **bold**, *italic*, [links](https://…), "
            "lists and ## headings. Other HTML is removed.",
            "image": "JPEG, PNG, WebP or GIF, up to 8 MB. It is re-encoded: camera details "
            "and location are removed.",
            "image_alt": "What the image shows, for people who cannot see it. Required "
            "with an image.",
            "require_confirmation": "Recommended: it keeps fake and mistyped addresses "
            "out of the count.",
            "language": "The language of the page, as a tag such as en, fr or pt-BR.",
            "slug": "The petition's web address: /p/<address>/. Leave empty to make it "
            "from the ask. It can change only while the petition is a draft.",
        }
        widgets = {
            # The current or kept image, and removing it, are drawn by the template.
            "image": forms.FileInput,
            "goal_mode": forms.RadioSelect,
            "story": forms.Textarea(attrs={"rows": 12}),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "title": {
                "required": "Enter the ask: what the petition asks for.",
                "max_length": "Keep the ask to %(limit_value)d characters or fewer "
                "(it has %(show_value)d).",
            },
            "target": {
                "required": "Enter who the petition is addressed to.",
                "max_length": "Keep the target to %(limit_value)d characters or fewer "
                "(it has %(show_value)d).",
            },
            "summary": {
                "required": "Enter a short summary for link previews.",
                "max_length": "Keep the summary to %(limit_value)d characters or fewer "
                "(it has %(show_value)d).",
            },
            "story": {"required": "Tell the story: why this matters."},
            "slug": {
                "unique": "Another petition already uses this address. Choose another.",
                "invalid": "Use only lowercase letters, digits and hyphens, like stop-the-cuts.",
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["summary"].widget.attrs.pop("maxlength", None)
        petition = self.instance
        if petition.pk and petition.status != Petition.Status.DRAFT:
            self.fields["slug"].disabled = True
            self.fields[
                "slug"
            ].help_text = "The petition's web address. It is public now, so it no longer changes."
        if petition.pk:
            self.initial.setdefault("delivery_fields", petition.delivery_fields)
            if petition.goal_mode == Petition.GoalMode.FIXED:
                self.initial.setdefault("fixed_goal", petition.goal)
        else:
            self.initial.setdefault("delivery_fields", ["name", "country"])
        self.kept = None  # a PendingImage carried over from an earlier, refused submit
        self.current_image = petition.image if petition.pk and petition.image else None

    def clean_language(self):
        return _clean_language(self.cleaned_data["language"])

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        return slug.strip().lower() if slug else slug

    def clean(self):
        cleaned = super().clean()
        fixed = cleaned.get("goal_mode") == Petition.GoalMode.FIXED
        if fixed and not cleaned.get("fixed_goal") and "fixed_goal" not in self.errors:
            self.add_error("fixed_goal", "Enter the goal, or choose an automatic goal.")
        removing = cleaned.get("remove_image")
        upload = self._new_upload()
        if not upload and not removing:
            self.kept = pending_image_find(cleaned.get("kept_image", ""))
        has_image = bool(upload or self.kept or (self.current_image and not removing))
        if has_image and not cleaned.get("image_alt") and "image_alt" not in self.errors:
            self.add_error(
                "image_alt", "Describe the image for people who cannot see it (required)."
            )
        return cleaned

    def image_keep(self) -> None:
        """On a refused form: keep a newly uploaded, cleaned image for the next submit."""
        image = self._new_upload()
        if image:
            upload = self.files.get(self.add_prefix("image"))
            self.kept = pending_image_keep(
                image=image, original_name=getattr(upload, "name", "") or "image"
            )

    def _new_upload(self) -> ContentFile | None:
        """The image uploaded with this submit, cleaned; not the petition's current one,
        which a file field hands back when nothing new was chosen."""
        image = getattr(self, "cleaned_data", {}).get("image")
        return image if isinstance(image, ContentFile) else None

    def petition_data(self) -> dict:
        """The cleaned fields in the shape petition_create and petition_update take."""
        data = {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}
        data["goal"] = self.cleaned_data.get("fixed_goal")
        if not self.fields["slug"].disabled:
            data["slug"] = self.cleaned_data.get("slug") or ""
        if self._new_upload():
            data["image"] = self._new_upload()
        elif self.kept is not None:
            data["image"] = self.kept.content()
        elif self.cleaned_data.get("remove_image"):
            data["image"] = False
        return data


class SourceForm(CleanModelForm):
    """One "more information" link of a petition."""

    url = forms.URLField(
        max_length=500,
        assume_scheme="https",
        label="Web address",
        error_messages={"invalid": "Enter a full web address, like https://example.org/report."},
    )

    class Meta:
        model = Source
        fields = ["title", "publisher", "url", "published_on"]
        labels = {
            "title": "Title",
            "publisher": "Publisher",
            "url": "Web address",
            "published_on": "Date",
        }
        widgets = {"published_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["published_on"].error_messages["invalid"] = (
            "Enter the date as a real day, like 2026-03-31."
        )


class _SourceRows(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove this source"


SourceFormSet = forms.formset_factory(
    SourceForm, formset=_SourceRows, extra=3, can_delete=True, max_num=30
)


def source_rows(formset) -> list[dict]:
    """The sources a valid formset holds, in order, without removed or empty rows."""
    return [
        {k: form.cleaned_data[k] for k in ("title", "publisher", "url", "published_on")}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]
