from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.notifications import unread_count


def household(request: HttpRequest) -> dict[str, object]:
    """The current household, the user's role in it and the households they can switch to."""
    return {
        "household": getattr(request, "household", None),
        "membership": getattr(request, "membership", None),
        "all_memberships": getattr(request, "all_memberships", []),
    }


def notifications(request: HttpRequest) -> dict[str, object]:
    """The unread count for the top navigation, counted only when a page shows it."""
    household = getattr(request, "household", None)
    if household is None:
        return {"unread_notifications": 0}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(household.pk))}
