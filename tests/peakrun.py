"""`python -m tests.peakrun REPORT.json ARGS...`: run the reelgraph CLI with ARGS and write its
exit code, wall time and peak resident memory (this process, threads included) to REPORT.json.
The hardening tests use it to bound what a hostile input can make Reelgraph allocate."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def _peak_kb() -> float:
    """This process's high-water RSS since exec (VmHWM). getrusage's ru_maxrss is not used: on
    Linux it keeps the parent's peak across fork+exec, so it would report pytest's memory."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1])
    except OSError:
        pass
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def main() -> None:
    report, args = Path(sys.argv[1]), sys.argv[2:]
    t0 = time.monotonic()
    code = 1
    try:
        from app.cli import main as cli

        code = cli(args)
    finally:
        peak_kb = _peak_kb()
        report.write_text(
            json.dumps({"code": code, "seconds": time.monotonic() - t0, "peak_mb": peak_kb / 1024})
        )
    sys.exit(code)


if __name__ == "__main__":
    main()
