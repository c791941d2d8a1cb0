"""The node registry: finds node types in the nodes/ package and resolves legacy ids."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterable, Iterator
from functools import lru_cache

from app.core.node import NodeType


class Registry:
    def __init__(self, types: Iterable[NodeType] = ()):
        self._types: dict[str, NodeType] = {}
        self._legacy: dict[str, str] = {}
        for t in types:
            self.register(t)

    def register(self, node_type: NodeType) -> NodeType:
        if node_type.id in self._types or node_type.id in self._legacy:
            raise ValueError(f"node type id {node_type.id!r} is registered twice")
        for side in (node_type.inputs, node_type.outputs):
            names = [p.name for p in side]
            if len(names) != len(set(names)):
                raise ValueError(f"{node_type.id}: a port name is used twice in {names}")
        self._types[node_type.id] = node_type
        for old in node_type.legacy_ids:
            self._legacy[old] = node_type.id
        return node_type

    def canonical_id(self, type_id: str) -> str | None:
        if type_id in self._types:
            return type_id
        return self._legacy.get(type_id)

    def get(self, type_id: str) -> NodeType | None:
        canonical = self.canonical_id(type_id)
        return self._types[canonical] if canonical else None

    def __contains__(self, type_id: str) -> bool:
        return self.canonical_id(type_id) is not None

    def __iter__(self) -> Iterator[NodeType]:
        return iter(sorted(self._types.values(), key=lambda t: (t.category, t.id)))

    def __len__(self) -> int:
        return len(self._types)

    def with_types(self, *extra: NodeType) -> Registry:
        """A copy with more types (tests add their own without touching the default)."""
        copy = Registry(self._types.values())
        for t in extra:
            copy.register(t)
        return copy


def _declared(module: object) -> list[NodeType]:
    declared = getattr(module, "NODES", None)
    if declared is None and hasattr(module, "NODE"):
        declared = [module.NODE]
    return list(declared or [])


def discover(package: str = "nodes", plugins: Iterable[str] = ()) -> Registry:
    """Import every module of ``package`` (and each plugin module) and register the NODE (or
    NODES) it declares."""
    registry = Registry()
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            for node_type in _declared(importlib.import_module(f"{package}.{info.name}")):
                registry.register(node_type)
    for name in plugins:
        for node_type in _declared(importlib.import_module(name)):
            registry.register(node_type)
    return registry


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The built-in nodes plus plugin modules named in REELGRAPH_PLUGINS (comma-separated)."""
    plugins = [m.strip() for m in os.environ.get("REELGRAPH_PLUGINS", "").split(",") if m.strip()]
    return discover("nodes", plugins)
