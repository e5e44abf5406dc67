"""A petition's life: created and edited as a draft, published, closed, reopened, won.

Every step is logged in PetitionEvent with who took it. The status changes only
through the four transitions below, each a conditional update that refuses a
petition no longer in the state the person saw (two colleagues pressing Close at
once: one closes it, the other is told it already is).
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from orgs.audit import Action, audit_record, audit_target
from petitions.counting import petition_count
from petitions.models import EDITABLE_FIELDS, Petition, PetitionEvent, Source, goal_for
from petitions.services.outcome import petition_page_refresh

Status = Petition.Status

SLUG_MAX_LENGTH = 80


class PetitionAddressTaken(ValueError):
    """The address (slug) was taken by another petition since the form checked it."""

    def __init__(self, slug: str):
        super().__init__(
            f"The address “{slug}” was taken a moment ago by another petition. "
            "Choose another, or leave it empty to make one from the ask."
        )


class PetitionTransitionRefused(ValueError):
    """A status action the petition's current status does not allow; the message says why."""


@dataclass(frozen=True)
class Transition:
    action: str
    allowed_from: tuple[str, ...]
    to: str


PUBLISH = Transition(PetitionEvent.Action.PUBLISHED, (Status.DRAFT,), Status.OPEN)
CLOSE = Transition(PetitionEvent.Action.CLOSED, (Status.OPEN,), Status.CLOSED)
REOPEN = Transition(PetitionEvent.Action.REOPENED, (Status.CLOSED,), Status.OPEN)
VICTORY = Transition(PetitionEvent.Action.WON, (Status.OPEN, Status.CLOSED), Status.WON)

AUDIT = {  # the audit log's action and sentence for each step
    PUBLISH: (Action.PETITION_PUBLISH, "Published"),
    CLOSE: (Action.PETITION_CLOSE, "Closed"),
    REOPEN: (Action.PETITION_REOPEN, "Reopened"),
    VICTORY: (Action.PETITION_VICTORY, "Declared victory on"),
}

REFUSALS = {
    PUBLISH: "Only a draft can be published; this petition is {status}.",
    CLOSE: "Only an open petition can be closed; this petition is {status}.",
    REOPEN: "Only a closed petition can be reopened; this petition is {status}.",
    VICTORY: "Victory can be declared on an open or closed petition; this one is {status}.",
}


def _transition(petition: Petition, transition: Transition, by, changes: dict) -> None:
    with transaction.atomic():
        from_status = petition.status
        moved = Petition.objects.filter(pk=petition.pk, status__in=transition.allowed_from).update(
            status=transition.to, updated_at=timezone.now(), **changes
        )
        petition.refresh_from_db()
        if not moved:
            status = petition.get_status_display().lower()
            raise PetitionTransitionRefused(REFUSALS[transition].format(status=status))
        PetitionEvent.objects.create(
            petition=petition,
            action=transition.action,
            from_status=from_status,
            to_status=transition.to,
            by=by,
        )
        action, verb = AUDIT[transition]
        audit_record(
            by=by,
            action=action,
            summary=f"{verb} “{petition.title}”",
            target=audit_target(petition),
            detail={"slug": petition.slug, "from": from_status, "to": transition.to},
        )
        petition_page_refresh(petition)


def petition_publish(*, petition: Petition, by=None) -> None:
    """A draft becomes public at /p/<slug>/ and open for signatures."""
    _transition(petition, PUBLISH, by, {"published_at": petition.published_at or timezone.now()})


def petition_close(*, petition: Petition, by=None) -> None:
    """An open petition stops taking signatures; its page and count stay public."""
    _transition(petition, CLOSE, by, {"closed_at": timezone.now()})


def petition_reopen(*, petition: Petition, by=None) -> None:
    _transition(petition, REOPEN, by, {"closed_at": None})


def petition_declare_victory(*, petition: Petition, by=None, keep_signing: bool = False) -> None:
    """The campaign won: the page says so, and signing stops unless `keep_signing`."""
    _transition(
        petition,
        VICTORY,
        by,
        {"closed_at": petition.closed_at or timezone.now(), "keeps_signing": keep_signing},
    )


# --- Creating and editing ---------------------------------------------------------------


def slug_available(slug: str, *, exclude_pk: int | None = None) -> bool:
    return not Petition.objects.filter(slug=slug).exclude(pk=exclude_pk).exists()


def slug_from_title(title: str, *, exclude_pk: int | None = None) -> str:
    """A free address made from the title: "stop-the-scraping", then "-2", "-3"..."""
    base = slugify(title)[: SLUG_MAX_LENGTH - 4].strip("-") or "petition"
    slug, n = base, 1
    while not slug_available(slug, exclude_pk=exclude_pk):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _apply(petition: Petition, data: dict) -> list[str]:
    """Copy the edited fields onto `petition`; the names of those that changed."""
    changed = []
    for name in EDITABLE_FIELDS:
        if name in data and getattr(petition, name) != data[name]:
            setattr(petition, name, data[name])
            changed.append(name)
    goal = _goal(petition, data)
    if goal != petition.goal:
        petition.goal = goal
        changed.append("goal")
    image = data.get("image")
    if isinstance(image, ContentFile):
        petition.image.save(image.name, image, save=False)
        changed.append("image")
    elif image is False and petition.image:
        petition.image = ""
        changed.append("image")
    return changed


def _goal(petition: Petition, data: dict) -> int:
    if petition.goal_mode == Petition.GoalMode.FIXED:
        return data.get("goal") or petition.goal
    count = petition_count(petition) if petition.pk else 0
    # A goal the campaigner fixed earlier is not a step of the ladder: start the ladder again.
    was_fixed = "goal_mode" in data and petition.pk and _stored_goal_mode(petition) == "fixed"
    return goal_for(count, 0 if was_fixed else petition.goal)


def _stored_goal_mode(petition: Petition) -> str:
    return Petition.objects.filter(pk=petition.pk).values_list("goal_mode", flat=True).first()


def _sources_replace(petition: Petition, sources: list[dict] | None) -> bool:
    """Replace the petition's sources with `sources` (in order); whether anything changed."""
    if sources is None:
        return False
    fields = ("title", "publisher", "url", "published_on")
    before = [tuple(getattr(s, f) for f in fields) for s in petition.sources.all()]
    after = [tuple(s.get(f) for f in fields) for s in sources]
    if before == after:
        return False
    petition.sources.all().delete()
    Source.objects.bulk_create(
        Source(petition=petition, position=position, **{f: s.get(f) for f in fields})
        for position, s in enumerate(sources, start=1)
    )
    return True


def petition_create(*, organisation, data: dict, by) -> Petition:
    """A new draft from the workspace form's cleaned `data`.

    `data` holds the EDITABLE_FIELDS, optionally "slug" (made from the title when empty),
    "goal" (for a fixed goal), "image" (a cleaned ContentFile) and "sources" (a list of
    dicts with title, publisher, url, published_on).

    Two colleagues saving at once may reach for the same address: the unique slug
    settles it. A chosen address already taken is refused (PetitionAddressTaken); one made
    from the title is made again.
    """
    for attempt in range(3):
        try:
            with transaction.atomic():
                petition = Petition(organisation=organisation, status=Status.DRAFT)
                _apply(petition, data)
                petition.slug = data.get("slug") or slug_from_title(petition.title)
                petition.save()
                _sources_replace(petition, data.get("sources"))
                PetitionEvent.objects.create(
                    petition=petition,
                    action=PetitionEvent.Action.CREATED,
                    to_status=Status.DRAFT,
                    by=by,
                )
            return petition
        except IntegrityError:
            if slug_available(petition.slug):
                raise  # some other constraint: not ours to explain
            if data.get("slug") or attempt == 2:
                raise PetitionAddressTaken(petition.slug) from None
    raise AssertionError("unreachable")  # pragma: no cover


def petition_update(*, petition: Petition, data: dict, by) -> list[str]:
    """Save the workspace form's cleaned `data` onto `petition`; the fields that changed.

    The address (slug) changes only while the petition is a draft: once public, links
    to it are out in the world.
    """
    with transaction.atomic():
        # From the database: a model form's validation has written its values onto the
        # instance it was given, which would hide what changed.
        petition.refresh_from_db()
        old_image, storage = petition.image.name, petition.image.storage
        changed = _apply(petition, data)
        slug = data.get("slug")
        if petition.status == Status.DRAFT and slug and slug != petition.slug:
            petition.slug = slug
            changed.append("slug")
        if changed:
            try:
                with transaction.atomic():
                    petition.save()
            except IntegrityError:
                if "slug" not in changed or slug_available(petition.slug, exclude_pk=petition.pk):
                    raise
                raise PetitionAddressTaken(petition.slug) from None
        if _sources_replace(petition, data.get("sources")):
            changed.append("sources")
        if old_image and "image" in changed:
            # A replaced or removed image leaves the disk once the change is committed (a
            # page kept by a browser or CDN may ask for it for a few seconds more: a 404).
            transaction.on_commit(lambda: storage.delete(old_image))
        if changed:
            PetitionEvent.objects.create(
                petition=petition,
                action=PetitionEvent.Action.EDITED,
                from_status=petition.status,
                to_status=petition.status,
                by=by,
                note=", ".join(changed)[:300],
            )
    return changed
