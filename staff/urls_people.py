from django.urls import path

from staff.views import people

urlpatterns = [
    path("", people.people_list, name="people"),
    path("invite/", people.people_invite, name="people_invite"),
    path(
        "invitations/<int:invitation_pk>/revoke/",
        people.people_invitation_revoke,
        name="people_invitation_revoke",
    ),
    path(
        "invitations/<int:invitation_pk>/resend/",
        people.people_invitation_resend,
        name="people_invitation_resend",
    ),
    path("<int:user_pk>/", people.people_person, name="people_person"),
    path("<int:user_pk>/deactivate/", people.people_deactivate, name="people_deactivate"),
    path("<int:user_pk>/reactivate/", people.people_reactivate, name="people_reactivate"),
]
