"""The staff area's catalogs (staff/locale): complete, sound, and in step with the code.

* every msgid has a non-empty, non-fuzzy translation in fr, de and es, with the same
  placeholders and the same HTML elements as the English;
* running scripts/staff-messages.sh would add no msgid: a staff string written since
  the last run (wrapped in gettext or {% translate %}) fails here until it is extracted
  and translated;
* every model choice the staff area shows has its label in staff/labels.py.
"""

import re
import shutil
import subprocess
from collections import Counter
from importlib import import_module
from pathlib import Path

import pytest

from staff import labels
from tests.staff_i18n.po import entries

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "staff" / "locale"
LANGUAGES = ["fr", "de", "es"]
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sd]|%[sd]|\{[a-z_0-9]*\}|\{\{[a-z_|]+\}\}")
ELEMENT = re.compile(r"<([a-z][a-z0-9]*)\b")


def _catalog(language: str):
    return entries(LOCALE / language / "LC_MESSAGES" / "django.po")


def _live(language: str):
    return [e for e in _catalog(language) if not e.obsolete]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_staff_string_is_translated(language):
    untranslated = [
        e.msgid for e in _live(language) if e.fuzzy or not e.msgstr or not all(e.msgstr)
    ]

    assert len(_live(language)) > 900
    assert untranslated == [], f"{len(untranslated)} untranslated in {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_and_the_markup(language):
    wrong = []
    for entry in _live(language):
        english = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        for index, translated in enumerate(entry.msgstr):
            source = english[min(index, len(english) - 1)]
            if Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(translated)):
                wrong.append((source, translated))
            if Counter(ELEMENT.findall(source)) != Counter(ELEMENT.findall(translated)):
                wrong.append((source, translated))

    assert wrong == []


def test_a_translation_that_drops_a_placeholder_is_caught():
    source, translated = "Hello %(name)s, {limit} left", "Bonjour, {limit} restants"

    assert Counter(PLACEHOLDER.findall(source)) != Counter(PLACEHOLDER.findall(translated))


def test_the_catalogs_hold_the_same_msgids_in_every_language():
    msgids = {language: {e.msgid for e in _live(language)} for language in LANGUAGES}

    assert msgids["fr"] == msgids["de"] == msgids["es"]


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_extracting_again_adds_no_msgid(tmp_path):
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE, copy, ignore=shutil.ignore_patterns("*.mo"))

    subprocess.run([ROOT / "scripts" / "staff-messages.sh", copy], check=True, timeout=300)

    for language in LANGUAGES:
        before = {e.msgid for e in _live(language)}
        after = {
            e.msgid
            for e in entries(copy / language / "LC_MESSAGES" / "django.po")
            if not e.obsolete
        }
        assert after - before == set(), f"run scripts/staff-messages.sh ({language})"
        assert before - after == set(), "stale msgids: run scripts/staff-messages.sh"


def _labels_of(dotted: str) -> list[str]:
    """The labels of a TextChoices or of a list of pairs, or the values of a dict, named by
    its dotted path."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            found = import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            found = getattr(found, name)
        if isinstance(found, dict):
            values = found.values()
        elif isinstance(found, list):  # (value, label) pairs, as Petition.DELIVERY_FIELDS
            values = [label for _value, label in found]
        else:
            values = found.labels
        return [str(label) for label in values]
    raise AssertionError(f"{dotted} not found")


def test_every_choice_the_staff_area_shows_has_its_label_in_the_catalog():
    listed = set(labels.LABELS)
    missing = [
        label for dotted in labels.CHOICES for label in _labels_of(dotted) if label not in listed
    ]

    assert missing == [], "add these to staff/labels.py, then run scripts/staff-messages.sh"
    assert listed <= {e.msgid for e in _live("fr")}
    assert "Open for signatures" in _labels_of("petitions.models.Petition.Status")
