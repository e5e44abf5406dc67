"""The audit log's one writer: every staff action on personal data or trust calls it."""

from orgs.models import AuditEvent

Action = AuditEvent.Action


def audit_record(
    *, by, action: str, summary: str, target: str = "", detail: dict | None = None
) -> AuditEvent:
    """Append one row to the audit log, in the caller's transaction.

    `by` is the staff user who acted, or None for Chorus itself (the retention job, a
    person using a self-service link). `detail` holds counts, filters and ids, never the
    personal data acted on.
    """
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}.")
    return AuditEvent.objects.create(
        actor=by if by is not None and by.pk else None,
        actor_name=by.get_username() if by is not None and by.pk else "",
        action=action,
        target=target[:200],
        summary=summary[:300],
        detail=detail or {},
    )
