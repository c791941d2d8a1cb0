"""Runs every benchmark module in this package (or those named: python -m tests.bench executor)."""

import importlib
import os
import pkgutil
import platform
import sys

import tests.bench as pkg


def main() -> int:
    wanted = set(sys.argv[1:])
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        name = info.name.removeprefix("bench_")
        if not info.name.startswith("bench_") or (wanted and name not in wanted):
            continue
        print(f"\n== {name} ==", flush=True)
        importlib.import_module(f"tests.bench.{info.name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
