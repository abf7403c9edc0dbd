"""Sign-up, sign-in and household management pages. Thin: the rules live in services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import HouseholdForm, InvitationForm, RoleForm, SignInForm, SignUpForm
from accounts.middleware import SESSION_KEY
from accounts.models import Invitation, Membership, Role


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


def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user, household = services.sign_up(
            form.cleaned_data["email"],
            form.cleaned_data["password"],
            form.cleaned_data["household_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session[SESSION_KEY] = household.pk
        messages.success(request, f"Welcome! {household} is ready.")
        return redirect(request.GET.get("next") or "dashboard:home")
    return render(request, "accounts/signup.html", {"form": form}, status=_status(form))


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@household_required
def household_settings(request: HttpRequest) -> HttpResponse:
    """Members, their roles and the pending invitations of the current household."""
    membership = request.membership  # type: ignore[attr-defined]
    context = {
        "members": Membership.objects.select_related("user").order_by("joined_at", "pk"),
        "invitations": Invitation.objects.filter(accepted_at=None, revoked_at=None)[:50],
        "invite_form": InvitationForm(),
        "roles": Role.choices,
        "can_manage": membership.has_role(Role.ADMIN),
        "new_link": request.session.pop("new_invitation_link", None),
    }
    return render(request, "accounts/household.html", context)


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        household = services.create_household(request.user, form.cleaned_data["name"])
        request.session[SESSION_KEY] = household.pk
        messages.success(request, f"{household} created.")
        return redirect("dashboard:home")
    return render(request, "accounts/household_create.html", {"form": form}, status=_status(form))


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


@require_POST
@household_required
def household_leave(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    try:
        services.leave_household(membership)
    except services.HouseholdError as exc:
        messages.error(request, str(exc))
        return redirect("accounts:household")
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"You left {membership.household}.")
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
        messages.success(request, f"Invitation created. It expires {invitation.expires_at:%d %b}.")
    return redirect("accounts:household")


@require_POST
@household_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk)
    _run(request, services.revoke_invitation, request.membership, invitation)  # type: ignore[attr-defined]
    return redirect("accounts:household")


@require_POST
@household_required
def member_role(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Membership, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        _run(request, services.change_role, request.membership, target, form.cleaned_data["role"])  # type: ignore[attr-defined]
    else:
        messages.error(request, "Choose a valid role.")
    return redirect("accounts:household")


@require_POST
@household_required
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Membership, pk=pk)
    _run(request, services.remove_member, request.membership, target)  # type: ignore[attr-defined]
    return redirect("accounts:household")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Show who invites whom; a signed-in user accepts with a POST."""
    invitation = services.find_invitation(token)
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
    context = {"invitation": invitation if usable else None, "token": token}
    return render(request, "accounts/invitation.html", context, status=200 if usable else 404)


def _run(request: HttpRequest, action, *args):  # type: ignore[no-untyped-def]
    """Call a service, turning its rule errors into a message instead of a crash page."""
    try:
        return action(*args)
    except services.HouseholdError as exc:
        messages.error(request, str(exc))
    return None


def _status(form) -> int:  # type: ignore[no-untyped-def]
    return 400 if form.is_bound and not form.is_valid() else 200
