"""Sign-up, sign-in and household management pages. Thin: the rules live in services."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.access import household_object
from accounts.forms import (
    HouseholdForm,
    InvitationForm,
    InvitedSignUpForm,
    RoleForm,
    SignInForm,
    SignUpForm,
    TimeZoneForm,
)
from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Membership, Role
from dashboard.client_ip import client_ip

CONFIRM_FIELD = "confirm"
SIGNUP_EMAIL_KEY = "signup_email"
# The same answer whether the email was new or already had an account (no enumeration).
SIGNUP_DONE = (
    "Sign in with your email and password to continue. (If this email already had an "
    "account here, nothing was changed: use that account's password.)"
)
SIGNUP_THROTTLED = "Too many sign-up attempts from here. Try again in an hour."


def household_required(view):  # type: ignore[no-untyped-def]
    """Signed in and a member of some household (else off to create one)."""

    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):  # type: ignore[no-untyped-def]
        if request.membership is None:  # type: ignore[attr-defined]
            return redirect("accounts:household_create")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def safe_next(request: HttpRequest) -> str:
    """The `next` the request carries if it stays on this site, else "" (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else ""


def confirmed(request: HttpRequest) -> bool:
    """Only a POST that carries the confirmation performs a destructive action."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "yes"


def confirm_page(
    request: HttpRequest,
    *,
    title: str,
    losses: list[str],
    action: str,
    cancel_url: str,
    keep: Sequence[tuple[str, str]] = (),
) -> HttpResponse:
    """Ask first: what will be lost, a confirm button (POSTs the confirmation, with the fields
    of the asking form in `keep`), a way back."""
    context = {
        "title": title, "losses": losses, "action": action, "cancel_url": cancel_url,
        "keep": keep,
    }  # fmt: skip
    return render(request, "confirm.html", context)


@sensitive_post_parameters()
def signup(request: HttpRequest) -> HttpResponse:
    """Open sign-up (SIGNUP_MODE=open): a new account that owns a new household."""
    if settings.SIGNUP_MODE != "open":
        return _signup_unavailable(request)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not _may_attempt_signup(request, data["email"]):
            return _signup_throttled(request, "accounts/signup.html", form)
        if _new_email(data["email"], data["password"]):
            # Taken meanwhile: the same answer as any taken email.
            with contextlib.suppress(IntegrityError):
                services.sign_up(data["email"], data["password"], data["household_name"])
        return _after_signup(request, data["email"], safe_next(request))
    return render(request, "accounts/signup.html", {"form": form})


@sensitive_post_parameters()
def invitation_signup(request: HttpRequest, token: str) -> HttpResponse:
    """Sign-up from an invitation link: email and password, then the invited household."""
    invitation = services.find_invitation(token)
    if invitation is None or not invitation.is_usable():
        return _invitation_unavailable(request, token)
    if settings.SIGNUP_MODE == "closed":
        return _signup_unavailable(request, invitation=invitation, token=token)
    accept_url = reverse("accounts:invitation_accept", args=[token])
    if request.user.is_authenticated:
        return redirect(accept_url)
    form = InvitedSignUpForm(request.POST or None, initial={"email": invitation.email})
    if request.method == "POST" and form.is_valid():
        email, password = form.cleaned_data["email"], form.cleaned_data["password"]
        if not _may_attempt_signup(request, email):
            return _signup_throttled(request, "accounts/signup_invited.html", form, token)
        try:
            # Checked whatever the email, so a refusal says nothing about the email.
            services.check_invitation(token)
            if _new_email(email, password):
                services.sign_up_invited(email, password, token)
        except services.HouseholdError as exc:
            form.add_error(None, str(exc))
            context = {"form": form, "invitation": invitation, "token": token}
            return render(request, "accounts/signup_invited.html", context)
        except IntegrityError:  # taken meanwhile: the same answer as any taken email
            pass
        # Signed in, the invitation page sends a member on to the household (or offers Join).
        return _after_signup(request, email, accept_url)
    context = {"form": form, "invitation": invitation, "token": token}
    return render(request, "accounts/signup_invited.html", context)


def _new_email(email: str, password: str) -> bool:
    """Whether the email is free; hashes the password either way, so timing tells nothing."""
    if services.email_is_taken(email):
        make_password(password)
        return False
    return True


def _may_attempt_signup(request: HttpRequest, email: str) -> bool:
    return services.signup_allowed(f"ip:{client_ip(request)}", f"email:{email.lower()}")


def _signup_throttled(
    request: HttpRequest, template: str, form: Any, token: str = ""
) -> HttpResponse:
    form.add_error(None, SIGNUP_THROTTLED)
    invitation = services.find_invitation(token) if token else None
    context = {"form": form, "invitation": invitation, "token": token}
    return render(request, template, context, status=429)


def _after_signup(request: HttpRequest, email: str, next_url: str) -> HttpResponse:
    request.session[SIGNUP_EMAIL_KEY] = email
    messages.info(request, SIGNUP_DONE)
    url = reverse("accounts:login")
    return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)


def _signup_unavailable(
    request: HttpRequest, invitation: Invitation | None = None, token: str = ""
) -> HttpResponse:
    context = {"mode": settings.SIGNUP_MODE, "invitation": invitation, "token": token}
    status = 200 if request.method == "GET" else 403
    return render(request, "accounts/signup_unavailable.html", context, status=status)


def _invitation_unavailable(request: HttpRequest, token: str) -> HttpResponse:
    context = {"invitation": None, "token": token}
    return render(request, "accounts/invitation.html", context, status=404)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_initial(self) -> dict[str, Any]:
        """Right after sign-up, the email is filled in."""
        email = self.request.session.pop(SIGNUP_EMAIL_KEY, "")
        return {"username": email} if email else {}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(**kwargs) | {"signup_open": settings.SIGNUP_MODE == "open"}


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@household_required
def household_settings(request: HttpRequest) -> HttpResponse:
    """Members and their roles; admins also see the invitations; guests see no emails."""
    membership = request.membership  # type: ignore[attr-defined]
    grantable = services.grantable_roles(membership)
    members = Membership.objects.select_related("user").order_by("joined_at", "pk")
    rows = [
        {
            "membership": m,
            "name": services.display_name(m.user),
            "manageable": m.pk != membership.pk and services.may_manage(membership, m),
            "roles": [(v, label) for v, label in Role.choices if v in grantable or v == m.role],
        }
        for m in members
    ]
    can_manage = membership.has_role(Role.ADMIN)
    context = {
        "rows": rows,
        "show_emails": membership.has_role(Role.MEMBER),
        "invitations": (
            Invitation.objects.filter(accepted_at=None, revoked_at=None)[:50] if can_manage else []
        ),
        "invite_form": InvitationForm(roles=grantable),
        "can_manage": can_manage,
        "new_link": request.session.pop("new_invitation_link", None),
        "time_zone_form": TimeZoneForm(initial={"time_zone": request.household.time_zone}),  # type: ignore[attr-defined]
    }
    return render(request, "accounts/household.html", context)


@require_POST
@household_required
def household_time_zone(request: HttpRequest) -> HttpResponse:
    """Owners and admins choose the zone times are shown in; others get a 403 in words."""
    actor = services.require_role(request.membership, Role.ADMIN)  # type: ignore[attr-defined]
    form = TimeZoneForm(request.POST)
    if not form.is_valid():
        errors = form.errors.get("time_zone") or ["Choose a time zone."]
        messages.error(request, " ".join(str(error) for error in errors))
        return redirect("accounts:household")
    household = services.set_time_zone(actor, form.cleaned_data["time_zone"])
    messages.success(request, f"Times are now shown in {household.time_zone.replace('_', ' ')}.")
    return redirect("accounts:household")


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        household = services.create_household(request.user, form.cleaned_data["name"])
        request.session[SESSION_KEY] = household.pk
        messages.success(request, f"{household} created.")
        return redirect("dashboard:home")
    return render(request, "accounts/household_create.html", {"form": form})


@require_POST
@login_required
def household_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("household", "")
    match = next(
        (m for m in request.all_memberships if str(m.household_id) == wanted),  # type: ignore[attr-defined]
        None,
    )
    if match is None:
        messages.error(request, "You are not a member of that household.")
    else:
        request.session[SESSION_KEY] = match.household_id
        messages.success(request, f"Switched to {match.household}.")
    return redirect("dashboard:home")


@require_http_methods(["GET", "POST"])
@household_required
def household_leave(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    household = membership.household
    if not confirmed(request):
        if services.is_last_owner(membership):
            messages.error(request, services.LAST_OWNER_LEAVES)
            return redirect("accounts:household")
        return confirm_page(
            request,
            title=f"Leave {household}?",
            losses=[
                f"You lose access to {household}: its dashboard, devices and eWeLink accounts.",
                "To come back you need a new invitation.",
            ],
            action=f"Leave {household}",
            cancel_url=reverse("accounts:household"),
        )
    try:
        services.leave_household(membership)
    except services.HouseholdError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:household")
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"You left {household}.")
    return redirect("dashboard:home")


@require_POST
@household_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role and email.")
        return redirect("accounts:household")
    invitation, token = _run(
        request,
        services.create_invitation,
        request.membership,  # type: ignore[attr-defined]
        form.cleaned_data["role"],
        form.cleaned_data["email"],
    ) or (None, None)
    if invitation is not None:
        link = request.build_absolute_uri(reverse("accounts:invitation_accept", args=[token]))
        request.session["new_invitation_link"] = link
        expires = timezone.localtime(invitation.expires_at)  # in the household's zone
        messages.success(request, f"Invitation created. It expires {expires:%d %b}.")
    return redirect("accounts:household")


@require_http_methods(["GET", "POST"])
@household_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, Invitation, pk)
    invitation, actor = access.obj, access.membership
    if not access.may_manage:
        return _refuse(request, "Only an admin or an owner can withdraw invitations.")
    if not confirmed(request):
        who = f" for {invitation.email}" if invitation.email else ""
        return confirm_page(
            request,
            title=f"Withdraw the {invitation.get_role_display().lower()} invitation{who}?",
            losses=["The link stops working at once. You can create a new one later."],
            action="Withdraw invitation",
            cancel_url=reverse("accounts:household"),
        )
    if _run(request, services.revoke_invitation, actor, invitation) is not False:
        messages.success(request, "The invitation was withdrawn.")
    return redirect("accounts:household")


@require_POST
@household_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    target = household_object(request, Membership.objects.select_related("user"), pk).obj
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return redirect("accounts:household")
    role = form.cleaned_data["role"]
    actor = request.membership  # type: ignore[attr-defined]
    if _run(request, services.change_role, actor, target, role) is not False:
        label = Role(role).label.lower()
        messages.success(request, f"{services.display_name(target.user)} is now {_a(label)}.")
    return redirect("accounts:household")


@require_http_methods(["GET", "POST"])
@household_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    access = household_object(request, Membership.objects.select_related("user", "household"), pk)
    target, actor = access.obj, access.membership
    if not access.may_manage:
        return _refuse(request, "Only an admin or an owner can remove someone.")
    if not services.may_manage(actor, target):
        return _refuse(request, "Only an owner can remove an admin or an owner.")
    name = target.user.email or services.display_name(target.user)
    if not confirmed(request):
        return confirm_page(
            request,
            title=f"Remove {name} from {target.household}?",
            losses=[
                f"{name} loses access to {target.household} at once: its dashboard, "
                "devices and eWeLink accounts.",
                "Their own sign-in stays; you can invite them again later.",
            ],
            action=f"Remove {name}",
            cancel_url=reverse("accounts:household"),
        )
    if _run(request, services.remove_member, actor, target) is not False:
        messages.success(request, f"{name} was removed from {target.household}.")
    return redirect("accounts:household")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Show who invites whom; a signed-in user accepts with a POST."""
    invitation = services.find_invitation(token)
    if (
        invitation is not None
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    ):  # joined at sign-up, and now signed in: on to the household
        request.session[SESSION_KEY] = invitation.household_id
        messages.success(request, f"Welcome to {invitation.household}.")
        return redirect("dashboard:home")
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.accept_invitation(token, request.user)
        except services.HouseholdError as exc:
            messages.error(request, str(exc))
        else:
            request.session[SESSION_KEY] = membership.household_id
            messages.success(request, f"You joined {membership.household}.")
            return redirect("dashboard:home")
    usable = invitation is not None and invitation.is_usable()
    context = {
        "invitation": invitation if usable else None,
        "token": token,
        "signup_possible": settings.SIGNUP_MODE != "closed",
    }
    return render(request, "accounts/invitation.html", context, status=200 if usable else 404)


def _run(request: HttpRequest, action, *args):  # type: ignore[no-untyped-def]
    """Call a service, turning a refusal into a sentence on the page (False) instead of a
    bare error page."""
    try:
        return action(*args)
    except (services.HouseholdError, PermissionDenied) as exc:
        messages.error(request, str(exc) or "You may not do that.")
    return False


def _refuse(request: HttpRequest, sentence: str) -> HttpResponse:
    messages.error(request, sentence)
    return redirect("accounts:household")


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
