"""The floors: each app imports only the apps on its own floor or below.

lib (nothing of Chorus) < orgs < jobs, members, partners < petitions < mailings < rights
< staff (the workspace) < chorus (project wiring, which settings name, may import
anything). An app that reached up would tie the foundation to its tenants; this reads
every module's imports, including those inside functions, without running any of them.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each Chorus package and the Chorus packages it may import.
MAY_IMPORT = {
    "lib": set(),
    "orgs": {"lib"},
    "jobs": {"lib", "orgs"},
    "members": {"lib", "orgs"},
    "partners": {"lib", "orgs"},
    "petitions": {"lib", "orgs", "jobs", "members", "partners"},
    "mailings": {"lib", "orgs", "jobs", "members", "partners", "petitions"},
    "rights": {
        "lib",
        "orgs",
        "jobs",
        "members",
        "partners",
        "petitions",
        "mailings",
        "delivery",
    },
    "delivery": {"lib", "orgs", "jobs", "members", "partners", "petitions"},
    "api": {"lib", "orgs", "jobs", "members", "partners", "petitions", "mailings"},
    "staff": {
        "lib",
        "orgs",
        "jobs",
        "members",
        "partners",
        "petitions",
        "mailings",
        "rights",
        "delivery",
        "api",
    },
    "chorus": {
        "lib",
        "orgs",
        "jobs",
        "members",
        "partners",
        "petitions",
        "mailings",
        "rights",
        "delivery",
        "staff",
        "api",
    },
}


def imported_packages(source: str) -> set[str]:
    """The top-level package of every absolute import in `source`."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def floor_violations(root: Path = ROOT) -> list[str]:
    violations = []
    for package, allowed in MAY_IMPORT.items():
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # generated, and frozen in history
            reached = imported_packages(path.read_text()) & set(MAY_IMPORT)
            for name in sorted(reached - allowed - {package}):
                violations.append(f"{path.relative_to(root)} imports {name}")
    return violations


def test_every_app_imports_only_its_floor_or_below():
    assert floor_violations() == []


def test_every_chorus_package_has_a_floor():
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"lib"}

    assert packages <= set(MAY_IMPORT)


def test_an_import_from_a_higher_floor_is_caught(tmp_path):
    for package in MAY_IMPORT:
        (tmp_path / package).mkdir()
    (tmp_path / "members" / "services.py").write_text(
        "from orgs.models import Organisation\ndef later():\n    import petitions.models\n"
    )
    (tmp_path / "orgs" / "views.py").write_text("from petitions.models import Petition\n")
    (tmp_path / "lib" / "text.py").write_text("from jobs import services\n")

    assert floor_violations(tmp_path) == [
        "lib/text.py imports jobs",
        "orgs/views.py imports petitions",
        "members/services.py imports petitions",
    ]
