"""The public side of mailings: what a member's links lead to."""

from django.urls import path

from mailings import views

app_name = "mailings"
urlpatterns = [
    path("m/u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("m/u/", views.unsubscribe_preview, name="unsubscribe_preview"),
    path("m/c/<str:token>/<int:link>/", views.click, name="click"),
    path("m/recognise/", views.recognise_json, name="recognise"),
    path("m/sign/", views.recognised_sign_view, name="sign"),
    path("m/o/<str:token>/", views.open_pixel, name="open"),
]
