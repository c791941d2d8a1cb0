"""recipe: a reusable graph used as one node. Its ports and exposed params come from the recipe
it names (app.core.recipes); a run expands it into its inner nodes, each cached on its own, so
this node itself never runs."""

from __future__ import annotations

from app.core.errors import NodeError
from app.core.node import NodeType
from app.core.recipes import TYPE, RecipeParams


def run(ctx, p: RecipeParams, inputs):
    raise NodeError("a recipe runs as its inner nodes; this run should have expanded it")


NODE = NodeType(
    id=TYPE,
    title="Recipe",
    category="Recipes",
    params=RecipeParams,
    run=run,
    description=(
        "A reusable graph used as one node: its inputs, outputs and exposed settings come from "
        "the recipe (a file, one from the library, or one embedded in this workflow). Select "
        "nodes and Make recipe to create one; double-click to edit inside."
    ),
)
