from django import forms

from lib.addresses import InvalidEmail, UndeliverableEmail, email_normalise
from rights.models import RightsRequest

INVALID_MESSAGE = "Enter an email address like name@example.org."


class RightsRequestForm(forms.Form):
    email = forms.CharField(max_length=254, label="Your email address")
    purpose = forms.ChoiceField(
        choices=RightsRequest.Purpose.choices,
        widget=forms.RadioSelect,
        label="What would you like?",
        error_messages={"required": "Choose what you would like us to do."},
    )

    def clean_email(self):
        value = self.cleaned_data["email"].strip()
        if "\ufffd" in value or "\x00" in value:
            raise forms.ValidationError("Your email address did not arrive intact. Type it again.")
        try:
            return email_normalise(value)
        except UndeliverableEmail:
            raise forms.ValidationError(
                "Our mail server cannot send to characters like these before the @. "
                "Use an address with unaccented letters, digits and . _ - + before the @."
            ) from None
        except InvalidEmail:
            raise forms.ValidationError(INVALID_MESSAGE) from None
