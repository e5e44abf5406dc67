"""A small reader of gettext .po files: enough for the catalog tests (no dependency)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgstr: list[str] = field(default_factory=list)
    fuzzy: bool = False
    obsolete: bool = False


def _text(chunks: list[str]) -> str:
    return "".join(ast.literal_eval(chunk) for chunk in chunks)


def entries(path) -> list[Entry]:
    """Every entry but the header, in file order."""
    found = []
    for block in re.split(r"\n\s*\n", Path(path).read_text(encoding="utf-8")):
        entry = Entry()
        key, chunks, parts = None, [], {}
        for line in block.splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
                continue
            if line.startswith("#,") and "fuzzy" in line:
                entry.fuzzy = True
            if line.startswith("#") or not line.strip():
                continue
            match = re.match(r'(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt)\s+(".*")$', line)
            if match:
                if key:
                    parts[key] = _text(chunks)
                key, chunks = match.group(1), [match.group(2)]
            else:
                chunks.append(line.strip())
        if key:
            parts[key] = _text(chunks)
        if "msgid" not in parts or parts["msgid"] == "":
            continue
        entry.msgid = parts["msgid"]
        entry.msgid_plural = parts.get("msgid_plural", "")
        entry.msgstr = [v for k, v in sorted(parts.items()) if k.startswith("msgstr")]
        found.append(entry)
    return found
