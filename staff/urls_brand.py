from django.urls import path

from staff.views import brand

urlpatterns = [
    path("", brand.brand_show, name="brand"),
    path("logo/", brand.brand_logo, name="brand_logo"),
]
