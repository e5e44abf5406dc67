"""Share links on the petition page: one per channel, tagged, each with its own icon."""

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

CSS = Path(settings.BASE_DIR) / "static" / "chorus" / "chorus.css"
CHANNELS = ["facebook", "x", "whatsapp", "telegram", "email", "link"]


def _share_links(html: str) -> dict[str, tuple[str, str]]:
    block = re.search(r'<ul class="share".*?</ul>', html, re.S)
    assert block, "no share links on the page"
    return {
        channel: (href, text.strip())
        for channel, href, text in re.findall(
            r'<a class="share-([a-z]+)" href="([^"]+)"[^>]*>([^<]+)</a>', block[0]
        )
    }


def test_the_petition_page_has_a_share_link_for_every_channel(public_client, petition):
    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()

    links = _share_links(html)

    assert list(links) == CHANNELS
    assert [text for _, text in links.values()] == [
        "Facebook",
        "X",
        "WhatsApp",
        "Telegram",
        "Email",
        "Copy link",
    ]


def test_each_share_link_carries_its_channel_tag(public_client, petition):
    html = public_client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()

    for channel, (href, _) in _share_links(html).items():
        href = href.replace("&amp;", "&")
        shared = unquote(href) if channel == "email" else href
        for values in parse_qs(urlsplit(shared).query).values():
            shared += " " + " ".join(values)
        assert f"ch={channel}" in unquote(shared), f"{channel}: {href}"


@pytest.mark.parametrize("channel", CHANNELS)
def test_each_channel_has_its_own_self_hosted_icon(channel):
    css = CSS.read_text()

    rule = re.search(rf"\.share-{channel}::before\s*{{[^}}]*url\(\"(icons/[^\"]+)\"\)", css)

    assert rule, f"no icon for {channel} in chorus.css"
    icon = CSS.parent / rule[1]
    assert icon.is_file()
    assert icon.read_text().startswith("<svg"), "an icon is an SVG file of Chorus's own"
    assert "<script" not in icon.read_text() and "href" not in icon.read_text()


def test_the_staff_preview_has_no_share_links(owner_client, petition):
    html = owner_client.get(reverse("petition_preview", args=[petition.pk])).content.decode()

    assert '<ul class="share"' not in html
