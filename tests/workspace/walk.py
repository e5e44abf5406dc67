"""Every URL of the workspace, found from its URL modules, with sample arguments.

Tests that must cover every workspace page (each role's access, accessibility, no
internal columns) walk this list, so a page added later is covered without editing
them. Workspace routes name their arguments from a small vocabulary, filled here:
`pk` (a petition), `signature_pk`, `update_pk`, `user_pk`, `invitation_pk`,
`member_pk` (a member), `import_pk` (a member import), `segment_pk` (a segment),
`mailing_pk` (a mailing), `bulk_pk` (a petition's bulk action), `pack_pk` (a petition's
delivery pack) and
`token` (a string the view looks up and refuses when unknown).
"""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

import staff.urls


@dataclass(frozen=True)
class WorkspaceURL:
    name: str
    path: str
    view: object

    @property
    def permission(self) -> str | None:
        return self.view.staff_permission


def _patterns(patterns, prefix: str):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _mount() -> str:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.urlconf_module is staff.urls:
            return "/" + str(entry.pattern)
    raise AssertionError("staff.urls is not mounted")


def workspace_urls(samples: dict[str, object]) -> list[WorkspaceURL]:
    """Every workspace route with its converters filled from `samples`."""
    found = []
    for route, pattern in _patterns(staff.urls.urlpatterns, _mount()):
        path = route
        for key, value in samples.items():
            for converter in ("int", "str", "slug", "path", ""):
                token = f"<{converter}:{key}>" if converter else f"<{key}>"
                path = path.replace(token, str(value))
        assert "<" not in path, f"{route}: add its argument to the samples"
        found.append(WorkspaceURL(name=pattern.name or route, path=path, view=pattern.callback))
    return found
