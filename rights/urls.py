from django.urls import path

from rights import views

app_name = "rights"
urlpatterns = [
    path("your-data/", views.request_form, name="request"),
    path("your-data/requested/", views.requested, name="requested"),
    path("your-data/erased/", views.erased, name="erased"),
    path("your-data/copy/<str:token>/", views.copy, name="copy"),
    path("your-data/erase/<str:token>/", views.erase, name="erase"),
]
