from django.urls import path

from members import views

app_name = "members"
urlpatterns = [
    path("m/opt-in/<str:token>/", views.optin, name="optin"),
]
