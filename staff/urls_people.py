from django.urls import path

from staff.views import people

urlpatterns = [
    path("", people.people_list, name="people"),
]
