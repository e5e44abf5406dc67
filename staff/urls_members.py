from django.urls import path

from staff.views import members

urlpatterns = [
    path("", members.member_list, name="members"),
    path("consent-rules/", members.consent_rules, name="members_consent_rules"),
    path("<int:member_pk>/", members.member_detail, name="member"),
    path("<int:member_pk>/unsubscribe/", members.member_unsubscribe, name="member_unsubscribe"),
    path("<int:member_pk>/suppress/", members.member_suppress, name="member_suppress"),
]
