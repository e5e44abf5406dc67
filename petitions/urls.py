from django.urls import path

from petitions import embed_views, views

app_name = "petitions"
urlpatterns = [
    path("p/<slug:slug>/", views.petition_detail, name="detail"),
    path("p/<slug:slug>/signers/", views.signers, name="signers"),
    path("p/<slug:slug>/signers/<int:page>/", views.signers, name="signers_page"),
    path("p/<slug:slug>/updates/<int:page>/", views.updates, name="updates_page"),
    path("p/<slug:slug>/sign/", views.sign, name="sign"),
    path("p/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("p/<slug:slug>/resend/", views.resend, name="resend"),
    path("p/<slug:slug>/confirmed/", views.confirmed, name="confirmed"),
    path("p/<slug:slug>/me.json", views.visitor_state, name="visitor"),
    path("p/<slug:slug>/count.json", views.count_json, name="count"),
    # The embeddable widget: the only pages other sites may frame (docs/widget.md).
    path("p/<slug:slug>/embed/", embed_views.embed, name="embed"),
    path("p/<slug:slug>/embed/thanks/", embed_views.embed_thanks, name="embed_thanks"),
    path("c/<str:token>/", views.confirm, name="confirm"),
]
