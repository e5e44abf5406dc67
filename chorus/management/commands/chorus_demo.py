"""Load the demo organisation, its staff roles and the demo petition. Safe to run again.

For a laptop (`make run`) only: production sets up with `migrate` and
`chorus_create_owner`, which load no petition and no demo login.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand

from orgs.models import Organisation
from orgs.roles import roles_ensure, staff_user_ensure
from petitions.models import Petition, Source
from petitions.services import petition_publish

DEMO_SLUG = "stop-face-scraping"

STORY = """\
Every day, millions of us post photos of our families, our friends and
ourselves. We share them with people we know. We never agreed to share them
with a company that builds face-recognition tools.

Reporters found that one such company copied billions of photos from social
networks, without asking anyone, and used them to build a search engine for
faces. Upload a picture of a stranger, and it can find other photos of that
person, and often their name.

**The social network holds the key.** Its own rules forbid scraping, but rules
on paper do not stop scrapers. It can block the scraping, demand that the
company deletes the photos it took, and tell us, its users, what happened to
our pictures.

Our faces are not raw material. Sign now and tell the network to stop the
scraping of our photos.
"""


class Command(BaseCommand):
    help = "Load the demo organisation, roles, a staff login and the demo petition."

    def handle(self, *args, **options):
        organisation = Organisation.objects.current() or Organisation.objects.create(
            name="Open Faces Alliance",
            postal_address="12 Example Street\nLondon N1 0AA\nUnited Kingdom",
            privacy_email="privacy@openfaces.example",
        )
        roles_ensure()
        login_file = settings.DATA_DIR / "demo-login.txt"
        staff_user_ensure(password_file=login_file)
        petition, created = Petition.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "organisation": organisation,
                "title": "Stop the scraping of our photos for face recognition",
                "target": "PhotoCircle, the social network",
                "summary": "A face-recognition company is copying our photos from "
                "PhotoCircle. Tell the network to stop it.",
                "story": STORY,
            },
        )
        if created:
            Source.objects.bulk_create(
                [
                    Source(
                        petition=petition,
                        position=1,
                        publisher="CBS News",
                        published_on=datetime.date(2020, 2, 5),
                        title="Google, YouTube, Venmo and LinkedIn send cease-and-desist "
                        "letters to facial recognition app that helps law enforcement",
                        url="https://www.cbsnews.com/news/clearview-ai-google-youtube-send-"
                        "cease-and-desist-letter-to-facial-recognition-app/",
                    ),
                    Source(
                        petition=petition,
                        position=2,
                        publisher="The New York Times",
                        published_on=datetime.date(2020, 1, 18),
                        title="The Secretive Company That Might End Privacy as We Know It",
                        url="https://www.nytimes.com/2020/01/18/technology/"
                        "clearview-privacy-facial-recognition.html",
                    ),
                ]
            )
        if petition.status == Petition.Status.DRAFT:
            petition_publish(petition=petition)
        self.stdout.write(f"Demo petition: {settings.BASE_URL}{petition.get_absolute_url()}")
        self.stdout.write(f"Staff area:    {settings.BASE_URL}/staff/")
        # The password goes to its owner-only file, never to the terminal or a log.
        if login_file.exists():
            self.stdout.write(f"Staff login:   campaigner, password in {login_file}")
        else:
            self.stdout.write(
                f"Staff login:   campaigner; its file {login_file} is gone: "
                "set a new password with `manage.py changepassword campaigner`"
            )
