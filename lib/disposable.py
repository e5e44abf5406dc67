"""Disposable mail domains: the maintained package's list plus an operator's file.

The disposable-email-domains package is updated with each release of Chorus; the file
named by DISPOSABLE_DOMAINS_FILE (one domain a line, "#" comments, "-domain" to take a
domain off the list) lets an operator add or remove domains without one. The file is
looked at no more than every RECHECK_SECONDS and re-read when its size or time changes.
"""

import logging
import os
import threading
import time

from disposable_email_domains import blocklist
from django.conf import settings

from lib.addresses import email_domain_key

log = logging.getLogger(__name__)

RECHECK_SECONDS = 5.0


class DisposableDomains:
    """The loaded list; one per process (`disposable_domains`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._path = None
        self._stamp = None
        self._checked_at = float("-inf")
        self._domains: frozenset[str] = frozenset()
        self.added = 0
        self.removed = 0

    def domains(self) -> frozenset[str]:
        path = settings.DISPOSABLE_DOMAINS_FILE
        now = time.monotonic()
        if path != self._path or now - self._checked_at >= RECHECK_SECONDS:
            with self._lock:
                self._refresh(path, now)
        return self._domains

    def _refresh(self, path: str, now: float) -> None:
        stamp = _stamp(path)
        self._checked_at = now
        if path == self._path and stamp == self._stamp and self._domains:
            return
        added, removed = _read(path) if stamp else (set(), set())
        self._domains = frozenset((set(blocklist) | added) - removed)
        self.added, self.removed = len(added), len(removed)
        self._path, self._stamp = path, stamp

    def matches(self, domain: str) -> bool:
        """Whether the domain, or a domain it is under, is on the list."""
        domains = self.domains()
        labels = email_domain_key(domain).split(".")
        return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def _stamp(path: str):
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        log.warning("DISPOSABLE_DOMAINS_FILE %s cannot be read; using the package's list", path)
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _read(path: str) -> tuple[set[str], set[str]]:
    added: set[str] = set()
    removed: set[str] = set()
    try:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                entry = line.split("#", 1)[0].strip()
                if not entry:
                    continue
                target = removed if entry.startswith("-") else added
                target.add(email_domain_key(entry.lstrip("-").strip()))
    except OSError:
        log.warning("DISPOSABLE_DOMAINS_FILE %s cannot be read; using the package's list", path)
    return added, removed


disposable_domains = DisposableDomains()


def is_disposable(domain: str) -> bool:
    return disposable_domains.matches(domain)
