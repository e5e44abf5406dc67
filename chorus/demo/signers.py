"""A few weeks of demo signers, made up deterministically so screenshots stay stable.

Names, places, channels and reasons are drawn from the lists below with a seeded
random generator; the busiest days are the latest, with one spike (the day a news
story ran). Addresses are on example.org, which can never receive mail.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from lib.addresses import normalised_email_key
from members.consent import OPT_IN_WORDING_VERSION
from petitions.models import Channel, Signature, new_public_code

SIGNER_DOMAIN = "demo.example.org"


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


FIRST_NAMES = _names(
    """
    Amara, Wei, Sofía, Oluwaseun, Priya, Mateus, Leila, Kenji, Ingrid, Tomasz, Aisha,
    Diego, Mei, Kwame, Hana, Rafael, Zeynep, Lars, Nadia, Thabo, Camille, Arjun, Yara,
    Jonas, Fatima, Mikael, Ananya, Chidi, Elif, Santiago, Sakura, Björn, Lucía, Emeka,
    Noor, Pablo, Ivana, Kofi, Aroha, Dmitri, Beatriz, Farid, Saoirse, Tuan, Marta,
    Ravi, Chiara, Jamal, Eun-ji, Malik, Astrid, Juan, Ngozi, Ola, Rosa, Sven, Taini,
    Vikram, Zainab, Hugo, Anouk, Iker, Lena, Musa, Paulo, Sina
    """
)
LAST_NAMES = _names(
    """
    Okafor, Chen, García, Adeyemi, Sharma, Silva, Haddad, Tanaka, Larsen, Nowak, Khan,
    Hernández, Wong, Mensah, Kim, Costa, Yılmaz, Andersson, Benali, Nkosi, Dubois,
    Patel, Nasser, Schmidt, Rahman, Virtanen, Iyer, Eze, Demir, Rojas, Sato, Eriksson,
    Fernández, Obi, Hussain, Moreno, Horvat, Owusu, Ngata, Petrov, Santos, Karimi,
    O'Brien, Nguyen, Kowalski, Reddy, Romano, Jackson, Park, Bakr, Johansson, López,
    Okonkwo, Berg, Díaz, Müller, Begay, Singh, Abubakar, Lefèvre, de Vries, Etxeberria
    """
)
# fmt: off
# Countries and how often signers come from each (weights, not percentages).
COUNTRIES = {
    "GB": 30, "US": 26, "DE": 14, "FR": 11, "NL": 8, "IE": 6, "ES": 7, "IT": 6, "CA": 7,
    "AU": 5, "BR": 5, "IN": 5, "NG": 4, "ZA": 3, "SE": 4, "PL": 3, "KE": 2, "JP": 2,
    "MX": 2, "NZ": 2, "PT": 2, "BE": 3,
}
# fmt: on
CHANNELS = {
    Channel.DIRECT: 30,
    Channel.FACEBOOK: 16,
    Channel.X: 9,
    Channel.WHATSAPP: 17,
    Channel.EMAIL: 8,
    Channel.LINK: 7,
    Channel.MAILING: 10,
    Channel.TELEGRAM: 3,
}
REASONS = [
    "I posted my children's photos for family, not for a face search engine.",
    "My face is not raw material for anyone's product.",
    "Photos I shared years ago should not follow me forever.",
    "Privacy is a right, not a setting buried in a menu.",
    "I work with refugees. Being findable by a photo can put people in danger.",
    "The network's own rules forbid this. It should enforce them.",
    "Nobody asked me, and I would have said no.",
    "Tell us what happened to our pictures.",
    "I am a photographer and my clients trusted me with their images.",
    "Because a stranger should not learn my name from one snapshot.",
    "Delete what was taken. All of it.",
    "My sister was stalked. This makes it so much easier.",
]
# Days back (0 = today) weighted so the latest fortnight is the busiest, with a spike
# the day a newspaper picked the story up.
DAYS = 21
SPIKE_DAYS_AGO = 6
# Hours of the day (UTC) people sign in, roughly: quiet at night, busy in the evening.
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 6, 6, 7, 8, 10, 11, 10, 8, 5, 2]


@dataclass(frozen=True)
class Plan:
    confirmed: int
    pending: int = 0
    invalidated: int = 0
    seed: int = 2020


def _day_weight(days_ago: int) -> float:
    weight = 4 + (DAYS - days_ago) * 1.6
    return weight * 5 if days_ago == SPIKE_DAYS_AGO else weight


def _pick(chooser: random.Random, weighted: dict):
    return chooser.choices(list(weighted), weights=list(weighted.values()))[0]


def _moment(chooser: random.Random, now: datetime) -> datetime:
    """A moment in the last DAYS days, never in the future."""
    days_ago = chooser.choices(range(DAYS), weights=[_day_weight(d) for d in range(DAYS)])[0]
    hour = chooser.choices(range(24), weights=HOUR_WEIGHTS)[0]
    day = (now - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
    moment = day + timedelta(seconds=chooser.randrange(3600))
    if moment >= now:  # later today: somewhere between midnight and now instead
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        moment = midnight + (now - midnight) * chooser.random()
    return moment


def demo_signatures(*, petition_id: int, now: datetime, plan: Plan) -> list[Signature]:
    """Unsaved signatures: `plan.confirmed` confirmed, `plan.pending` pending, then
    `plan.invalidated` more confirmed ones for the caller to invalidate.

    Each has its own address (so none collides with the one-live-signature rule); about
    one in five shows their name, and most of those give a reason.
    """
    chooser = random.Random(plan.seed)
    total = plan.confirmed + plan.pending + plan.invalidated
    signatures = []
    for number in range(total):
        first, last = chooser.choice(FIRST_NAMES), chooser.choice(LAST_NAMES)
        email = f"{_local_part(first)}.{_local_part(last)}.{number}@{SIGNER_DOMAIN}"
        if plan.confirmed <= number < plan.confirmed + plan.pending:
            state, confirmed_at = Signature.State.PENDING, None
            created_at = now - timedelta(minutes=chooser.randrange(10, 2 * 24 * 60))
        else:
            # The invalidated ones (the last) too: staff invalidate them once saved.
            state, confirmed_at = Signature.State.CONFIRMED, _moment(chooser, now)
            created_at = confirmed_at - timedelta(seconds=chooser.randrange(40, 3 * 3600))
        show_name = chooser.random() < 0.22
        opt_in = chooser.random() < 0.4
        signatures.append(
            Signature(
                petition_id=petition_id,
                code=new_public_code(),
                state=state,
                email=email,
                email_key=normalised_email_key(email),
                first_name=first,
                last_name=last,
                country=_pick(chooser, COUNTRIES),
                comment=chooser.choice(REASONS) if show_name and chooser.random() < 0.7 else "",
                show_name=show_name,
                opt_in=opt_in,
                opt_in_wording_version=OPT_IN_WORDING_VERSION if opt_in else "",
                language="en",
                channel=_pick(chooser, CHANNELS),
                confirmed_at=confirmed_at,
                # Signing sets its own time when saved; the caller writes this one back.
                created_at=created_at,
            )
        )
    return signatures


def _local_part(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "signer"
