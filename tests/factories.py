"""factory-boy factories for the models tests build on."""

import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone
from factory.django import DjangoModelFactory

from jobs.models import Job
from lib.addresses import email_key
from members.models import Member
from orgs.models import Organisation
from partners.models import Partner
from petitions.models import Petition, Signature


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = "Open Faces Alliance"
    postal_address = "12 Example Street\nLondon N1 0AA"
    privacy_email = "privacy@openfaces.example"


class PetitionFactory(DjangoModelFactory):
    class Meta:
        model = Petition

    organisation = factory.SubFactory(OrganisationFactory)
    slug = factory.Sequence(lambda n: f"petition-{n}")
    title = factory.Sequence(lambda n: f"Stop the scraping of our photos, part {n}")
    target = "PhotoCircle, the social network"
    summary = "Tell the network to stop it."
    story = "Our faces are **not** raw material."
    status = Petition.Status.OPEN
    require_confirmation = True


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Partner site {n}")
    slug = factory.Sequence(lambda n: f"partner-{n}")
    website = "https://partner.example"


class SignatureFactory(DjangoModelFactory):
    class Meta:
        model = Signature

    petition = factory.SubFactory(PetitionFactory)
    email = factory.Sequence(lambda n: f"signer{n}@example.org")
    email_key = factory.LazyAttribute(lambda s: email_key(s.email))
    first_name = "Ada"
    last_name = "Lovelace"
    country = "GB"
    state = Signature.State.PENDING


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@openfaces.example")
    is_staff = True

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))


class JobFactory(DjangoModelFactory):
    class Meta:
        model = Job

    kind = "test_job"
    payload = factory.Dict({})
    run_after = factory.LazyFunction(timezone.now)


class MemberFactory(DjangoModelFactory):
    """A member as the register holds one; subscribe them through members.services."""

    class Meta:
        model = Member

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"member{n}@example.org")
    email_key = factory.LazyAttribute(lambda m: email_key(m.email))
    first_name = "Grace"
    last_name = "Hopper"
    country = "GB"


class MailingFactory(DjangoModelFactory):
    class Meta:
        model = "mailings.Mailing"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Mailing {n}")
    subject = "They are scraping our photos"
    from_name = "Open Faces"
    from_address = "petitions@chorus.invalid"
    body = "Hello {{first_name|friend}},\n\n[Sign the petition]({{petition_link}})"


class RecipientFactory(DjangoModelFactory):
    class Meta:
        model = "mailings.Recipient"

    mailing = factory.SubFactory(MailingFactory)
    member = factory.SubFactory(
        MemberFactory, organisation=factory.SelfAttribute("..mailing.organisation")
    )
    run_after = factory.LazyFunction(timezone.now)
