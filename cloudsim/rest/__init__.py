"""The eWeLink REST API, one module per category; importing them registers the endpoints."""

from . import devices, family, groups, misc, sharing, user  # noqa: F401
from .base import ENDPOINTS, add_routes

__all__ = ["ENDPOINTS", "add_routes"]
