"""Property tests of the canonical email key (lib.addresses, rule EMAIL_KEY_VERSION)."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lib.addresses import EMAIL_KEY_VERSION, InvalidEmail, email_key

PROVIDER_DOMAINS = [
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.co.uk",
    "fastmail.com",
    "icloud.com",
    "me.com",
    "proton.me",
    "pm.me",
    "yahoo.com",
]
OTHER_DOMAINS = ["example.org", "bücher.example", "xn--bcher-kva.example", "a.b.example.net"]

atoms = st.from_regex(r"[A-Za-z0-9_\-]{1,8}", fullmatch=True)
dotted = st.lists(atoms, min_size=1, max_size=4).map(".".join)
tags = st.from_regex(r"[a-z0-9]{0,6}", fullmatch=True)
domains = st.sampled_from(PROVIDER_DOMAINS + OTHER_DOMAINS)


@st.composite
def addresses(draw, domains=domains) -> str:
    local = draw(dotted)
    if draw(st.booleans()):
        local += "+" + draw(tags)
    return f"{local}@{draw(domains)}"


def _key(address: str) -> str:
    try:
        return email_key(address)
    except InvalidEmail:
        assume(False)  # a local part the generator made longer than 64: not an address
        raise


@settings(max_examples=150)
@given(address=addresses())
def test_the_key_is_idempotent(address):
    key = _key(address)

    assert key.startswith(f"{EMAIL_KEY_VERSION}:")
    assert email_key(key.partition(":")[2]) == key


@settings(max_examples=150)
@given(address=addresses(), flips=st.lists(st.booleans(), min_size=1, max_size=40))
def test_the_case_of_the_domain_never_matters(address, flips):
    local, _, domain = address.rpartition("@")
    shouted = "".join(
        c.upper() if flips[i % len(flips)] else c.lower() for i, c in enumerate(domain)
    )

    assert _key(f"{local}@{shouted}") == _key(address)


gmail_names = st.from_regex(r"[a-z0-9]{2,20}", fullmatch=True)


@st.composite
def gmail_spellings(draw, name: str) -> str:
    """The same Gmail mailbox, spelled with dots, capitals and a +tag."""
    cuts = sorted(draw(st.sets(st.integers(1, len(name) - 1), max_size=len(name) - 1)))
    pieces = [name[i:j] for i, j in zip([0, *cuts], [*cuts, len(name)], strict=True)]
    local = ".".join(pieces)
    local = "".join(c.upper() if draw(st.booleans()) else c for c in local)
    if draw(st.booleans()):
        local += "+" + draw(tags)
    return f"{local}@{draw(st.sampled_from(['gmail.com', 'googlemail.com', 'GMail.com']))}"


@settings(max_examples=150)
@given(data=st.data(), name=gmail_names)
def test_gmail_dots_tags_and_aliases_never_matter(data, name):
    spelling = data.draw(gmail_spellings(name))

    assert _key(spelling) == f"{EMAIL_KEY_VERSION}:{name}@gmail.com"


@settings(max_examples=150)
@given(data=st.data(), one=gmail_names, other=gmail_names)
def test_different_gmail_mailboxes_never_collide(data, one, other):
    assume(one != other)

    first = data.draw(gmail_spellings(one))
    second = data.draw(gmail_spellings(other))

    assert _key(first) != _key(second)


@settings(max_examples=150)
@given(address=addresses(domains=st.sampled_from(OTHER_DOMAINS)))
def test_outside_the_providers_the_local_part_is_kept_but_for_case(address):
    local, _, domain = address.rpartition("@")

    assert _key(address).partition(":")[2].rpartition("@")[0] == local.lower()


# The rule, version 2, written out again as plainly as possible. If the rule changes
# without a new EMAIL_KEY_VERSION, stored keys would silently stop matching: this fails.
RULE_2 = {
    "gmail.com": ("gmail.com", True, "."),
    "googlemail.com": ("gmail.com", True, "."),
    "proton.me": ("proton.me", True, "._-"),
    "pm.me": ("proton.me", True, "._-"),
    "me.com": ("icloud.com", True, ""),
    "icloud.com": ("icloud.com", True, ""),
    "outlook.com": ("outlook.com", True, ""),
    "hotmail.co.uk": ("hotmail.co.uk", True, ""),
    "fastmail.com": ("fastmail.com", True, ""),
}
A_LABELS = {"bücher.example": "xn--bcher-kva.example"}


def _rule_2(address: str) -> str:
    local, _, domain = address.lower().rpartition("@")
    domain = A_LABELS.get(domain, domain)
    if domain in RULE_2:
        domain, plus, ignored = RULE_2[domain]
        if plus:
            local = local.split("+", 1)[0] or local
        local = "".join(c for c in local if c not in ignored) or "_"
    return f"2:{local}@{domain}"


@settings(max_examples=500)
@given(address=addresses())
def test_the_key_of_any_address_is_the_one_its_rule_version_promises(address):
    assert EMAIL_KEY_VERSION == 2, "a new rule: write it out here as RULE_<n>"
    assert _key(address) == _rule_2(address)


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("Ada.Lovelace+news@GoogleMail.com", "2:adalovelace@gmail.com"),
        ("ada_love-lace@protonmail.ch", "2:adalovelace@proton.me"),
        ("Ada+x@mac.com", "2:ada@icloud.com"),
        ("ada+x@live.co.uk", "2:ada@live.co.uk"),
        ("ada-x@yahoo.com", "2:ada-x@yahoo.com"),
        ("Ada.L+x@Example.ORG", "2:ada.l+x@example.org"),
        ("zoë@Bücher.example", "2:zoë@xn--bcher-kva.example"),
    ],
)
def test_rule_2_keys_as_stored(address, key):
    assert email_key(address) == key
