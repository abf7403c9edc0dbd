"""Forms of the code flows (SMS sign-in, new eWeLink account, forgotten password).

A code or password typed in is never drawn back into the page after an error."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.forms import PasswordLinkForm


class NoEchoInput(forms.TextInput):
    """A text box that starts empty again after an error (for one-time codes)."""

    def format_value(self, value: Any) -> str | None:
        return None


class AddressForm(forms.Form):
    """Step 1: where the code goes (email or phone) and the country code (the region)."""

    identifier = PasswordLinkForm.base_fields["identifier"]
    country_code = PasswordLinkForm.base_fields["country_code"]
    clean_identifier = PasswordLinkForm.clean_identifier


class PhoneForm(AddressForm):
    """Step 1 of SMS sign-in: a phone number only."""

    identifier = forms.CharField(
        label="Phone number",
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="Without the country code, or with it (+86…).",
    )

    def clean_identifier(self) -> str:
        value = self.cleaned_data["identifier"].strip().replace(" ", "")
        if not value.lstrip("+").isdigit():
            raise forms.ValidationError("Enter a phone number (digits only).")
        return value


def _code_field() -> forms.CharField:
    return forms.CharField(
        label="Code",
        max_length=12,
        widget=NoEchoInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The code eWeLink sent you. It is passed on once and never kept.",
    )


def _label_field() -> forms.CharField:
    return forms.CharField(
        max_length=100, required=False, help_text="Optional, e.g. Mum's account."
    )


class CodeLinkForm(forms.Form):
    """Step 2 of SMS sign-in."""

    code = _code_field()
    label = _label_field()


class RegisterForm(forms.Form):
    """Step 2 of a new account: the code and the new account's password."""

    code = _code_field()
    password = forms.CharField(
        label="Password for the new eWeLink account",
        min_length=8,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="8 characters or more. Used once at eWeLink; never stored here.",
    )
    label = _label_field()


class ResetForm(forms.Form):
    """Step 2 of a forgotten password: the code and the new password."""

    code = _code_field()
    password = forms.CharField(
        label="New eWeLink password",
        min_length=8,
        max_length=64,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="8 characters or more. Set at eWeLink; never stored here.",
    )
