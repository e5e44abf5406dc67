from django import forms
from django.http import QueryDict
from django_countries import countries

from lib.addresses import InvalidEmail, UndeliverableEmail, email_normalise
from lib.forms import CleanImageField, CleanModelForm, MultiLineField, SingleLineField
from lib.i18n import language_tag
from petitions.models import Channel, Petition

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
        raise forms.ValidationError("Some characters did not arrive intact. Please type it again.")
    if "<" in value or ">" in value:
        raise forms.ValidationError("Please remove < and >.")
    return value


UNDELIVERABLE_MESSAGE = (
    "This address has characters before the @ that our mail server cannot send to. "
    "Please use an address with only unaccented letters, digits and . _ - + before the @."
)


def _clean_email(value: str, invalid_message: str) -> str:
    value = value.strip()
    if REPLACEMENT_CHARACTER in value:
        raise forms.ValidationError(
            "Your email address did not arrive intact. Please type it again."
        )
    try:
        return email_normalise(value)
    except UndeliverableEmail:
        raise forms.ValidationError(UNDELIVERABLE_MESSAGE, code="undeliverable") from None
    except InvalidEmail:
        raise forms.ValidationError(invalid_message, code="invalid") from None


COUNTRY_CHOICES = [("", "Choose your country"), *countries]
COUNTRY_CODES = frozenset(code for code, _ in COUNTRY_CHOICES if code)


class CountryCodeField(forms.CharField):
    """A country code from the ISO list.

    A ChoiceField would deep-copy and re-normalise some 250 choices for every
    form built, which showed up as a tenth of the sign path's time under load.
    The template draws the options from `choices`, shared and never copied.
    """

    choices = COUNTRY_CHOICES
    default_error_messages = {"invalid_choice": "Choose your country from the list."}

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
    first_name = SingleLineField(max_length=100, label="First name")
    last_name = SingleLineField(max_length=100, label="Last name")
    email = forms.CharField(max_length=254, label="Email")
    country = CountryCodeField(label="Country")
    postcode = SingleLineField(max_length=20, required=False, label="Postcode (optional)")
    comment = MultiLineField(
        max_length=1000,
        required=False,
        label="Why are you signing? (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    show_name = forms.BooleanField(
        required=False, label="Show my name and reason on this petition"
    )
    opt_in = forms.BooleanField(required=False)
    channel = ChannelField(required=False, widget=forms.HiddenInput)
    # Left empty by people; form-filling bots tend to fill it in.
    website = HoneypotField(required=False, label="Leave this empty")

    def clean_first_name(self):
        return _clean_text(self.cleaned_data["first_name"])

    def clean_last_name(self):
        return _clean_text(self.cleaned_data["last_name"])

    def clean_postcode(self):
        value = _clean_text(self.cleaned_data["postcode"])
        if value and not all(c.isalnum() or c in " -" for c in value):
            raise forms.ValidationError("Use only letters, digits, spaces and hyphens.")
        return value.upper()

    def clean_comment(self):
        return _clean_text(self.cleaned_data["comment"])

    def clean_email(self):
        return _clean_email(
            self.cleaned_data["email"], "Enter a valid email address, like name@example.org."
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
    email = forms.CharField(max_length=254, label="Your email")

    def clean_email(self):
        return _clean_email(self.cleaned_data["email"], "Enter a valid email address.")


class PetitionForm(CleanModelForm):
    """The staff area's petition form: one-line columns on one line, the image cleaned."""

    class Meta:
        model = Petition
        fields = "__all__"
        field_classes = {"image": CleanImageField}

    def clean_language(self):
        value = self.cleaned_data["language"]
        tag = language_tag(value)
        if tag.lower() != value.strip().lower():
            raise forms.ValidationError(
                "Use a language tag such as en, fr or pt-BR.", code="invalid_language"
            )
        return tag
