"""factory-boy factories for household data."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import (
    Household,
    Invitation,
    LinkedAccount,
    LinkMethod,
    Membership,
    Role,
    hash_token,
)

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.SelfAttribute("email")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    name = factory.Sequence(lambda n: f"Household {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    household = factory.SubFactory(HouseholdFactory)
    role = Role.MEMBER

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.with_scopes_disabled().create(*args, **kwargs)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    household = factory.SubFactory(HouseholdFactory)
    role = Role.MEMBER
    token_hash = factory.Sequence(lambda n: hash_token(f"token-{n}"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.with_scopes_disabled().create(*args, **kwargs)


class LinkedAccountFactory(factory.django.DjangoModelFactory):
    """A linked account with made-up tokens (for tests that never call the cloud)."""

    class Meta:
        model = LinkedAccount

    household = factory.SubFactory(HouseholdFactory)
    label = factory.Sequence(lambda n: f"Account {n}")
    identifier = factory.Sequence(lambda n: f"ewelink{n}@example.com")
    country_code = "+44"
    region = "eu"
    apikey = factory.Sequence(lambda n: f"apikey-{n:08d}")
    method = LinkMethod.PASSWORD
    access_token = factory.Sequence(lambda n: f"at-secret-{n:032d}")
    refresh_token = factory.Sequence(lambda n: f"rt-secret-{n:032d}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.with_scopes_disabled().create(*args, **kwargs)
