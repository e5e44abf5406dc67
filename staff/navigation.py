"""The workspace's sections, in the order the left-hand menu shows them.

Each entry names the permission that opens its first page, so a role only sees the
sections it can use. Later issues add Reports here.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str
    permission: str | None
    # URL names under this prefix mark the section as the current one.
    prefix: str


SECTIONS = [
    Section(_("Petitions"), "staff:petitions", "petitions.view_petition", "/staff/petitions/"),
    Section(_("Members"), "staff:members", "members.view_member", "/staff/members/"),
    Section(_("Mailings"), "staff:mailings", "mailings.view_mailing", "/staff/mailings/"),
    Section(_("Partners"), "staff:partners", "partners.view_partner", "/staff/partners/"),
    Section(_("People"), "staff:people", "auth.view_user", "/staff/people/"),
    Section(_("Organisation"), "staff:brand", "orgs.change_organisation", "/staff/organisation/"),
    Section(_("Audit log"), "staff:audit", "orgs.view_auditevent", "/staff/audit/"),
]


def sections_for(user) -> list[Section]:
    return [s for s in SECTIONS if s.permission is None or user.has_perm(s.permission)]
