"""The exact wording people agree to, versioned: the ledger stores both."""

OPT_IN_WORDING_VERSION = "email-2026-11"
OPT_IN_WORDING = "Email me about this and other campaigns from {organisation}."
