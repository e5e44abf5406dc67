"""The audit log's one writer: every staff action on personal data or trust calls it.

Services call `audit_record` in their own transaction. Changes to who may do what (a
user's groups, permissions and superuser, staff or active flags; a group's permissions)
are also caught by signals (orgs.audit_signals), whoever makes them: the Django admin,
a shell, a command. A service that records such a change itself runs it inside
`audit_covered()`, so the same change is not recorded twice.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from orgs.models import AuditEvent

Action = AuditEvent.Action

_covered: ContextVar[bool] = ContextVar("audit_covered", default=False)


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


def audit_target(instance) -> str:
    """How a row names what was acted on: "app.model:pk" ("petitions.petition:12")."""
    return f"{instance._meta.label_lower}:{instance.pk}"


@contextmanager
def audit_covered() -> Iterator[None]:
    """Within: the permission signals record nothing, because the caller records the
    change itself, as one row that says what the change was for."""
    token = _covered.set(True)
    try:
        yield
    finally:
        _covered.reset(token)


def audit_is_covered() -> bool:
    return _covered.get()
