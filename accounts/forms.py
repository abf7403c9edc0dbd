from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import Role
from dashboard.when import zone_choices


class InvitedSignUpForm(forms.Form):
    """Sign-up from an invitation link: the invitation decides household and role."""

    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    # No check for an existing account here: the answer must not tell whether one exists.
    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).lower()

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            user = get_user_model()(username=data.get("email", ""), email=data.get("email", ""))
            try:
                password_validation.validate_password(str(password), user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class SignUpForm(InvitedSignUpForm):
    """Open sign-up: the new account owns a new household."""

    household_name = forms.CharField(
        max_length=100, label="Household name", help_text="For example “The Smiths”."
    )


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].lower()


class HouseholdForm(forms.Form):
    name = forms.CharField(max_length=100, label="Household name")


class TimeZoneForm(forms.Form):
    """The household's time zone, from the zones this machine knows."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Times on the dashboard and in notifications are shown in this zone.",
        error_messages={
            "required": "Choose a time zone.",
            "invalid_choice": "“%(value)s” is not a time zone.",
        },
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["time_zone"]
        field.choices = zone_choices()  # type: ignore[attr-defined]


class InvitationForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    email = forms.EmailField(required=False, help_text="Optional, for your own reference.")

    def __init__(self, *args: object, roles: list[str] | None = None, **kwargs: object) -> None:
        """`roles`: the ones the inviter may give (the others are not offered)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if roles is not None:
            field = self.fields["role"]
            field.choices = [(v, label) for v, label in Role.choices if v in roles]  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PasswordLinkForm(forms.Form):
    identifier = forms.CharField(
        label="eWeLink email or phone number",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label="eWeLink password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Used once to sign in; never stored.",
    )
    country_code = forms.RegexField(
        label="Country calling code",
        regex=r"^\+\d{1,4}$",
        initial="+44",
        error_messages={"invalid": "Use a plus sign and digits, for example +44 or +1."},
        help_text="Chooses your eWeLink region (for example +44 Europe, +1 Americas, +86 China).",
    )
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional, e.g. Mum's account."
    )

    def clean_identifier(self) -> str:
        value = self.cleaned_data["identifier"].strip()
        if "@" not in value and not value.lstrip("+").isdigit():
            raise forms.ValidationError("Enter an email address or a phone number (digits only).")
        return value.lower() if "@" in value else value


class OAuthLinkForm(forms.Form):
    label = forms.CharField(
        max_length=100, required=False, help_text="Optional, e.g. Dad's account."
    )
