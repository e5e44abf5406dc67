"""Segments of members, built from conditions, under Mailings."""

urlpatterns: list = []
