"""Deliberately broken plugin module: its import fails, and discovery must survive that."""

import dashboard_dummy_plugin_missing_dependency  # noqa: F401  (the point of this module)

BrokenPlugin = None
