from django.http import HttpRequest


def household(request: HttpRequest) -> dict[str, object]:
    """The current household, the user's role in it and the households they can switch to."""
    return {
        "household": getattr(request, "household", None),
        "membership": getattr(request, "membership", None),
        "all_memberships": getattr(request, "all_memberships", []),
    }
