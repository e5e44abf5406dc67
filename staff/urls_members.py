from django.urls import path

from staff.views import member_imports, members

urlpatterns = [
    path("", members.member_list, name="members"),
    path("consent-rules/", members.consent_rules, name="members_consent_rules"),
    path("export/", member_imports.members_export, name="members_export"),
    path("import/", member_imports.members_import, name="members_import"),
    path(
        "import/<int:import_pk>/",
        member_imports.members_import_detail,
        name="members_import_detail",
    ),
    path(
        "import/<int:import_pk>/start/",
        member_imports.members_import_start,
        name="members_import_start",
    ),
    path(
        "import/<int:import_pk>/cancel/",
        member_imports.members_import_cancel,
        name="members_import_cancel",
    ),
    path("<int:member_pk>/", members.member_detail, name="member"),
    path("<int:member_pk>/unsubscribe/", members.member_unsubscribe, name="member_unsubscribe"),
    path("<int:member_pk>/suppress/", members.member_suppress, name="member_suppress"),
    path("<int:member_pk>/erase/", members.member_erase, name="member_erase"),
]
