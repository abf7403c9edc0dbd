from django.contrib.auth import get_user_model
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import Membership, Role
from tests.factories import PASSWORD, UserFactory


def test_sign_up_creates_user_and_household_as_owner(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "Ann@Example.com",
            "password": "a long safe passphrase",
            "household_name": "Ann's",
        },
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="ann@example.com")
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.household.name == "Ann's"
    # Signed in straight away, on the new household's page.
    page = client.get(reverse("dashboard:home"))
    assert page.status_code == 200
    assert "Ann&#x27;s" in page.content.decode()


def test_sign_up_rejects_bad_input_with_field_errors_and_keeps_nothing(client, db):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "not-an-email", "password": "123", "household_name": ""},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"email", "password", "household_name"}
    assert get_user_model().objects.count() == 0


def test_sign_up_refuses_an_existing_email(client, db):
    UserFactory(email="taken@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {"email": "TAKEN@example.com", "password": "a long safe passphrase", "household_name": "X"},
    )
    assert response.status_code == 400
    assert "already exists" in str(response.context["form"].errors["email"])


def test_sign_in_and_out(client, db):
    user = UserFactory(email="bob@example.com")
    response = client.post(
        reverse("accounts:login"), {"username": "BOB@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_out_needs_post(owner):
    assert owner.client.get(reverse("accounts:logout")).status_code == 405


def test_user_without_household_is_sent_to_create_one(client, db):
    client.force_login(UserFactory(email="lonely@example.com"))
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:household_create")
    created = client.post(reverse("accounts:household_create"), {"name": "Mine"})
    assert created.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200


def test_password_change(owner):
    url = reverse("accounts:password_change")
    new = "another long passphrase"
    response = owner.client.post(
        url, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password(new)


def test_password_change_with_wrong_old_password_keeps_the_old_one(owner):
    url = reverse("accounts:password_change")
    response = owner.client.post(
        url, {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20}
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)


def test_every_post_needs_csrf(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "password": "a long safe passphrase", "household_name": "A"},
    )
    assert response.status_code == 403
