"""What `reelgraph run` shows: a live per-node table on a terminal, plain lines otherwise, or
JSON lines (one object per event on stdout and nothing else)."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from app.core.events import Event

ICONS = {
    "queued": ("·", "dim"),
    "running": ("▶", "cyan"),
    "cached": ("≡", "blue"),
    "finished": ("✓", "green"),
    "failed": ("✗", "red"),
    "skipped": ("-", "yellow"),
    "cancelled": ("■", "magenta"),
}
MAX_ROWS = 24
# control characters (newlines too: a name must not forge lines) and direction overrides
_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0, 32), *range(127, 160))}
_CONTROL.update(
    {
        c: f"\\u{c:04x}"
        for c in (0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    }
)


def shown(text: object) -> str:
    """Text from a workflow or a provider as it may go to a terminal: control characters (escape
    sequences that could rewrite the screen or the title) shown as \\xNN."""
    return str(text).translate(_CONTROL)


def markup_safe(text: object) -> str:
    """shown(), with rich markup escaped too ('p[/]x' is a node id, not a closing tag)."""
    from rich.markup import escape

    return escape(shown(text))


def make_sink(mode: str | None, workflow) -> tuple[Callable[[Event], None], Callable[[Any], None]]:
    if mode == "jsonl":

        def sink(ev: Event) -> None:
            sys.stdout.write(json.dumps(ev.to_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()

        return sink, lambda result: None
    if sys.stdout.isatty():
        return _LiveDisplay(workflow).sink_and_close()
    return _plain_sink()


def _plain_sink():
    def sink(ev: Event) -> None:
        if ev.event in ("started", "progress", "queued", "run_started"):
            return
        if ev.event == "run_finished":
            for path in ev.delivered or []:
                print(f"wrote {shown(path)}", flush=True)
            for note in ev.data.get("notes", []):
                print(f"note: {shown(note)}", flush=True)
            counts = ", ".join(f"{v} {k}" for k, v in sorted(ev.data.get("counts", {}).items()))
            print(
                f"run {ev.data.get('status')} in {ev.data.get('wall_s', 0):.2f} s ({counts})",
                flush=True,
            )
            return
        line = f"{ev.event:9} node {shown(ev.node)} ({ev.type})"
        if ev.error:
            line += f": {shown(ev.error)}"
        elif ev.message:
            line += f": {shown(ev.message)}"
        for path in ev.delivered or []:
            line += f"\n          wrote {shown(path)}"
        print(line, flush=True)

    return sink, lambda result: None


class _LiveDisplay:
    def __init__(self, workflow) -> None:
        from rich.console import Console

        self.console = Console()
        self.order = [n.id for n in workflow.nodes]
        self.types = {n.id: n.type for n in workflow.nodes}
        self.rows: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.summary: dict[str, Any] | None = None
        self.delivered: list[str] = []
        self.errors: list[str] = []

    def sink_and_close(self):
        from rich.live import Live

        self.live = Live(
            self._render(),
            console=self.console,
            refresh_per_second=8,
            transient=False,
            get_renderable=self._render,
        )
        self.live.start()

        def close(result: Any) -> None:
            self.live.stop()
            for line in self.errors:
                self.console.print(f"[red]{markup_safe(line)}[/]", highlight=False)
            for path in self.delivered:
                self.console.print(f"wrote {markup_safe(path)}", highlight=False)
            if self.summary:
                counts = ", ".join(
                    f"{v} {k}" for k, v in sorted(self.summary.get("counts", {}).items())
                )
                colour = {"ok": "green", "failed": "red"}.get(self.summary.get("status"), "magenta")
                self.console.print(
                    f"[{colour}]run {self.summary.get('status')}[/] in "
                    f"{self.summary.get('wall_s', 0):.2f} s ({counts})"
                )

        return self.sink, close

    def sink(self, ev: Event) -> None:
        with self.lock:
            if ev.event == "run_finished":
                self.summary = ev.data
                self.delivered += ev.delivered or []
                self.errors += [f"note: {n}" for n in ev.data.get("notes", [])]
                return
            if ev.node is None:
                return
            row = self.rows.setdefault(
                ev.node, {"state": "queued", "progress": 0.0, "message": "", "t0": None}
            )
            if ev.event == "started":
                row.update(state="running", t0=time.monotonic())
            elif ev.event == "progress":
                row.update(progress=ev.progress or 0.0, message=ev.message or "")
            else:
                row["state"] = ev.event
                if ev.event in ("finished", "cached"):
                    row["progress"] = 1.0
                    row["message"] = ""
                if ev.error:
                    row["message"] = ev.error
                    self.errors.append(f"node {ev.node} ({ev.type}): {ev.error}")
                elif ev.message:
                    row["message"] = ev.message
                if ev.event == "finished" and row["t0"] is not None:
                    row["message"] = f"{time.monotonic() - row['t0']:.2f} s"
                self.delivered += ev.delivered or []

    def _render(self):
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(width=1)
        table.add_column(no_wrap=True)
        table.add_column(width=24)
        table.add_column(overflow="ellipsis", no_wrap=True, max_width=60)
        with self.lock:
            ids = [n for n in self.order if n in self.rows]
            if len(ids) > MAX_ROWS:  # big graphs: show what is moving, then the rest as counts
                active = [n for n in ids if self.rows[n]["state"] in ("running", "failed")]
                ids = active[:MAX_ROWS]
            for n in ids:
                row = self.rows[n]
                icon, style = ICONS.get(row["state"], ("?", ""))
                bar = (
                    ProgressBar(total=1.0, completed=row["progress"], width=22)
                    if row["state"] == "running"
                    else row["state"]
                )
                table.add_row(
                    f"[{style}]{icon}[/]",
                    f"{markup_safe(n)} [dim]({markup_safe(self.types.get(n, '?'))})[/]",
                    bar,
                    markup_safe(row["message"]),
                )
            counts: dict[str, int] = {}
            for r in self.rows.values():
                counts[r["state"]] = counts.get(r["state"], 0) + 1
        table.add_row(
            "", "[dim]" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "[/]", "", ""
        )
        return table
