"""Signers' reasons on one petition, and hiding them (staff/views/reasons.py)."""

urlpatterns: list = []
