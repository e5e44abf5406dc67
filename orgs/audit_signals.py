"""Changes to who may do what, recorded in the audit log however they are made.

Chorus's own services (orgs.people, orgs.roles) record a role change as one row that
says what it was for, and run it inside `audit_covered()`. Anything else that changes a
user's groups, permissions or superuser, staff and active flags, or a group's
permissions, is caught here: the Django admin (which names the person acting through
`audit_gathered`, and gets one row per account or group it changed), a shell, a command.
Outside the admin nobody is known to have acted: the row says so.

These handlers keep a record and nothing else; they change no business state.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission, User
from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

from orgs.audit import Action, audit_is_covered, audit_record, audit_target

FLAGS = ("is_superuser", "is_staff", "is_active")
NAMES_KEPT = 50  # per list in a row's detail; the count says how many there were


@dataclass
class Change:
    """What happened to one account or group, gathered until it is recorded."""

    target: str
    label: str
    created: bool = False
    deleted: bool = False
    added: dict = field(default_factory=dict)  # "groups" / "permissions" -> [names]
    removed: dict = field(default_factory=dict)
    flags: dict = field(default_factory=dict)  # "is_superuser" -> [before, after]

    def detail(self, via: str) -> dict:
        detail: dict = {"via": via}
        if self.created:
            detail["created"] = True
        if self.deleted:
            detail["deleted"] = True
        for key, lists in (("added", self.added), ("removed", self.removed)):
            for kind, names in lists.items():
                detail[f"{kind}_{key}"] = sorted(names)[:NAMES_KEPT]
                if len(names) > NAMES_KEPT:
                    detail[f"{kind}_{key}_count"] = len(names)
        if self.flags:
            detail["flags"] = {name: after for name, (_, after) in self.flags.items()}
        return detail

    def summary(self) -> str:
        parts = []
        if self.created:
            parts.append("created")
        if self.deleted:
            parts.append("deleted")
        for kind, names in self.added.items():
            parts.append(f"{kind} added: {_listed(names)}")
        for kind, names in self.removed.items():
            parts.append(f"{kind} removed: {_listed(names)}")
        for name, (_, after) in self.flags.items():
            parts.append(f"{name.removeprefix('is_')} {'on' if after else 'off'}")
        return f"{self.label}: " + "; ".join(parts)


def _listed(names) -> str:
    names = sorted(names)
    shown = ", ".join(names[:5])
    return shown if len(names) <= 5 else f"{shown} and {len(names) - 5} more"


@dataclass
class Gathering:
    by: object
    via: str
    changes: dict = field(default_factory=dict)


_gathering: ContextVar[Gathering | None] = ContextVar("audit_gathering", default=None)


@contextmanager
def audit_gathered(*, by, via: str = "the Django admin") -> Iterator[None]:
    """Within: permission changes are gathered, then recorded as one row per account or
    group, by `by`, when the block ends without an error (inside the caller's
    transaction, which must enclose the block)."""
    gathering = Gathering(by=by, via=via)
    token = _gathering.set(gathering)
    try:
        yield
        for change in gathering.changes.values():
            _write(change, by=by, via=via)
    finally:
        _gathering.reset(token)


def _write(change: Change, *, by, via: str) -> None:
    if not (change.created or change.deleted or change.added or change.removed or change.flags):
        return
    audit_record(
        by=by,
        action=Action.ROLE,
        summary=change.summary(),
        target=change.target,
        detail=change.detail(via),
    )


def _note(instance, label: str, note) -> None:
    """Apply `note(change)` to the change of `instance`: gathered, or written at once."""
    if audit_is_covered():
        return
    gathering = _gathering.get()
    target = audit_target(instance)
    if gathering is None:
        change = Change(target=target, label=label)
        note(change)
        _write(change, by=None, via="outside the workspace and the admin")
        return
    change = gathering.changes.setdefault(target, Change(target=target, label=label))
    note(change)


def _user_label(user) -> str:
    return f"Account #{user.pk}"


def _group_label(group) -> str:
    return f"Group “{group.name}”"


def _permission_names(pks) -> list[str]:
    return [
        f"{app}.{codename}"
        for app, codename in Permission.objects.filter(pk__in=pks).values_list(
            "content_type__app_label", "codename"
        )
    ]


def _record_m2m(holder, label: str, kind: str, verb: str, names: list[str]) -> None:
    if not names:
        return

    def note(change: Change) -> None:
        mine = change.added if verb == "added" else change.removed
        other = change.removed if verb == "added" else change.added
        for name in names:
            if name in other.get(kind, []):  # removed then added back: no change
                other[kind].remove(name)
                if not other[kind]:
                    del other[kind]
            else:
                mine.setdefault(kind, [])
                if name not in mine[kind]:
                    mine[kind].append(name)

    _note(holder, label, note)


def _changed_ids(instance, action: str, pk_set, current) -> tuple[str, set] | None:
    """("added" | "removed", ids) for an m2m signal worth recording, else None."""
    # Django names every id asked for in a remove, held or not: only those held count.
    if action == "pre_clear":
        instance._audit_removing = set(current())
    elif action == "pre_remove":
        instance._audit_removing = set(current()) & set(pk_set or ())
    elif action in ("post_clear", "post_remove"):
        return "removed", getattr(instance, "_audit_removing", set())
    elif action == "post_add" and pk_set:  # only the ids not held already
        return "added", set(pk_set)
    return None


def user_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
    if audit_is_covered():
        return
    if not reverse:  # user.groups.add(group)
        found = _changed_ids(
            instance, action, pk_set, lambda: instance.groups.values_list("pk", flat=True)
        )
        if found:
            verb, ids = found
            names = list(Group.objects.filter(pk__in=ids).values_list("name", flat=True))
            _record_m2m(instance, _user_label(instance), "groups", verb, names)
        return
    found = _changed_ids(  # group.user_set.add(user)
        instance, action, pk_set, lambda: instance.user_set.values_list("pk", flat=True)
    )
    if found:
        verb, ids = found
        for user in User.objects.filter(pk__in=ids):
            _record_m2m(user, _user_label(user), "groups", verb, [instance.name])


def user_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if audit_is_covered():
        return
    if not reverse:
        found = _changed_ids(
            instance,
            action,
            pk_set,
            lambda: instance.user_permissions.values_list("pk", flat=True),
        )
        if found:
            verb, ids = found
            _record_m2m(
                instance, _user_label(instance), "permissions", verb, _permission_names(ids)
            )
        return
    found = _changed_ids(
        instance, action, pk_set, lambda: instance.user_set.values_list("pk", flat=True)
    )
    if found:
        verb, ids = found
        names = _permission_names([instance.pk])
        for user in User.objects.filter(pk__in=ids):
            _record_m2m(user, _user_label(user), "permissions", verb, names)


def group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if audit_is_covered():
        return
    if not reverse:
        found = _changed_ids(
            instance, action, pk_set, lambda: instance.permissions.values_list("pk", flat=True)
        )
        if found:
            verb, ids = found
            _record_m2m(
                instance, _group_label(instance), "permissions", verb, _permission_names(ids)
            )
        return
    found = _changed_ids(
        instance, action, pk_set, lambda: instance.group_set.values_list("pk", flat=True)
    )
    if found:
        verb, ids = found
        names = _permission_names([instance.pk])
        for group in Group.objects.filter(pk__in=ids):
            _record_m2m(group, _group_label(group), "permissions", verb, names)


def user_flags_before(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or audit_is_covered() or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return  # a sign-in's last_login, say
    instance._audit_flags = User.objects.filter(pk=instance.pk).values(*FLAGS).first()


def user_flags_after(sender, instance, created, raw=False, **kwargs) -> None:
    if raw or audit_is_covered():
        return
    if created:
        flags = {name: [False, True] for name in FLAGS[:2] if getattr(instance, name)}
        if not flags:
            return  # an account without staff access changes no one's trust

        def note_created(change: Change) -> None:
            change.created = True
            change.flags.update(flags)

        _note(instance, _user_label(instance), note_created)
        return
    before = getattr(instance, "_audit_flags", None)
    instance._audit_flags = None
    if not before:
        return
    flipped = {
        name: [before[name], getattr(instance, name)]
        for name in FLAGS
        if before[name] != getattr(instance, name)
    }
    if flipped:
        _note(instance, _user_label(instance), lambda change: change.flags.update(flipped))


def _deleted(change: Change) -> None:
    change.deleted = True


def user_deleted(sender, instance, **kwargs) -> None:
    # Only an account that never acted can be deleted (the log PROTECTs the others).
    if instance.is_staff or instance.is_superuser:
        _note(instance, _user_label(instance), _deleted)


def group_deleted(sender, instance, **kwargs) -> None:
    # Its members lose its permissions with it, without an m2m signal: say how many.
    held_by = instance.user_set.count()

    def note(change: Change) -> None:
        change.deleted = True
        change.removed.setdefault("members", []).append(f"{held_by} account(s)")

    _note(instance, _group_label(instance), note)


def audit_signals_connect() -> None:
    uid = "orgs.audit_signals"
    m2m_changed.connect(user_groups_changed, sender=User.groups.through, dispatch_uid=uid)
    m2m_changed.connect(
        user_permissions_changed, sender=User.user_permissions.through, dispatch_uid=uid
    )
    m2m_changed.connect(
        group_permissions_changed, sender=Group.permissions.through, dispatch_uid=uid
    )
    pre_save.connect(user_flags_before, sender=User, dispatch_uid=uid)
    post_save.connect(user_flags_after, sender=User, dispatch_uid=uid)
    pre_delete.connect(user_deleted, sender=User, dispatch_uid=uid)
    pre_delete.connect(group_deleted, sender=Group, dispatch_uid=uid)
