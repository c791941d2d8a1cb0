"""Entry point of the packaged app: the `reelgraph` command (no arguments: the editor)."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
