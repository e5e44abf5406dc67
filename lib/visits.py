"""Petition page views by source, counted cheaply and about no one.

A view of a petition's public page is noted by the page cache as it answers, whether
from memory or freshly rendered: the petition's slug and the share tag the link
carried (`?ch=whatsapp`; none is "direct"); a view of its widget, the partner the
widget's address names (`?partner=<slug>`: source "widget:<slug>", or "widget").
Nothing about the visitor is kept, not even in memory: no address, no cookie, no time
finer than the flush.

Noting is a dict increment under a lock, in this process. Every FLUSH_SECONDS the
thread that notes a view hands the gathered figures to the shared cache (Redis at
scale: one pipelined INCRBY per slug and source), and a periodic job
(petitions.visits.visits_fold) moves them into the database. Like lib.ratelimit it
fails open: with the cache down, views are dropped and pages go on being served.
With the embedded LocMemCache each process counts for itself, so the figures are
whole only with REDIS_URL set or a single process.
"""

import logging
import re
import threading
import time
from collections import Counter

from django.core.cache import cache

log = logging.getLogger(__name__)

FLUSH_SECONDS = 10.0
# A flood of made-up slugs must not grow memory: past this many (slug, source) pairs
# between flushes, new pairs are dropped (real petitions are far fewer).
MAX_PAIRS = 5000
# The public petition page, with or without a language prefix: /p/<slug>/, /fr/p/<slug>/.
# The public petition page, or its embeddable widget (/p/<slug>/embed/).
PETITION_PAGE = re.compile(r"/(?:[a-z]{2}(?:-[a-z]{2,4})?/)?p/([a-z0-9-]{1,80})/(embed/)?")
# A widget's views count per partner (?partner=<slug>, source "widget:<slug>"). Any text
# can be put there, so past this many partner pairs between flushes new ones are dropped,
# and their keys live only an hour: a flood of made-up partners stays small in the cache.
MAX_PARTNER_PAIRS = 200
PARTNER_KEY_SECONDS = 3600
PARTNER_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,60}")
# The share tags worth a counter of their own; set by the petitions app at start-up to its
# channels (lib knows no app). Any other tag counts as direct, as signing drops it too.
share_tags: frozenset[str] = frozenset()
# Keys live long enough for a stopped worker to come back and fold them.
KEY_SECONDS = 7 * 24 * 3600

_lock = threading.Lock()
_pending: Counter = Counter()
_flushed_at = time.monotonic()


def visit_key(slug: str, source: str) -> str:
    return f"visits:{slug}:{source}"


def visit_note(path: str, query_string: str, *, now: float | None = None) -> None:
    """Count one view of `path` if it is a petition page; flush now and then. Never raises."""
    global _flushed_at
    found = PETITION_PAGE.fullmatch(path)
    if found is None:
        return
    if found.group(2):
        source = _widget_source(query_string)
    else:
        source = _source(query_string) if "ch=" in query_string else ""
    moment = time.monotonic() if now is None else now
    with _lock:
        pair = (found.group(1), source)
        if pair in _pending or _room_for(source):
            _pending[pair] += 1
        if moment - _flushed_at < FLUSH_SECONDS:
            return
        _flushed_at = moment
        gathered = dict(_pending)
        _pending.clear()
    visits_push(gathered)


def _source(query_string: str) -> str:
    # Not parse_qs: it costs more than the rest of the note together, and a real tag is
    # plain letters, so nothing needs decoding.
    for field in query_string.split("&", 20):
        if field.startswith("ch="):
            tag = field[3:].lower()
            return tag if tag in share_tags else ""
    return ""


def _widget_source(query_string: str) -> str:
    for field in query_string.split("&", 20):
        if field.startswith("partner="):
            slug = field[8:]
            return f"widget:{slug}" if PARTNER_SLUG.fullmatch(slug) else "widget"
    return "widget"


def _room_for(source: str) -> bool:
    if len(_pending) >= MAX_PAIRS:
        return False
    if source.startswith("widget:"):
        partners = sum(1 for _, known in _pending if known.startswith("widget:"))
        return partners < MAX_PARTNER_PAIRS
    return True


def visits_flush() -> None:
    """Push whatever this process has gathered now (tests, and a process on its way out)."""
    global _flushed_at
    with _lock:
        gathered = dict(_pending)
        _pending.clear()
        _flushed_at = time.monotonic()
    visits_push(gathered)


def visits_push(gathered: dict[tuple[str, str], int]) -> None:
    """Add the figures to the shared cache; on Redis one pipelined round trip."""
    if not gathered:
        return
    backend = getattr(cache, "_cache", None)
    try:
        if hasattr(backend, "get_client"):  # django.core.cache's RedisCache
            names = {pair: cache.make_and_validate_key(visit_key(*pair)) for pair in gathered}
            pipeline = backend.get_client(visit_key("", ""), write=True).pipeline(
                transaction=False
            )
            for pair, count in gathered.items():
                pipeline.incrby(names[pair], count)
                pipeline.expire(names[pair], _seconds(pair[1]))
            pipeline.execute()
            return
        for (slug, source), count in gathered.items():
            key = visit_key(slug, source)
            if not cache.add(key, count, timeout=_seconds(source)):
                cache.incr(key, count)
    except Exception:  # noqa: BLE001 - the cache is down; pages must go on being served
        log.exception("petition page views could not be counted")


def _seconds(source: str) -> int:
    return PARTNER_KEY_SECONDS if source.startswith("widget:") else KEY_SECONDS


def visits_take(slug: str, sources: list[str]) -> dict[str, int]:
    """The views gathered for a petition by source, taken out of the shared cache.

    Each figure is read and then decremented by what was read, so views noted in the
    meantime stay for the next fold and two folds never take the same view twice.
    """
    keys = {visit_key(slug, source): source for source in sources}
    taken = {}
    try:
        for key, count in cache.get_many(list(keys)).items():
            count = int(count or 0)
            if count > 0:
                cache.decr(key, count)
                taken[keys[key]] = count
    except Exception:  # noqa: BLE001
        log.exception("petition page views could not be read")
    return taken
