"""Every URL of Chorus, found by walking the URL resolver, with real rows behind it, and
the forms its pages hold, read from the HTML as a browser (or an attacker) reads them.

A URL that takes a POST needs an entry in SAMPLES: who posts it and, when its form is not
on its own page, the page it is on. A POST-able URL without one fails the suite, so a form
another lane adds later is covered once its entry is written.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from lib.addresses import email_key
from mailings import tokens
from members.optin import optin_link_claim
from orgs.people import invitation_create, invitation_token
from petitions.services import signature_confirmation_token
from rights.models import RightsRequest
from rights.services import rights_token
from tests.factories import (
    MemberFactory,
    RecipientFactory,
    SignatureFactory,
    UserFactory,
)
from tests.workspace.samples import (
    bulk_action_sample,
    import_sample,
    mailing_sample,
    pack_sample,
    partner_samples,
    segment_sample,
)

# The Django admin is the operators' tool (superusers only, docs/deploy.md); its forms are
# Django's own. django-anymail's webhooks are there only with an ESP configured.
NOT_WALKED = ("admin:", "anymail")
UNKNOWN_TOKEN = "not-a-real-token"


@dataclass(frozen=True)
class Sample:
    """How a POST-able URL is reached: by whom, and from which page's form."""

    persona: str = "owner"  # "owner" (signed in, second factor done), "public"
    page: str | None = None  # the URL name of the page holding the form; None: itself
    data: dict = field(default_factory=dict)  # values that make the form valid
    # Fields the battery leaves alone (a password confirmation that must match, say).
    keep: tuple = ()
    # A URL that answers a POST as it answers a GET (the API's JSON 404 for any path):
    # the battery checks that a POST there stores nothing.
    read: bool = False


PETITION_TAB = "staff:petition"
JOIN_PASSWORD = "a long enough password 1"
NEW_PETITION = {
    "title": "Keep the library open",
    "target": "The council",
    "summary": "Open it.",
    "story": "Because it matters.",
    "goal_mode": "auto",
    "language": "en",
}
SAMPLES: dict[str, Sample] = {
    # The public.
    "petitions:sign": Sample(
        persona="public",
        page="petitions:detail",
        data={
            "email": "hostile@example.org",
            "first_name": "Hos",
            "last_name": "Tile",
            "country": "GB",
        },
    ),  # fmt: skip
    # The embeddable widget: its own page holds the form, with its signed form token.
    "petitions:embed": Sample(
        persona="public",
        data={
            "email": "hostile@example.org",
            "first_name": "Hos",
            "last_name": "Tile",
            "country": "GB",
        },
    ),  # fmt: skip
    "petitions:resend": Sample(persona="public", page="petitions:thanks"),
    "petitions:confirm": Sample(persona="public"),
    "members:optin": Sample(persona="public"),
    "mailings:unsubscribe": Sample(persona="public"),
    "mailings:unsubscribe_preview": Sample(persona="public"),
    "mailings:recognise": Sample(persona="public", data={"token": "x", "petition": "slug"}),
    "mailings:sign": Sample(persona="public", data={"token": "x", "petition": "slug"}),
    "mailings:click": Sample(persona="public"),
    "mailings:open": Sample(persona="public"),
    "health": Sample(persona="public"),
    # Signing in.
    "staff_sign_in": Sample(persona="public", data={"username": "nobody", "password": "x"}),
    "admin_sign_in": Sample(persona="public", data={"username": "nobody", "password": "x"}),
    "staff_second_factor": Sample(persona="owner", data={"code": "123456"}),
    "staff_enrol": Sample(persona="owner", data={"code": "123456"}),
    "staff_recovery_codes": Sample(persona="owner"),
    "staff_sign_out": Sample(persona="owner"),
    "staff_invitation_accept": Sample(
        persona="public",
        keep=("password", "password_again"),
        data={
            "username": "joiner",
            "first_name": "Jo",
            "last_name": "Iner",
            "password": "a long enough password 1",
            "password_again": "a long enough password 1",
        },
    ),  # fmt: skip
    # The workspace.
    "staff:petition_new": Sample(data=NEW_PETITION),
    "staff:petition_preview_markdown": Sample(data={"text": "Hello"}),
    "staff:petition_edit": Sample(),
    "staff:petition_publish": Sample(page=PETITION_TAB),
    "staff:petition_close": Sample(page=PETITION_TAB),
    "staff:petition_reopen": Sample(page=PETITION_TAB),
    "staff:petition_victory": Sample(page=PETITION_TAB),
    "staff:petition_signature_state": Sample(page="staff:petition_signature"),
    "staff:petition_translation_edit": Sample(
        data={
            "title": "Gardez la bibliothèque",
            "target": "La mairie",
            "summary": "Ouvrez-la.",
            "story": "Parce que c'est important.",
        }
    ),  # fmt: skip
    "staff:petition_translation_delete": Sample(),
    "staff:petition_update_new": Sample(
        data={"title": "News", "body": "It was delivered.", "published_at": "2026-01-02T10:00"}
    ),
    "staff:petition_update_edit": Sample(),
    "staff:petition_update_delete": Sample(page="staff:petition_update_edit"),
    "staff:petition_update_email": Sample(),
    "staff:petition_outcome": Sample(data={"text": "We agree.", "on": "2026-03-03"}),
    "staff:petition_export": Sample(),
    "staff:petition_reason_hide": Sample(page="staff:petition_reasons"),
    "staff:members_consent_rules": Sample(data={"country": "France", "double_opt_in": "yes"}),
    "staff:members_export": Sample(page="staff:members"),
    "staff:members_import": Sample(),
    "staff:members_import_start": Sample(page="staff:members_import_detail"),
    "staff:members_import_cancel": Sample(page="staff:members_import_detail"),
    "staff:member_unsubscribe": Sample(page="staff:member"),
    "staff:member_suppress": Sample(page="staff:member"),
    "staff:mailing_new": Sample(
        data={
            "name": "An ask",
            "subject": "Please sign",
            "from_name": "Open Faces",
            "body": "Hello {{ first_name }}, please sign.",
        }  # fmt: skip
    ),
    "staff:mailing_preview_draft": Sample(page="staff:mailing_new"),
    "staff:mailing_edit": Sample(),
    "staff:mailing_preview": Sample(page="staff:mailing"),
    "staff:mailing_test": Sample(page="staff:mailing"),
    "staff:mailing_send": Sample(page="staff:mailing"),
    "staff:mailing_unschedule": Sample(page="staff:mailing"),
    "staff:mailing_pause": Sample(page="staff:mailing"),
    "staff:mailing_resume": Sample(page="staff:mailing"),
    "staff:mailing_cancel": Sample(page="staff:mailing"),
    "staff:mailing_retry": Sample(page="staff:mailing"),
    "staff:segment_new": Sample(),
    "staff:segment_count": Sample(page="staff:segment_new"),
    "staff:segment_edit": Sample(),
    "staff:segment_delete": Sample(page="staff:segment_edit"),
    "staff:people_invite": Sample(data={"email": "colleague.two@example.org", "role": "Analyst"}),
    "staff:people_invitation_revoke": Sample(page="staff:people"),
    "staff:people_invitation_resend": Sample(page="staff:people"),
    "staff:people_person": Sample(),
    "staff:people_deactivate": Sample(page="staff:people_person"),
    "staff:people_reactivate": Sample(page="staff:people_person"),
    "staff:brand": Sample(),
    "rights:request": Sample(persona="public", data={"email": "a@example.org", "purpose": "copy"}),
    "rights:copy": Sample(persona="public"),
    "rights:erase": Sample(persona="public"),
    "staff:member_erase": Sample(page="staff:member", data={"reason": "Asked by email"}),
    "staff:petition_bulk_action_new": Sample(
        page="staff:petition_fraud", data={"kind": "invalidate", "domain": "example.org"}
    ),
    "staff:petition_bulk_action_cancel": Sample(page="staff:petition_bulk_action"),
    "staff:petition_bulk_action_reverse": Sample(page="staff:petition_bulk_action"),
    "staff:brand_logo": Sample(page="staff:brand"),
    "staff:petition_delivery_pack_new": Sample(page="staff:petition_delivery"),
    "staff:petition_delivery_pack_cancel": Sample(page="staff:petition_delivery"),
    "staff:petition_delivery_pack_delete": Sample(page="staff:petition_delivery"),
    "staff:petition_delivery_milestones": Sample(
        page="staff:petition_delivery",
        data={"target_email": "minister@example.org", "milestones": "1000 10000"},
    ),
    # The partner API (JSON with a bearer token: the battery's forms get a 401) and an
    # unknown API path (a JSON 404 for any method).
    "api:sign": Sample(persona="public"),
    "api:not_found": Sample(persona="public", read=True),
    # Partners, their tokens and webhooks.
    "staff:partner_new": Sample(data={"name": "Newsroom", "slug": "newsroom"}),
    "staff:partner_active": Sample(page="staff:partner"),
    "staff:partner_token_new": Sample(
        page="staff:partner", data={"name": "A form", "scopes": "signatures:write"}
    ),
    "staff:partner_token_revoke": Sample(page="staff:partner"),
    "staff:partner_webhook_new": Sample(
        page="staff:partner", data={"url": "https://hooks.example.org/chorus"}
    ),
    "staff:partner_webhook_test": Sample(page="staff:partner_webhook"),
    "staff:partner_webhook_off": Sample(page="staff:partner_webhook"),
    "set_language": Sample(page="staff:home", data={"language": "fr", "next": "/staff/"}),
}


# Workspace pages that only show things: they refuse a POST (405), so the walk needs no
# sample for them; tests/hostile/test_read_pages.py holds them to it.
READ_ONLY_PAGES = (
    "petition_preview",
    "staff:home",
    "staff:mailing",
    "staff:mailing_progress",
    "staff:mailings",
    "staff:member",
    "staff:members",
    "staff:members_import_detail",
    "staff:people",
    "staff:petition",
    "staff:petition_bulk_action",
    "staff:petition_fraud",
    "staff:petition_fraud_signatures",
    "staff:petition_reasons",
    "staff:petition_signature",
    "staff:petition_signatures",
    "staff:petition_updates",
    "staff:petitions",
    "staff:segments",
    "staff:partners",
    "staff:partner",
    "staff:partner_webhook",
)


def named_patterns(patterns=None, namespace=(), kwargs=()):
    """(URL name, its keyword arguments) for every named pattern in the URLconf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        names = tuple(
            getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex
        )
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            yield from named_patterns(pattern.url_patterns, inner, kwargs + names)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = ":".join((*namespace, pattern.name))
            if not name.startswith(NOT_WALKED):
                yield name, kwargs + names


def url_names() -> list[str]:
    return sorted({name for name, _ in named_patterns()})


def world_make(petition, owner) -> dict:
    """One real row behind every kind of argument a URL takes, with live tokens."""
    organisation = petition.organisation
    confirmed = SignatureFactory(
        petition=petition,
        state="confirmed",
        show_name=True,
        comment="A reason.",
        confirmed_at=petition.created_at,
    )
    pending = SignatureFactory(petition=petition)
    colleague = UserFactory(username="colleague", role="Campaigner")
    member = MemberFactory(organisation=organisation)
    recipient = RecipientFactory(mailing_id=mailing_sample(organisation), member=member)
    invitation = invitation_create(email="invitee@example.org", role="Analyst", by=owner)
    from petitions.models import Update

    update = Update.objects.create(petition=petition, title="News", body="Body.",
                                   published_at=petition.created_at)  # fmt: skip
    return {
        "petition": petition,
        "owner": owner,
        "signature": confirmed,
        "update": update,
        "colleague": colleague,
        "member": member,
        "recipient": recipient,
        "tokens": {
            "petitions:confirm": signature_confirmation_token(signature=pending),
            "members:optin": optin_link_claim(member=member),
            "mailings:unsubscribe": tokens.recipient_token(recipient.pk, tokens.UNSUBSCRIBE),
            "mailings:click": tokens.recipient_token(recipient.pk, tokens.CLICK),
            "staff_invitation_accept": invitation_token(invitation),
            "rights:copy": rights_link_sample(organisation, confirmed.email, "copy"),
            "rights:erase": rights_link_sample(organisation, confirmed.email, "erase"),
        },
        "invitation": invitation,
        "import_pk": import_sample(organisation, owner),
        "segment_pk": segment_sample(organisation),
        "mailing_pk": recipient.mailing_id,
        "bulk_pk": bulk_action_sample(petition),
        "pack_pk": pack_sample(petition, owner),
        **partner_samples(organisation),
    }


def rights_link_sample(organisation, email: str, purpose: str) -> str:
    """A live link of the Your data page for `email`, as its email would carry it."""
    nonce = secrets.token_urlsafe(24)
    token = rights_token(nonce, purpose)
    RightsRequest.objects.create(
        organisation=organisation,
        purpose=purpose,
        email=email,
        email_key=email_key(email),
        token_nonce=nonce,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(hours=1),
    )
    return token


def _value(kwarg: str, name: str, world) -> str:
    petition = world["petition"]
    values = {
        "slug": petition.slug,
        "pk": petition.pk,
        "signature_pk": world["signature"].pk,
        "update_pk": world["update"].pk,
        "user_pk": world["colleague"].pk,
        "member_pk": world["member"].pk,
        "invitation_pk": world["invitation"].pk,
        "import_pk": world["import_pk"],
        "segment_pk": world["segment_pk"],
        "mailing_pk": world["mailing_pk"],
        "bulk_pk": world["bulk_pk"],
        "pack_pk": world["pack_pk"],
        "partner_pk": world["partner_pk"],
        "apitoken_pk": world["apitoken_pk"],
        "endpoint_pk": world["endpoint_pk"],
        "rest": "no-such-endpoint/",
        "link": 0,
        "page": 2,
        "version": petition.organisation.brand_version,
        "language": "fr",
    }
    if kwarg == "token":
        return world["tokens"].get(name, UNKNOWN_TOKEN)
    if kwarg not in values:
        raise AssertionError(
            f"{name} takes {kwarg!r}: give it a value in tests/hostile/targets.py"
        )
    return str(values[kwarg])


def url_for(name: str, world) -> str:
    [kwarg_names] = [k for n, k in named_patterns() if n == name][:1]
    return reverse(name, kwargs={k: _value(k, name, world) for k in kwarg_names})


def table_rows() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.managed and model._meta.label != "sessions.Session"
    }


@dataclass
class Form:
    method: str
    action: str
    fields: dict = field(default_factory=dict)  # name -> list of values
    max_lengths: dict = field(default_factory=dict)
    files: list = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False

    @property
    def form(self) -> Form | None:
        return self.forms[-1] if self.forms else None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(method=(a.get("method") or "get").lower(),
                                   action=a.get("action") or ""))  # fmt: skip
            return
        form, name = self.form, a.get("name")
        if form is None or not name:
            if tag == "option" and self._select and form is not None:
                self._option(a)
            return
        if "maxlength" in a and a["maxlength"].isdigit():
            form.max_lengths[name] = int(a["maxlength"])
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.setdefault(name, []).append(a.get("value") or "on")
                elif kind == "radio":
                    form.fields.setdefault(name, [])
                    if not form.fields[name]:
                        form.fields[name] = [a.get("value") or ""]
            elif kind not in ("submit", "button", "image", "reset"):
                form.fields.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea":
            self._textarea = name
            form.fields.setdefault(name, []).append("")
        elif tag == "select":
            self._select, self._select_first, self._select_chosen = name, None, False
            form.fields.setdefault(name, [])
        elif tag == "button" and a.get("value") is not None:
            form.fields.setdefault(name, []).append(a["value"])

    def _option(self, a):
        value = a.get("value", "")
        if self._select_first is None:
            self._select_first = value
        if "selected" in a:
            self.form.fields[self._select].append(value)
            self._select_chosen = True

    def handle_data(self, data):
        if self._textarea and self.form is not None:
            self.form.fields[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            if not self._select_chosen and self._select_first is not None:
                self.form.fields[self._select].append(self._select_first)
            self._select = None


def forms_in(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms
