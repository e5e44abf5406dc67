"""The workspace's sections, in the order the left-hand menu shows them.

Each entry names the permission that opens its first page, so a role only sees the
sections it can use. Later issues add Reports here.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    permission: str | None
    # URL names under this prefix mark the section as the current one.
    prefix: str


SECTIONS = [
    Section("Petitions", "staff:petitions", "petitions.view_petition", "/staff/petitions/"),
    Section("Members", "staff:members", "members.view_member", "/staff/members/"),
    Section("Mailings", "staff:mailings", "mailings.view_mailing", "/staff/mailings/"),
    Section("Partners", "staff:partners", "partners.view_partner", "/staff/partners/"),
    Section("People", "staff:people", "auth.view_user", "/staff/people/"),
    Section("Organisation", "staff:brand", "orgs.change_organisation", "/staff/organisation/"),
    Section("Audit log", "staff:audit", "orgs.view_auditevent", "/staff/audit/"),
]


def sections_for(user) -> list[Section]:
    return [s for s in SECTIONS if s.permission is None or user.has_perm(s.permission)]
