"""Per-UIID parameter models (protocol notes §3.2): `model_for(uiid)` is the only entry point."""

from .base import Model, ParamError
from .registry import CATALOGUE, model_for, product_model

__all__ = ["CATALOGUE", "Model", "ParamError", "model_for", "product_model"]
