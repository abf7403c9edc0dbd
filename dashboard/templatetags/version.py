"""`{% load version %}{% app_version %}`: the installed release, shown in the page footer."""

from __future__ import annotations

from django import template

from dashboard.version import current

register = template.Library()


@register.simple_tag
def app_version() -> str:
    return current()
