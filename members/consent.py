"""The exact wording people agree to, versioned: the ledger stores both."""

OPT_IN_WORDING_VERSION = "email-2026-11"
OPT_IN_WORDING = "Email me about this and other campaigns from {organisation}."

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
CONFIRMED_OPT_IN_WORDING = "Yes, email me about campaigns from {organisation}."
CONFIRMED_OPT_IN_SOURCE = "opt-in link"
