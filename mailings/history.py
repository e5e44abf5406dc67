"""One member's mailings, for the workspace's member page: what they received and clicked."""

from mailings.models import Click, Recipient

MAILINGS_SHOWN = 50
CLICKS_SHOWN = 50


def member_mailings(*, member_id: int, limit: int | None = None) -> tuple[list[dict], int]:
    """The latest mailings sent to a member (newest first, at most `limit`, by default
    MAILINGS_SHOWN), and how many they received in all."""
    limit = limit or MAILINGS_SHOWN
    received = Recipient.objects.filter(member_id=member_id, sent_at__isnull=False)
    rows = (
        received.select_related("mailing")
        .only(
            "sent_at",
            "clicks",
            "first_clicked_at",
            "signed_at",
            "unsubscribed_at",
            "bounced_at",
            "bounce_kind",
            "complained_at",
            "mailing__name",
            "mailing__subject",
        )
        .order_by("-sent_at", "-id")[:limit]
    )
    out = [_row(recipient) for recipient in rows]
    total = len(out) if len(out) < limit else received.count()
    return out, total


def _row(recipient: Recipient) -> dict:
    outcome = ""
    if recipient.complained_at:
        outcome = "Complained"
    elif recipient.bounced_at:
        outcome = f"Bounced ({recipient.bounce_kind or 'hard'})"
    elif recipient.unsubscribed_at:
        outcome = "Unsubscribed"
    return {
        "mailing_id": recipient.mailing_id,
        "name": recipient.mailing.name,
        "sent_at": recipient.sent_at,
        "clicks": recipient.clicks,
        "first_clicked_at": recipient.first_clicked_at,
        "signed_at": recipient.signed_at,
        "outcome": outcome,
    }


def member_clicks(*, member_id: int, limit: int = CLICKS_SHOWN) -> list[dict]:
    """The member's latest clicks on mailing links, newest first, with where each led."""
    clicks = (
        Click.objects.filter(recipient__member_id=member_id)
        .select_related("recipient__mailing")
        .only("at", "link", "recipient__mailing__name", "recipient__mailing__links")
        .order_by("-at", "-id")[:limit]
    )
    rows = []
    for click in clicks:
        mailing = click.recipient.mailing
        links = mailing.links if isinstance(mailing.links, list) else []
        rows.append(
            {
                "at": click.at,
                "mailing": mailing.name,
                "url": links[click.link] if click.link < len(links) else "",
            }
        )
    return rows
