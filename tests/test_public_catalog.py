"""The public catalog (locale/): every string translated into every language, and no
string on the public side that the catalog does not hold yet (docs/languages.md)."""

import ast
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
CATALOG_LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
# Everything makemessages reads, copied so that running it changes nothing here.
COPIED = [
    "api",
    "chorus",
    "delivery",
    "lib",
    "jobs",
    "members",
    "mailings",
    "partners",
    "petitions",
    "rights",
]


def _unquote(lines: list[str]) -> str:
    """A PO string's lines joined: its escapes (\\" \\\\ \\n) are Python's too."""
    return "".join(ast.literal_eval(line[line.index('"') :]) for line in lines)


def entries(po: Path) -> list[dict]:
    """The catalog's entries (not its header): msgid, msgid_plural, msgstrs, flags."""
    found = []
    for block in po.read_text(encoding="utf-8").strip().split("\n\n"):
        fields: dict[str, list[str]] = {}
        flags = ""
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current].append(line)
            else:
                current, _, rest = line.partition(" ")
                fields[current] = [rest]
        msgid = _unquote(fields.get("msgid", ['""']))
        if not msgid:
            continue
        found.append(
            {
                "msgid": msgid,
                "plural": _unquote(fields["msgid_plural"]) if "msgid_plural" in fields else None,
                "msgstrs": [_unquote(v) for k, v in fields.items() if k.startswith("msgstr")],
                "flags": flags,
            }
        )
    return found


def _catalog(language: str) -> Path:
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_string_is_translated_without_fuzzy_entries(language):
    found = entries(_catalog(language))

    assert len(found) > 200
    untranslated = [e["msgid"] for e in found if not all(s.strip() for s in e["msgstrs"])]
    fuzzy = [e["msgid"] for e in found if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_every_translation_keeps_the_placeholders_of_its_english(language):
    wrong = []
    for entry in entries(_catalog(language)):
        for source, translated in zip(
            [entry["msgid"], entry["plural"] or entry["msgid"]],
            entry["msgstrs"] if entry["plural"] else entry["msgstrs"] * 2,
            strict=False,
        ):
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translated)):
                wrong.append(entry["msgid"])
    assert wrong == []


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_the_catalog_compiles_cleanly(language, tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(_catalog(language))],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


def _makemessages_args() -> list[str]:
    """scripts/public-messages.env's PUBLIC_MESSAGES_ARGS, as the script passes them."""
    text = (ROOT / "scripts" / "public-messages.env").read_text()
    start = text.index("PUBLIC_MESSAGES_ARGS=(") + len("PUBLIC_MESSAGES_ARGS=(")
    body = text[start : text.index("\n)", start)]
    lines = [line.split("#")[0] for line in body.splitlines()]
    return shlex.split(" ".join(lines))


def _options(args: list[str]) -> dict:
    options = {"locale": [], "ignore_patterns": []}
    pairs = iter(args)
    for arg in pairs:
        if arg == "-l":
            options["locale"].append(next(pairs))
        elif arg == "-i":
            options["ignore_patterns"].append(next(pairs))
        elif arg.startswith("--add-location="):
            options["add_location"] = arg.split("=", 1)[1]
        elif arg == "--no-obsolete":
            options["no_obsolete"] = True
        else:
            raise AssertionError(f"teach this test about {arg}")
    return options


def test_makemessages_would_add_no_string_the_catalog_does_not_hold(tmp_path, monkeypatch):
    """A public string marked for translation but missing from locale/ fails here: run
    scripts/public-messages.sh and translate what it adds."""
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    shutil.copytree(ROOT / "locale", tmp_path / "locale", ignore=shutil.ignore_patterns("*.mo"))
    shutil.copytree(ROOT / "staff", tmp_path / "staff")  # ignored by the arguments
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [tmp_path / "locale"])

    call_command("makemessages", verbosity=0, **_options(_makemessages_args()))

    for language in CATALOG_LANGUAGES:
        held = {(e["msgid"], e["plural"]) for e in entries(_catalog(language))}
        made = tmp_path / _catalog(language).relative_to(ROOT)
        wanted = {(e["msgid"], e["plural"]) for e in entries(made)}
        assert sorted(wanted - held) == [], f"new strings for {language}"
        assert sorted(held - wanted) == [], f"strings {language} holds that nothing uses"


def test_the_public_catalog_leaves_the_staff_areas_strings_to_its_own():
    held = {e["msgid"] for e in entries(_catalog("fr"))}

    assert "Translations" not in held  # a workspace tab's name (staff/locale)
    assert "Sign the petition" in held
