"""The names of states, statuses, roles and actions as the staff area shows them, in gettext.

The models keep their choices' English labels (the public pages and the admin read them
too); these markers put each label in the staff catalog, and the `translated` filter
(staff/templatetags/staff.py) shows it in the active language. tests/staff_i18n checks that
every label of CHOICES is listed here, so a new choice cannot slip through untranslated:
add it below (the test names it) and run scripts/staff-messages.sh.
"""

from django.utils.translation import gettext_lazy, gettext_noop

# Where each listed label comes from: a TextChoices (its labels), a dict (its values) or a
# list of (value, label) pairs.
CHOICES = [
    "orgs.models.Invitation.Role",
    "orgs.models.StaffEvent.Action",
    "orgs.models.AuditEvent.Action",
    "orgs.models.ExportRecord.Outcome",
    "members.models.Member.Status",
    "members.models.ConsentRecord.Action",
    "members.models.ConsentRecord.SourceKind",
    "members.models.Suppression.Reason",
    "members.models.MemberImport.State",
    "mailings.models.Mailing.State",
    "mailings.models.Mailing.Metric",
    "petitions.models.Petition.GoalMode",
    "petitions.models.Petition.Status",
    "petitions.models.PetitionEvent.Action",
    "petitions.models.Channel",
    "petitions.models.Signature.State",
    "petitions.models.BulkAction.Kind",
    "petitions.models.BulkAction.State",
    "mailings.segments.KINDS",
    "delivery.models.DeliveryPack.State",
    "petitions.models.Petition.DELIVERY_FIELDS",
    "api.models.ApiToken.Scope",
]

LABELS = [
    # Invitation.Role
    gettext_noop("Owner"),
    gettext_noop("Campaigner"),
    gettext_noop("Analyst"),
    # StaffEvent.Action
    gettext_noop("Invited"),
    gettext_noop("Withdrew the invitation"),
    gettext_noop("Accepted the invitation"),
    gettext_noop("Changed the role"),
    gettext_noop("Deactivated the account"),
    gettext_noop("Reactivated the account"),
    # AuditEvent.Action
    gettext_noop("Exported personal data"),
    gettext_noop("Imported members"),
    gettext_noop("Invalidated signatures"),
    gettext_noop("Reinstated signatures"),
    gettext_noop("Erased a person's data"),
    gettext_noop("Changed a role or permissions"),
    gettext_noop("Reset two-factor authentication"),
    gettext_noop("Published a petition"),
    gettext_noop("Closed a petition"),
    gettext_noop("Reopened a petition"),
    gettext_noop("Declared a petition won"),
    gettext_noop("Changed a member's subscription"),
    gettext_noop("Started sending a mailing"),
    gettext_noop("Anonymised by the retention rules"),
    gettext_noop("Made a partner API token"),
    gettext_noop("Revoked a partner API token"),
    gettext_noop("Added or switched off a webhook endpoint"),
    gettext_noop("Other"),
    # ExportRecord.Outcome
    gettext_noop("Not finished: still streaming, or the process stopped"),
    gettext_noop("Every row sent"),
    gettext_noop("Download stopped before the end"),
    # Member.Status
    gettext_noop("Not subscribed"),
    gettext_noop("Awaiting opt-in"),
    gettext_noop("Subscribed"),
    gettext_noop("Unsubscribed"),
    gettext_noop("Bounced"),
    gettext_noop("Complained"),
    # ConsentRecord.Action
    gettext_noop("Granted"),
    gettext_noop("Withdrawn"),
    # ConsentRecord.SourceKind
    gettext_noop("A petition page"),
    gettext_noop("A mailing"),
    gettext_noop("An import"),
    gettext_noop("Staff"),
    gettext_noop("An opt-in link"),
    # Suppression.Reason
    gettext_noop("Complained (marked as spam)"),
    gettext_noop("Suppressed by staff"),
    gettext_noop("Imported suppression list"),
    # MemberImport.State
    gettext_noop("Waiting for confirmation"),
    gettext_noop("Importing"),
    gettext_noop("Done"),
    gettext_noop("Failed"),
    gettext_noop("Cancelled"),
    # Mailing.State
    gettext_noop("Draft"),
    gettext_noop("Scheduled"),
    gettext_noop("Sending"),
    gettext_noop("Testing subject lines"),
    gettext_noop("Paused"),
    gettext_noop("Sent"),
    # Mailing.Metric
    gettext_noop("Unique clicks"),
    gettext_noop("Signatures"),
    # Petition.GoalMode
    gettext_noop("Automatic: the goal steps up as signatures come in"),
    gettext_noop("Fixed: a goal the campaigner sets"),
    # Petition.Status
    gettext_noop("Open for signatures"),
    gettext_noop("Closed"),
    gettext_noop("Victory"),
    # PetitionEvent.Action
    gettext_noop("Created"),
    gettext_noop("Edited"),
    gettext_noop("Published"),
    gettext_noop("Reopened"),
    gettext_noop("Victory declared"),
    # Channel
    gettext_noop("Direct"),
    gettext_noop("Facebook"),
    gettext_noop("X"),
    gettext_noop("WhatsApp"),
    gettext_noop("Telegram"),
    gettext_noop("Email"),
    gettext_noop("Copied link"),
    gettext_noop("Embedded widget"),
    gettext_noop("Mailing"),
    gettext_noop("Partner API"),
    # Signature.State
    gettext_noop("Awaiting confirmation"),
    gettext_noop("Confirmed"),
    gettext_noop("Fraudulent"),
    gettext_noop("Invalidated"),
    # BulkAction.Kind
    gettext_noop("Invalidate"),
    gettext_noop("Mark as fraudulent"),
    gettext_noop("Reinstate as confirmed"),
    gettext_noop("Reverse"),
    # BulkAction.State
    gettext_noop("Running"),
    # mailings.segments.KINDS
    gettext_noop("Signed petition"),
    gettext_noop("Country is one of"),
    gettext_noop("Language is one of"),
    gettext_noop("Subscription is one of"),
    gettext_noop("Joined between"),
    gettext_noop("Received mailing"),
    gettext_noop("Clicked a link in mailing"),
    gettext_noop("Signed any petition in the last days"),
    # DeliveryPack.State (Cancelled and Failed are above)
    gettext_noop("Being made"),
    gettext_noop("Ready"),
    gettext_noop("Deleted"),
    # Petition.DELIVERY_FIELDS
    gettext_noop("Name"),
    gettext_noop("Country"),
    gettext_noop("Postcode"),
    gettext_noop("Why they signed (their comment)"),
    # ApiToken.Scope
    gettext_noop("Create signatures (signatures:write)"),
]


def translated_choices(choices) -> list[tuple]:
    """A form field's (value, label) choices with each label shown in the active language."""
    return [(value, gettext_lazy(label)) for value, label in choices]
