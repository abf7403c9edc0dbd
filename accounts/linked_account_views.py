"""Pages for the household's linked eWeLink accounts: list, link (two ways), resync, unlink."""

from __future__ import annotations

import hmac
import logging

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

import ewelink
from accounts import jobs, linking
from accounts.forms import OAuthLinkForm, PasswordLinkForm
from accounts.models import JobKind, LinkedAccount, Role
from accounts.services import require_role
from accounts.views import household_required
from devices.sync import reconcile_one

log = logging.getLogger(__name__)
OAUTH_SESSION_KEY = "ewelink_oauth"


@household_required
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = LinkedAccount.objects.annotate(
        thing_count=Count("things", distinct=True), home_count=Count("homes", distinct=True)
    ).prefetch_related("task_runs")
    context = {
        "accounts": accounts,
        "can_manage": request.membership.has_role(Role.ADMIN),  # type: ignore[attr-defined]
        "password_form": PasswordLinkForm(),
        "oauth_form": OAuthLinkForm(),
    }
    return render(request, "accounts/linked_accounts.html", context)


@household_required
def link_password(request: HttpRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    form = PasswordLinkForm(request.POST or None, initial=_relink_initial(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = linking.link_with_password(
                request.membership,  # type: ignore[attr-defined]
                identifier=data["identifier"],
                password=data["password"],
                country_code=data["country_code"],
                label=data["label"],
            )
        except linking.LinkError as exc:
            form.add_error(None, str(exc))
        else:
            _sync_after_link(request, account)
            return redirect("accounts:linked_accounts")
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "accounts/link_password.html", {"form": form}, status=status)


@require_POST
@household_required
def link_oauth_start(request: HttpRequest) -> HttpResponse:
    """Off to the cloud's authorization page; the callback must bring our `state` back."""
    require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    form = OAuthLinkForm(request.POST)
    label = form.cleaned_data["label"] if form.is_valid() else ""
    state = linking.new_oauth_state()
    request.session[OAUTH_SESSION_KEY] = {"state": state, "label": label}
    return redirect(linking.authorization_url(_callback_url(request), state))


@household_required
def link_oauth_callback(request: HttpRequest) -> HttpResponse:
    require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    pending = request.session.pop(OAUTH_SESSION_KEY, None) or {}
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if not pending or not hmac.compare_digest(str(pending.get("state", "")), state):
        messages.error(request, "That authorization did not start here (or was already used).")
        return redirect("accounts:linked_accounts")
    if not code:
        messages.error(request, "The eWeLink page did not authorize the link.")
        return redirect("accounts:linked_accounts")
    try:
        account = linking.link_with_oauth_code(
            request.membership,  # type: ignore[attr-defined]
            code=code,
            region=request.GET.get("region", ""),
            redirect_url=_callback_url(request),
            label=str(pending.get("label", "")),
        )
    except linking.LinkError as exc:
        messages.error(request, str(exc))
    else:
        _sync_after_link(request, account)
    return redirect("accounts:linked_accounts")


@require_POST
@household_required
def account_sync(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(LinkedAccount, pk=pk)
    require_role(request.membership, Role.MEMBER)  # type: ignore[attr-defined]
    _sync(request, account, announce=True)
    return redirect("accounts:linked_accounts")


@require_POST
@household_required
def account_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    account = get_object_or_404(LinkedAccount, pk=pk)
    warning = linking.unlink(request.membership, account)  # type: ignore[attr-defined]
    messages.success(request, f"{account.label} was unlinked and its data removed.")
    if warning:
        messages.warning(request, warning)
    return redirect("accounts:linked_accounts")


def _sync_after_link(request: HttpRequest, account: LinkedAccount) -> None:
    messages.success(request, f"{account.label} is linked.")
    _sync(request, account, announce=False)


def _sync(request: HttpRequest, account: LinkedAccount, *, announce: bool) -> None:
    """The full sync as the reconcile job (the account lock keeps it from overlapping one
    the worker runs, and its outcome shows in the account's job line)."""
    try:
        result = jobs.run_job(JobKind.RECONCILE, account.pk, reconcile_one)
    except jobs.AccountBusy:
        messages.info(request, f"{account.label} is busy with a background job; try again soon.")
        return
    except ewelink.EWeLinkError as exc:
        log.warning("sync of account %s failed: %s", account.pk, type(exc).__name__)
        messages.error(request, f"Could not load {account.label}: {linking.explain(exc)}")
        return
    if result.get("needs_relink"):
        messages.error(request, f"{account.label} must be linked again.")
    elif announce and "created" in result:
        things = result["created"].get("things", 0)
        messages.success(request, f"{account.label} is up to date ({things} new things).")


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("accounts:link_oauth_callback"))


def _relink_initial(request: HttpRequest) -> dict[str, str]:
    """Prefill the form when relinking an account whose session was lost."""
    pk = request.GET.get("relink", "")
    account = LinkedAccount.objects.filter(pk=pk).first() if pk.isdigit() else None
    if account is None:
        return {}
    return {
        "identifier": account.identifier,
        "country_code": account.country_code or "+44",
        "label": account.label,
    }
