"""One petition's tabs: overview, signatures, updates, export (staff/views/petition_tabs.py)."""

urlpatterns: list = []
