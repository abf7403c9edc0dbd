"""Open page sockets follow changes to who may see a household, at once.

A socket checks membership when it connects; these receivers tell every open socket of a
user to look again when that user's access may have changed: a membership created, changed
or deleted (role change, removal, leaving, a deleted household or user), a password change,
a deactivated user, a sign-out. Every page socket joins its user's group (`user_group`) for this.
"""

from __future__ import annotations

import hashlib
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, get_user_model, load_backend
from django.contrib.auth import SESSION_KEY as USER_SESSION_KEY
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils.crypto import constant_time_compare
from django_scopes import scopes_disabled

from accounts.models import Membership


def user_group(user_id: int) -> str:
    """The Channels group every open page socket of one user listens on."""
    return f"user.{user_id}"


def session_digest(session_key: str | None) -> str:
    """Names a session in a Redis message without sending the session key itself."""
    return hashlib.sha256((session_key or "").encode()).hexdigest()


def session_user(session_key: str | None) -> tuple[Any, Any] | None:
    """The user a stored session still signs in, and the session, else None.

    Django's `get_user` without its side effects (it may flush or cycle the session, which a
    socket must not do to the browser's session): the session exists, names an active user
    through a configured backend, and carries that user's current password hash.
    """
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    try:
        user_id, backend_path = store[USER_SESSION_KEY], store[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = load_backend(backend_path).get_user(user_id)
    stored = store.get(HASH_SESSION_KEY)
    if user is None or not stored:
        return None
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(stored, known) for known in hashes):
        return None
    return user, store


def recheck(user_id: int, *, session: str | None = None) -> None:
    """Ask the user's open sockets to re-resolve their access once this transaction commits.

    With `session` (a `session_digest`), sockets of that session close whatever they find:
    the session is being ended (sign-out) and may still exist for a moment.
    """
    message: dict[str, Any] = {"type": "access.changed"}
    if session is not None:
        message["ended_session"] = session

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(user_group(user_id), message)

    # Robust: the change itself is committed; a Redis hiccup is logged, not a failed request.
    transaction.on_commit(send, robust=True)


def _membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    recheck(instance.user_id)


def _remember_credentials(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    """Note whether this save changes the password hash or deactivates the user."""
    instance._realtime_access_changed = False
    if instance.pk is None or kw.get("raw"):
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. `last_login` on every sign-in: no query
    with scopes_disabled():
        old = sender.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    now = (instance.password, getattr(instance, "is_active", True))
    instance._realtime_access_changed = old is not None and tuple(old) != now


def _credentials_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created and getattr(instance, "_realtime_access_changed", False):
        instance._realtime_access_changed = False
        recheck(instance.pk)


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None and getattr(request, "session", None) is not None:
        recheck(user.pk, session=session_digest(request.session.session_key))


def connect() -> None:
    """Hook the receivers up (from `RealtimeConfig.ready`)."""
    user_model = get_user_model()
    uid = "realtime.revocation"
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid=f"{uid}.ms_save")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid=f"{uid}.ms_del")
    pre_save.connect(_remember_credentials, sender=user_model, dispatch_uid=f"{uid}.pw_pre")
    post_save.connect(_credentials_saved, sender=user_model, dispatch_uid=f"{uid}.pw_post")
    user_logged_out.connect(_logged_out, dispatch_uid=f"{uid}.logout")
