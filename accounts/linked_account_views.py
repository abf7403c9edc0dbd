"""Pages for the household's linked eWeLink accounts: list, link (two ways), resync, unlink
(asked first; the data is kept for a grace period, and relinking restores it)."""

from __future__ import annotations

import hmac

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import linking, syncing
from accounts.access import household_object
from accounts.forms import OAuthLinkForm, PasswordLinkForm
from accounts.models import LinkedAccount, LinkStatus, Role
from accounts.services import require_role
from accounts.syncing import SyncRequest
from accounts.views import confirm_page, confirmed, household_required

OAUTH_SESSION_KEY = "ewelink_oauth"


@household_required
def account_list(request: HttpRequest) -> HttpResponse:
    """Live accounts, and below them the unlinked ones whose data is still kept."""
    accounts = LinkedAccount.objects.annotate(
        thing_count=Count("things", distinct=True), home_count=Count("homes", distinct=True)
    ).prefetch_related("task_runs")
    live = list(accounts.exclude(status=LinkStatus.UNLINKED))
    syncing.clear_stale(live)
    context = {
        "accounts": live,
        # What the page's socket needs (static/js/live.js): the household's structure version
        # and the time this was drawn; a missed structure change redraws the accounts panel.
        "structure_version": request.household.structure_version,  # type: ignore[attr-defined]
        "drawn_at": timezone.now().isoformat(),
        "unlinked": accounts.filter(status=LinkStatus.UNLINKED).order_by("purge_after"),
        "can_manage": request.membership.has_role(Role.ADMIN),  # type: ignore[attr-defined]
        "is_owner": request.membership.has_role(Role.OWNER),  # type: ignore[attr-defined]
        "can_sync": request.membership.has_role(Role.MEMBER),  # type: ignore[attr-defined]
        "password_form": PasswordLinkForm(),
        "oauth_form": OAuthLinkForm(),
    }
    return render(request, "accounts/linked_accounts.html", context)


@sensitive_post_parameters()
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
            sync_after_link(request, account)
            return redirect("accounts:linked_accounts")
    return render(request, "accounts/link_password.html", {"form": form})


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
        sync_after_link(request, account)
    return redirect("accounts:linked_accounts")


@require_POST
@household_required
def account_sync(request: HttpRequest, pk: int) -> HttpResponse:
    account = household_object(request, _linked(), pk).require(Role.MEMBER)
    _sync(request, account)
    return redirect("accounts:linked_accounts")


@require_http_methods(["GET", "POST"])
@household_required
def account_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first (what leaves the dashboard, until when it is kept); the confirmed POST
    unlinks."""
    account = household_object(request, _linked(), pk).require(Role.ADMIN)
    if not confirmed(request):
        kept_until = timezone.now() + linking.grace_period()
        return confirm_page(
            request,
            title=f"Unlink {account.label}?",
            losses=[
                f"{account.label}: {linking.unlink_summary(account).describe()} leave the "
                "dashboard now, and this server signs out of the eWeLink account.",
                f"They are kept until {date_format(kept_until, 'j M Y')}: linking the same "
                "eWeLink account again before then restores them. After that they are deleted.",
                "Nothing changes at eWeLink itself: the account and its devices stay there.",
            ],
            action=f"Unlink {account.label}",
            cancel_url=reverse("accounts:linked_accounts"),
        )
    warning = linking.unlink(request.membership, account)  # type: ignore[attr-defined]
    messages.success(
        request,
        f"{account.label} was unlinked. Its data is kept until "
        f"{date_format(account.purge_after, 'j M Y')}.",
    )
    if warning:
        messages.warning(request, warning)
    return redirect("accounts:linked_accounts")


def _linked() -> QuerySet[LinkedAccount]:
    """Accounts in use: one unlinked and in its grace period is not reachable by id."""
    return LinkedAccount.objects.exclude(status=LinkStatus.UNLINKED)


def sync_after_link(request: HttpRequest, account: LinkedAccount) -> None:
    messages.success(request, f"{account.label} is linked.")
    _sync(request, account)


def _sync(request: HttpRequest, account: LinkedAccount) -> None:
    """Queue the full sync and answer at once: the pages show "Syncing …" and fill in as it
    lands; how it went shows in the account's job line (its TaskRun)."""
    outcome = syncing.request_sync(account)
    label = account.label
    if outcome == SyncRequest.QUEUED:
        messages.info(request, f"Syncing {label}… the dashboard fills in as it loads.")
    elif outcome == SyncRequest.ALREADY:
        messages.info(request, f"{label} is already syncing; the dashboard fills in as it loads.")
    elif outcome == SyncRequest.NOT_ACTIVE:
        messages.error(request, f"{label} must be linked again before it can sync.")
    else:
        messages.error(
            request, f"Could not start syncing {label}: the background worker cannot be reached."
        )


def _callback_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("accounts:link_oauth_callback"))


def _relink_initial(request: HttpRequest) -> dict[str, str]:
    """Prefill the form when relinking an account whose session was lost."""
    pk = request.GET.get("relink", "")
    account = LinkedAccount.objects.filter(pk=pk).first() if pk.isdigit() else None
    if account is None:  # or after a password reset: the address it was reset for
        given = {key: request.GET.get(key, "") for key in ("identifier", "country_code")}
        return {key: value for key, value in given.items() if value}
    return {
        "identifier": account.identifier,
        "country_code": account.country_code or "+44",
        "label": account.label,
    }
