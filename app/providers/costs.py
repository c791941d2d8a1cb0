"""Cost estimates from a price table the user can edit (resources/prices.json, overridden by
prices.json in the config folder)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from app.providers.settings import config_dir

DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "resources" / "prices.json"


def price_table() -> dict[str, Any]:
    table = json.loads(DEFAULT_TABLE.read_text())
    try:
        user = json.loads((config_dir() / "prices.json").read_text())
    except (OSError, ValueError):
        user = {}
    for backend, models in (user.items() if isinstance(user, dict) else []):
        if isinstance(models, dict):
            table.setdefault(backend, {}).update(models)
    return table


def estimate(backend: str, model: str, seconds: float, takes: int = 1, table: dict[str, Any] | None = None) -> float:
    """Estimated price of ``takes`` results of ``seconds`` each (0 for unknown free backends)."""
    table = table or price_table()
    prices = table.get(backend, {})
    p = prices.get(model) or prices.get("*") or {}
    each = float(p.get("per_second", 0.0)) * seconds + float(p.get("per_request", 0.0))
    return round(each * max(1, takes), 4)
