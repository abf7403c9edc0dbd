"""Pages that link an eWeLink account with a code the cloud sends (two steps each):
sign in by SMS code, create a new eWeLink account, reset a forgotten password.

Between the steps the session keeps where the code went (identifier, country code, region,
purpose and when it was sent), never the code or a password; the step expires.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts import cloud_signup
from accounts.cloud_signup import Purpose
from accounts.code_forms import AddressForm, CodeLinkForm, PhoneForm, RegisterForm, ResetForm
from accounts.linked_account_views import sync_after_link
from accounts.linking import LinkError
from accounts.models import Role
from accounts.services import require_role
from accounts.views import household_required

STEP_SESSION_KEY = "ewelink_code_step"
STEP_TTL = 600.0  # seconds a sent code's step stays open
RESEND_WAIT = 60  # seconds before another code may be asked for (the cloud allows 3 a minute)


@dataclass(frozen=True)
class Flow:
    """One code flow: its purpose, its forms and the words of its page."""

    purpose: Purpose
    url_name: str
    title: str
    intro: str
    address_form: type[forms.Form]
    finish_form: type[forms.Form]
    finish_button: str


FLOWS = {
    Purpose.SMS: Flow(
        Purpose.SMS,
        "accounts:link_sms",
        "Link with a text message code",
        "eWeLink texts a code to your phone; you type it here to link the account. Works for "
        "mainland China numbers (+86) only.",
        PhoneForm,
        CodeLinkForm,
        "Link account",
    ),
    Purpose.REGISTER: Flow(
        Purpose.REGISTER,
        "accounts:link_register",
        "Create a new eWeLink account",
        "eWeLink sends a code to your email or phone; with it, a new eWeLink account is made "
        "and linked to this household.",
        AddressForm,
        RegisterForm,
        "Create and link account",
    ),
    Purpose.RESET: Flow(
        Purpose.RESET,
        "accounts:link_reset",
        "Forgot your eWeLink password?",
        "eWeLink sends a code to your email or phone; with it you choose a new password, then "
        "link the account with it (an account linked here already must be linked again: the "
        "new password ends its session).",
        AddressForm,
        ResetForm,
        "Set new password",
    ),
}


@sensitive_post_parameters("code", "password")
@require_http_methods(["GET", "POST"])
@household_required
def link_sms(request: HttpRequest) -> HttpResponse:
    return _code_page(request, FLOWS[Purpose.SMS])


@sensitive_post_parameters("code", "password")
@require_http_methods(["GET", "POST"])
@household_required
def link_register(request: HttpRequest) -> HttpResponse:
    return _code_page(request, FLOWS[Purpose.REGISTER])


@sensitive_post_parameters("code", "password")
@require_http_methods(["GET", "POST"])
@household_required
def link_reset(request: HttpRequest) -> HttpResponse:
    return _code_page(request, FLOWS[Purpose.RESET])


def _code_page(request: HttpRequest, flow: Flow) -> HttpResponse:
    """Step 1 (where to send the code) or step 2 (the code), as the session says."""
    membership = request.membership  # type: ignore[attr-defined]
    require_role(membership, Role.ADMIN)
    pending = _pending(request, flow)
    action = request.POST.get("step", "") if request.method == "POST" else ""
    context: dict[str, Any] = {"flow": flow}
    if action == "restart":
        request.session.pop(STEP_SESSION_KEY, None)
        return redirect(flow.url_name)
    if pending is None or action == "send":
        form = flow.address_form(
            request.POST if action == "send" else None, initial=_address_initial(request)
        )
        # A code step that ran out (or was never started here) is said so above the form.
        context["expired"] = action in ("resend", "finish")
        if action == "send" and form.is_valid():
            address = form.cleaned_data
            error = _send(request, flow, form, address["identifier"], address["country_code"])
            if error is None:
                return redirect(flow.url_name)
            if isinstance(error, cloud_signup.AccountExists):  # offer sign-in or reset
                context["exists"] = _address_query(address)
        return render(request, "accounts/link_code.html", context | {"address_form": form})
    if action == "resend":
        wait = _resend_wait(pending)
        if wait:  # the button waits too; an early request (another tab) is told the wait
            messages.error(request, f"Wait {wait} seconds before asking for another code.")
        else:
            _send(request, flow, None, pending["identifier"], pending["country_code"])
        return redirect(flow.url_name)
    finish = flow.finish_form(request.POST if action == "finish" else None)
    if action == "finish" and finish.is_valid():
        try:
            outcome = _finish(request, flow, pending, finish.cleaned_data)
        except cloud_signup.AccountExists as exc:
            finish.add_error(None, str(exc))
            context["exists"] = _address_query(pending)
        except LinkError as exc:
            finish.add_error(None, str(exc))
        else:
            request.session.pop(STEP_SESSION_KEY, None)
            return outcome
    context |= {
        "finish_form": finish,
        "pending": pending,
        "resend_wait": _resend_wait(pending),
    }
    return render(request, "accounts/link_code.html", context)


def _send(
    request: HttpRequest, flow: Flow, form: forms.Form | None, identifier: str, country_code: str
) -> LinkError | None:
    """Ask the cloud for a code; on success the session holds the step (never the code)."""
    try:
        cloud_signup.send_code(
            request.membership,  # type: ignore[attr-defined]
            flow.purpose,
            identifier=identifier,
            country_code=country_code,
        )
    except LinkError as exc:
        if form is None:
            messages.error(request, str(exc))
        else:
            form.add_error(None, str(exc))
        return exc
    request.session[STEP_SESSION_KEY] = {
        "purpose": int(flow.purpose),
        "identifier": identifier,
        "country_code": country_code,
        "region": cloud_signup.region_of(country_code),
        "sent_at": time.time(),
    }
    messages.success(request, f"A code was sent to {identifier}.")
    return None


def _finish(
    request: HttpRequest, flow: Flow, pending: dict[str, Any], data: dict[str, Any]
) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    where = {"identifier": pending["identifier"], "country_code": pending["country_code"]}
    if flow.purpose == Purpose.RESET:
        cloud_signup.reset_password(
            membership, code=data["code"], password=data["password"], **where
        )
        messages.success(request, "The eWeLink password was changed. Link the account with it.")
        return redirect(f"{reverse('accounts:link_password')}?{_address_query(pending)}")
    if flow.purpose == Purpose.REGISTER:
        account = cloud_signup.register_and_link(
            membership, code=data["code"], password=data["password"], label=data["label"], **where
        )
    else:
        account = cloud_signup.link_with_sms_code(
            membership, code=data["code"], label=data["label"], **where
        )
    sync_after_link(request, account)
    return redirect("accounts:linked_accounts")


def _pending(request: HttpRequest, flow: Flow) -> dict[str, Any] | None:
    """This flow's open step, if its code was sent less than STEP_TTL ago."""
    pending = request.session.get(STEP_SESSION_KEY)
    if not isinstance(pending, dict) or pending.get("purpose") != int(flow.purpose):
        return None
    if time.time() - float(pending.get("sent_at", 0)) > STEP_TTL:
        request.session.pop(STEP_SESSION_KEY, None)
        return None
    return pending


def _resend_wait(pending: dict[str, Any]) -> int:
    """Whole seconds until another code may be asked for."""
    return max(0, int(float(pending["sent_at"]) + RESEND_WAIT - time.time() + 0.999))


def _address_query(pending: dict[str, Any]) -> str:
    return urlencode({"identifier": pending["identifier"], "country_code": pending["country_code"]})


def _address_initial(request: HttpRequest) -> dict[str, str]:
    """Prefilled from the query (e.g. "reset the password" offered after 10009)."""
    initial = {"country_code": request.GET.get("country_code", "") or "+44"}
    if request.GET.get("identifier"):
        initial["identifier"] = request.GET["identifier"]
    return initial
