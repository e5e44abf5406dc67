"""The laptop demo `make run` loads (manage.py chorus_demo): a campaign with an image of
Chorus's own making, a few weeks of signers, updates, and two staff logins."""
