"""No workspace page shows the columns that are only there for Chorus's own machinery.

Signatures carry a keyed hash and a prefix of the signer's network, the confirmation
link's nonce and hash, the public code and the count fold's marks; the job ledger
carries payloads. None of it helps a campaigner, and some of it is personal data. Every
workspace URL (walked from the URL modules, so pages added later are checked too) is
rendered as an owner, who may open them all, with rows whose internal fields hold
values no page would otherwise print.
"""

import re
from html.parser import HTMLParser

import pytest
from django.utils import timezone

from petitions.models import Signature, SignatureEvent, Update
from tests.factories import JobFactory, PetitionFactory, SignatureFactory
from tests.staff import staff_client
from tests.workspace.samples import workspace_walk

pytestmark = pytest.mark.django_db

SENTINELS = {
    "ip_hash": "9f1ce55e7a1d0e5ca1ad1e5ba5e11a5b",
    "ip_prefix": "198.51.100.77/31",
    "token_hash": "70ce17a5b5e47ee1a5cafe0b0a7ba5eb",
    "token_nonce": "n0nceSentinelQwXyZ",
    "code": "c0deSentinelKq7",
}
JOB_SENTINEL = "job-payload-sentinel-8d2f"
# Labels of internal columns, as a page would name them, matched as whole words.
LABELS_ANYWHERE = ["count dirty", "count_dirty", "ip hash", "ip_hash", "ip prefix", "ip_prefix"]
LABELS_ANYWHERE += ["token", "token_hash", "token_nonce", "nonce"]
# "counted" is ordinary English ("only confirmed signatures are counted"), so it is
# refused only where a page names a column or a field: headings of tables, labels, terms.
LABELS_AS_NAMES = ["counted"]
NAMING_TAGS = {"th", "label", "dt", "legend", "option", "caption"}


class _Text(HTMLParser):
    """The text a person reads, and separately the text of elements that name things."""

    def __init__(self):
        super().__init__()
        self.text, self.names, self.open = [], [], []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        for name, value in attrs:
            if name in {"aria-label", "title", "placeholder", "alt"} and value:
                self.text.append(value)

    def handle_endtag(self, tag):
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data):
        if {"script", "style"} & set(self.open):
            return
        self.text.append(data)
        if NAMING_TAGS & set(self.open):
            self.names.append(data)


def _found(labels: list[str], text: str) -> list[str]:
    return [
        label for label in labels if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text, re.I)
    ]


@pytest.fixture
def world():
    owner, client = staff_client("owner")
    petition = PetitionFactory()
    signature = SignatureFactory(
        petition=petition,
        state=Signature.State.CONFIRMED,
        confirmed_at=timezone.now(),
        show_name=True,
        comment="I care about this.",
        counted=True,
        count_dirty=True,
        **SENTINELS,
    )
    SignatureFactory(petition=petition, **{**SENTINELS, "code": SENTINELS["code"][::-1]})
    SignatureEvent.objects.create(signature=signature, from_state="pending", to_state="confirmed")
    update = Update.objects.create(
        petition=petition, title="Handed in", body="We did it.", published_at=timezone.now()
    )
    for kind in ("signature_submitted", "signature_confirmed", "petition_recount"):
        JobFactory(kind=kind, payload={"signature": signature.pk, "net": JOB_SENTINEL})
    walk = workspace_walk(petition=petition, signature=signature, update=update, user=owner)
    return client, walk


def test_no_workspace_page_shows_an_internal_value_or_names_an_internal_column(world):
    client, walk = world
    problems = []
    for url in walk.urls:
        response = client.get(url.path)
        assert response.status_code < 500, f"{url.path}: {response.status_code}"
        # A download is read too: an export must not carry internal values either.
        content = b"".join(response.streaming_content) if response.streaming else response.content
        body = content.decode()
        values = [v for v in [*SENTINELS.values(), JOB_SENTINEL] if v.lower() in body.lower()]
        if "/fraud/" in url.path:
            # The fraud tab shows client networks on purpose: the prefix, nothing finer.
            values = [v for v in values if v != SENTINELS["ip_prefix"]]
        parser = _Text()
        parser.feed(body)
        labels = _found(LABELS_ANYWHERE, " ".join(parser.text))
        labels += _found(LABELS_AS_NAMES, " ".join(parser.names))
        if url.path.startswith(("/staff/partners/", "/staff/audit/")):
            # Partners' API tokens are a feature with that name (shown once, hashed), not
            # a signature's confirmation token; the audit log records their creation.
            labels = [label for label in labels if label != "token"]
        # Form fields and filters named after a column: name="ip_hash", ?count_dirty=1.
        fields = re.findall(
            r"(?:name=[\"']|[?&])(count_dirty|counted|ip_hash|ip_prefix|token_hash|token_nonce)\b",
            body,
        )
        if values or labels or fields:
            problems.append(f"{url.path}: values {values}, labels {labels}, fields {fields}")

    assert problems == [], walk.report() + "\n" + "\n".join(problems)
    assert len(walk.urls) >= 3, walk.report()


def test_the_check_finds_an_internal_value_and_a_label_when_a_page_shows_them():
    parser = _Text()
    parser.feed(
        "<table><tr><th>Counted</th><th>IP hash</th></tr></table><p>all counted</p>"
        "<script>var token = 1;</script><input name='csrfmiddlewaretoken'>"
    )

    assert _found(LABELS_ANYWHERE, " ".join(parser.text)) == ["ip hash"]
    assert _found(LABELS_AS_NAMES, " ".join(parser.names)) == ["counted"]
