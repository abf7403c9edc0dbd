"""What every endpoint mixin relies on."""

from __future__ import annotations

from ewelink.http import HttpCore


class ApiBase:
    """Gives mixins the shared request core."""

    http: HttpCore
