from django.urls import path

from staff.views import petitions

urlpatterns = [
    path("", petitions.petition_list, name="petitions"),
]
