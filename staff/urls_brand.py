from django.urls import path

from staff.views import brand

urlpatterns = [
    path("", brand.brand_show, name="brand"),
]
