"""Errors that reach the user. Each one says where (node, port or param) and what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a workflow, located as precisely as we can."""

    message: str
    node: str | None = None  # node id
    node_type: str | None = None
    where: str | None = None  # "param 'fps'", "input 'image'", "nodes[3].params", "line 4 col 2"

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        if self.node is not None:
            return f"node {self.node} ({self.node_type or '?'}): {where}{self.message}"
        return f"{where}{self.message}"


class WorkflowError(Exception):
    """A workflow file or document that cannot be used as it is; carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem | str, *, path: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.path = path
        super().__init__(self.describe())

    def describe(self) -> str:
        head = f"{self.path}: " if self.path else ""
        return head + "; ".join(str(p) for p in self.problems)


class NodeError(Exception):
    """Raised by node code for a user-facing failure: names the field and the fix."""

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        self.field = field
        self.hint = hint
        text = f"{field}: {message}" if field else message
        if hint:
            text = f"{text} ({hint})"
        super().__init__(text)


class Cancelled(Exception):
    """Raised inside node code when the run's cancel token is set."""
