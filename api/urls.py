from django.urls import path, re_path

from api import views

app_name = "api"
urlpatterns = [
    path("", views.docs, name="docs"),
    path("openapi.json", views.openapi, name="openapi"),
    path("petitions/", views.petition_list, name="petitions"),
    path("petitions/<slug:slug>/", views.petition_detail, name="petition"),
    path("petitions/<slug:slug>/count/", views.petition_count, name="count"),
    path("petitions/<slug:slug>/signatures/", views.petition_sign, name="sign"),
    re_path(r"^(?P<rest>.*)$", views.api_not_found, name="not_found"),
]
