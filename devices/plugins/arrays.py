"""Outlet-keyed arrays (``switches``, ``configure``, ``pulses``) and the params merge.

WiFi devices push partial arrays (only the outlet that changed), so an incoming array is merged
into the stored one element by element, keyed by ``outlet`` (notes §5 "Array params").
"""

from __future__ import annotations

from typing import Any

from devices.plugins.values import as_dict, on_off, to_int

OUTLET_ARRAYS = frozenset({"switches", "configure", "pulses"})


def merge_by_outlet(current: Any, incoming: Any) -> Any:
    """Merge two outlet arrays; an incoming array that is not keyed by outlet replaces the old."""
    if not isinstance(incoming, list):
        return incoming
    new_items = _index(incoming)
    if new_items is None:
        return list(incoming)
    old_items = _index(current) if isinstance(current, list) else None
    merged = dict(old_items or {})
    for outlet, item in new_items.items():
        merged[outlet] = {**merged.get(outlet, {}), **item}
    return [merged[outlet] for outlet in sorted(merged)]


def merge_params(current: Any, incoming: Any) -> dict[str, Any]:
    """Return a new dict: ``current`` updated by ``incoming``, outlet arrays merged by outlet."""
    result = as_dict(current)
    for key, value in as_dict(incoming).items():
        if key in OUTLET_ARRAYS and key in result:
            result[key] = merge_by_outlet(result[key], value)
        else:
            result[key] = value
    return result


def fold_params(first: Any, second: Any) -> dict[str, Any] | None:
    """One update that does to any params what ``first`` then ``second`` do under
    `merge_params`, or None when there is none: an outlet array in both, one of them not
    keyed by outlet (merging by outlet and replacing do not compose)."""
    first, second = as_dict(first), as_dict(second)
    for key in OUTLET_ARRAYS.intersection(first, second):
        if _index(first[key]) is None or _index(second[key]) is None:
            return None
    return merge_params(first, second)


def outlet_states(params: Any) -> dict[int, bool | None]:
    """Read ``switches`` into ``{outlet: on}``; malformed elements are skipped."""
    items = _index(as_dict(params).get("switches"))
    return {outlet: on_off(item.get("switch")) for outlet, item in (items or {}).items()}


def outlet_item(params: Any, array: str, outlet: int) -> dict[str, Any]:
    """Return the element of ``params[array]`` for ``outlet`` (empty dict if missing)."""
    items = _index(as_dict(params).get(array)) or {}
    return items.get(outlet, {})


def _index(items: Any) -> dict[int, dict[str, Any]] | None:
    """Index a list of dicts by their integer ``outlet``; None if any element lacks one."""
    if not isinstance(items, list):
        return None
    indexed: dict[int, dict[str, Any]] = {}
    for item in items:
        if not isinstance(item, dict):
            return None
        outlet = item.get("outlet")
        if type(outlet) is not int:  # fast path first: the cloud sends plain ints
            outlet = None if isinstance(outlet, bool) else to_int(outlet)
        if outlet is None or outlet < 0:
            return None
        indexed[outlet] = dict(item)
    return indexed
