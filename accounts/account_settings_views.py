"""A linked eWeLink account's own settings page (owners only): profile, cloud password, and
closing the eWeLink account (a code, then the account's address typed as confirmation)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import cloud_account_settings as settings_service
from accounts.access import household_object
from accounts.code_forms import NoEchoInput
from accounts.linking import LinkError
from accounts.models import LinkedAccount, LinkStatus, Role
from accounts.views import household_required

CLOSE_SESSION_KEY = "ewelink_close_code_sent"


class ProfileForm(forms.Form):
    nickname = forms.CharField(
        max_length=settings_service.NICKNAME_MAX,
        error_messages={"required": "Enter a nickname (it cannot be empty)."},
        help_text=f"Up to {settings_service.NICKNAME_MAX} characters.",
    )
    accept_email_ad = forms.BooleanField(
        required=False, label="Send me eWeLink's newsletter by email"
    )
    account_consult = forms.BooleanField(
        required=False,
        label="I have asked eWeLink about subscription plans",
        help_text="Once on, eWeLink keeps it on.",
    )


def _password_field(label: str, autocomplete: str, **extra: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        **extra,
    )


class CloudPasswordForm(forms.Form):
    old_password = _password_field("Current eWeLink password", "current-password")
    new_password = _password_field(
        "New eWeLink password",
        "new-password",
        min_length=8,
        help_text="8 characters or more. Set at eWeLink; never stored here.",
    )
    confirm_password = _password_field("New password again", "new-password")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two new passwords are not the same.")
        return data


class CloseForm(forms.Form):
    code = forms.CharField(label="Code from eWeLink", max_length=12, widget=NoEchoInput())
    identifier = forms.CharField(label="Type the account's email or phone number", max_length=254)

    def __init__(self, *args: Any, account: LinkedAccount, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_identifier(self) -> str:
        typed = str(self.cleaned_data["identifier"]).strip()
        if typed.lower() != self.account.identifier.lower():
            raise forms.ValidationError(
                f"That is not {self.account.identifier}. Type it exactly to confirm."
            )
        return typed


def _owned(request: HttpRequest, pk: int) -> LinkedAccount:
    live = LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED)  # as the unlink page
    return household_object(request, live, pk).require(Role.OWNER)


def _page(request: HttpRequest, account: LinkedAccount, **forms_: Any) -> HttpResponse:
    profile, error = None, ""
    try:
        profile = settings_service.get_profile(request.membership, account)  # type: ignore[attr-defined]
    except LinkError as exc:
        error = str(exc)
    if "profile_form" not in forms_ and profile is not None:
        forms_["profile_form"] = ProfileForm(
            initial={
                "nickname": profile.nickname,
                "accept_email_ad": profile.accept_email_ad,
                "account_consult": profile.account_consult,
            }
        )
    forms_.setdefault("password_form", CloudPasswordForm())
    context = {"account": account, "profile": profile, "profile_error": error, **forms_}
    return render(request, "accounts/account_settings.html", context)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@household_required
def account_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """The profile and the password forms; each POST names its form (`form`)."""
    account = _owned(request, pk)
    if request.method != "POST":
        return _page(request, account)
    actor = request.membership  # type: ignore[attr-defined]
    if request.POST.get("form") == "password":
        form = CloudPasswordForm(request.POST)
        if form.is_valid():
            try:
                settings_service.change_password(
                    actor,
                    account,
                    old=form.cleaned_data["old_password"],
                    new=form.cleaned_data["new_password"],
                )
            except LinkError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The eWeLink password was changed; the link goes on.")
                return redirect("accounts:account_settings", pk=account.pk)
        return _page(request, account, password_form=form)
    profile_form = ProfileForm(request.POST)
    if profile_form.is_valid():
        try:
            settings_service.update_profile(actor, account, **profile_form.cleaned_data)
        except LinkError as exc:
            profile_form.add_error(None, str(exc))
        else:
            messages.success(request, "The eWeLink profile was saved.")
            return redirect("accounts:account_settings", pk=account.pk)
    return _page(request, account, profile_form=profile_form)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
@household_required
def account_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 sends the code; step 2 needs the code and the address typed, then closes."""
    account = _owned(request, pk)
    actor = request.membership  # type: ignore[attr-defined]
    sent = request.session.get(CLOSE_SESSION_KEY) == account.pk
    form = CloseForm(account=account)
    error = ""
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step == "send":
        try:
            settings_service.send_close_code(actor, account)
        except LinkError as exc:
            error = str(exc)
        else:
            request.session[CLOSE_SESSION_KEY] = account.pk
            sent = True
    elif step == "close" and sent:
        form = CloseForm(request.POST, account=account)
        if form.is_valid():
            try:
                settings_service.close_account(actor, account, code=form.cleaned_data["code"])
            except LinkError as exc:
                form.add_error(None, str(exc))
            else:
                request.session.pop(CLOSE_SESSION_KEY, None)
                messages.success(
                    request, f"The eWeLink account {account.identifier} was closed for good."
                )
                return redirect("accounts:linked_accounts")
    context = {"account": account, "sent": sent, "form": form, "error": error}
    return render(request, "accounts/account_close.html", context)
