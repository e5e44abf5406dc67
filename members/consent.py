"""The exact wording people agree to, versioned: the ledger stores both.

A wording is shown, and recorded, in the language of the page or email that asked
(`wording_in`): the ledger keeps the words the person read.
"""

from django.utils.translation import gettext, gettext_noop

OPT_IN_WORDING_VERSION = "email-2026-11"
OPT_IN_WORDING = gettext_noop("Email me about this and other campaigns from {organisation}.")

# Where a subscription to mailings needs its own confirmed opt-in even when the petition
# did not ask signers to confirm (German and Austrian practice under the UWG and the TKG).
# An organisation's CountryConsentRule rows override these, country by country.
DOUBLE_OPT_IN_COUNTRIES = frozenset({"DE", "AT"})

UNSUBSCRIBE_WORDING_VERSION = "unsubscribe-2026-11"
STAFF_UNSUBSCRIBE_WORDING = "Unsubscribed by staff at the member's request."
STAFF_SUPPRESS_WORDING = "Address suppressed: no mailing may reach it."

# The question the confirmed opt-in email asks, and the button that answers it: the
# ledger records this wording when the member presses it.
CONFIRMED_OPT_IN_VERSION = "confirmed-opt-in-2026-11"
CONFIRMED_OPT_IN_WORDING = gettext_noop("Yes, email me about campaigns from {organisation}.")
CONFIRMED_OPT_IN_SOURCE = "opt-in link"


def wording_in(wording: str, *, organisation: str) -> str:
    """A wording above in the active language, with the organisation's name filled in."""
    return gettext(wording).format(organisation=organisation)
