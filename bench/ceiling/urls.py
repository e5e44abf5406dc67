from django.urls import path

from ceiling import views

urlpatterns = [
    path("bare/", views.bare),
    path("csrf.json", views.csrf),
    path("sign/", views.sign),
]
