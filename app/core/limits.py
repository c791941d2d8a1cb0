"""Every size limit in one table. Workflows and renders travel between people, so a small file
must never make Reelgraph decode, allocate or render without bound: these are checked from
headers before decoding, and at validation (from params) before a run starts. docs/limits.md
lists them; a test keeps that page equal to this table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    value: float
    unit: str
    what: str


LIMITS: dict[str, Limit] = {
    "image_pixels": Limit(100_000_000, "pixels", "a still image read or made (100 MP)"),
    "frame_pixels": Limit(7680 * 4320, "pixels", "one video frame read or made (8K)"),
    "fps": Limit(120, "frames/s", "a video's frame rate"),
    "shot_seconds": Limit(60, "s", "one generated shot"),
    "video_seconds": Limit(3600, "s", "a video read from disk"),
    "audio_seconds": Limit(1800, "s", "an audio track read from disk (30 min)"),
    "audio_rate": Limit(192_000, "Hz", "an audio track's sample rate"),
    "takes": Limit(16, "takes", "takes of one generator"),
    # pixels one node may render: a minute of 8K at 24 fps; beyond it a run takes days on a CPU
    "node_pixels": Limit(
        7680 * 4320 * 24 * 60, "pixels", "frames x width x height x takes one node renders"
    ),
    "mask_pixels": Limit(7680 * 4320, "pixels", "a motion-brush mask (8K)"),
    "param_file_bytes": Limit(64 * 2**30, "bytes", "a media file a node reads (64 GiB)"),
    "workflow_bytes": Limit(
        64 * 2**20, "bytes", "a workflow file, or one embedded in a render (64 MiB)"
    ),
    "json_depth": Limit(64, "levels", "nesting of a workflow document (params and ui included)"),
    "recipe_nodes": Limit(
        20_000, "nodes", "nodes a workflow expands into with its recipes (nested ones included)"
    ),
    "name_bytes": Limit(200, "bytes", "one file or folder name written in the output folder"),
    "answer_bytes": Limit(
        64 * 2**20,
        "bytes",
        "one answer of a provider's or ComfyUI's API, read into memory (64 MiB)",
    ),
    "answer_seconds": Limit(300, "s", "reading one API answer, however slowly it trickles in"),
    "result_bytes": Limit(
        16 * 2**30, "bytes", "one result file downloaded from a provider (16 GiB)"
    ),
}


def limit(name: str) -> int:
    return int(LIMITS[name].value)


def markdown() -> str:
    """docs/limits.md's table."""
    rows = ["| limit | value | applies to |", "|---|---|---|"]
    for name, lim in LIMITS.items():
        value = f"{lim.value:,.0f} {lim.unit}"
        rows.append(f"| `{name}` | {value} | {lim.what} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # `make docs`: rewrite the table in docs/limits.md
    import sys
    from pathlib import Path

    page = Path(sys.argv[1])
    begin, end = "<!-- limits:begin (make docs) -->\n", "<!-- limits:end -->"
    head, rest = page.read_text(encoding="utf-8").split(begin, 1)
    page.write_text(head + begin + markdown() + end + rest.split(end, 1)[1], encoding="utf-8")
