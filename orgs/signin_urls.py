"""The staff sign-in steps, included under the staff area's prefix (chorus/urls.py).

Listed before the Django admin there, so that the admin's own login and logout URLs
resolve to these views.
"""

from django.urls import path

from orgs import views

urlpatterns = [
    path("login/", views.sign_in, name="staff_sign_in"),
    path("login/code/", views.second_factor, name="staff_second_factor"),
    path("login/setup/", views.enrol, name="staff_enrol"),
    path("login/recovery-codes/", views.recovery_codes, name="staff_recovery_codes"),
    path("logout/", views.sign_out, name="staff_sign_out"),
    # Outside the workspace's namespace: the invitee is not signed in yet.
    path("join/<str:token>/", views.invitation_accept, name="staff_invitation_accept"),
]
