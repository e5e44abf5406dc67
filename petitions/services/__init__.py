"""What happens to petitions and signatures, one module per flow; every entry point calls these.

signing (a sign POST), confirming (the link: sending, resending, following it),
mail_ceiling (how much email may go to unverified addresses), moderation (staff
state changes) and petitions (publish, close). Reads shared by flows are in
petitions.selectors. Every public name is importable from here as well.
"""

from petitions.links import confirmation_token, token_hash
from petitions.services.confirming import (
    LINK_EXTEND_STEP,
    SEND_CONFIRMATION,
    SIGNATURE_CONFIRMED,
    signature_confirm,
    signature_confirm_proven,
    signature_confirmation_token,
    signature_resend_confirmation,
)
from petitions.services.mail_ceiling import (
    MailPermit,
    mail_allowances_prune,
    unverified_mail_permit,
    unverified_mail_permit_return,
    unverified_mail_permits,
)
from petitions.services.moderation import (
    SignatureStateRefused,
    signature_comment_hide,
    signature_set_state,
)
from petitions.services.outcome import (
    OutcomeRefused,
    petition_response_set,
    petition_signing_after_victory,
)
from petitions.services.petitions import (
    PetitionAddressTaken,
    PetitionTransitionRefused,
    petition_close,
    petition_create,
    petition_declare_victory,
    petition_publish,
    petition_reopen,
    petition_update,
)
from petitions.services.signing import (
    SIGNATURE_SUBMITTED,
    PetitionClosed,
    SignResult,
    network_key,
    signature_create,
)
from petitions.services.translations import (
    petition_translation_delete,
    petition_translation_save,
)
from petitions.services.updates import update_create, update_delete, update_edit

__all__ = [
    "LINK_EXTEND_STEP",
    "SEND_CONFIRMATION",
    "SIGNATURE_CONFIRMED",
    "SIGNATURE_SUBMITTED",
    "MailPermit",
    "OutcomeRefused",
    "PetitionAddressTaken",
    "PetitionClosed",
    "PetitionTransitionRefused",
    "SignResult",
    "SignatureStateRefused",
    "confirmation_token",
    "mail_allowances_prune",
    "network_key",
    "petition_translation_delete",
    "petition_translation_save",
    "petition_close",
    "petition_create",
    "petition_declare_victory",
    "petition_publish",
    "petition_reopen",
    "petition_response_set",
    "petition_signing_after_victory",
    "petition_update",
    "signature_confirm",
    "signature_confirm_proven",
    "signature_confirmation_token",
    "signature_create",
    "signature_resend_confirmation",
    "signature_comment_hide",
    "signature_set_state",
    "token_hash",
    "unverified_mail_permit",
    "unverified_mail_permit_return",
    "unverified_mail_permits",
    "update_create",
    "update_delete",
    "update_edit",
]
