import factory
from django.contrib.auth.models import User

from innerclient.core.models import Membership, Organization, Role
from innerclient.org.models import Department, InteractionLink, Person


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Компания {n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.test")
    email = factory.LazyAttribute(lambda u: u.username)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "pass-12345")
        if create:
            obj.save(update_fields=["password"])


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.COORDINATOR


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    organization = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"D{n:03d}")
    name_ru = factory.Sequence(lambda n: f"Отдел {n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    organization = factory.LazyAttribute(lambda p: p.department.organization)
    department = factory.SubFactory(DepartmentFactory)
    full_name = factory.Sequence(lambda n: f"Иванов Иван {n}")
    email = factory.Sequence(lambda n: f"person{n}@example.test")
    position = "Специалист"


class InteractionLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InteractionLink

    organization = factory.LazyAttribute(lambda link: link.client.organization)
    client = factory.SubFactory(DepartmentFactory)
    provider = factory.SubFactory(
        DepartmentFactory, organization=factory.SelfAttribute("..client.organization")
    )
