from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.addresses import InvalidEmail, UndeliverableEmail, email_normalise
from rights.models import RightsRequest

INVALID_MESSAGE = gettext_lazy("Enter an email address like name@example.org.")


class RightsRequestForm(forms.Form):
    email = forms.CharField(max_length=254, label=gettext_lazy("Your email address"))
    purpose = forms.ChoiceField(
        choices=RightsRequest.Purpose.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("What would you like?"),
        error_messages={"required": gettext_lazy("Choose what you would like us to do.")},
    )

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        if "\ufffd" in value or "\x00" in value:
            raise forms.ValidationError(
                _("Your email address did not arrive intact. Type it again.")
            )
        try:
            return email_normalise(value)
        except UndeliverableEmail:
            raise forms.ValidationError(
                _(
                    "Our mail server cannot send to characters like these before the @. "
                    "Use an address with unaccented letters, digits and . _ - + before the @."
                )
            ) from None
        except InvalidEmail:
            raise forms.ValidationError(INVALID_MESSAGE) from None
