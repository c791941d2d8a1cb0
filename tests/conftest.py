import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Tests never touch the user's real cache, logs or keyring-backed settings.
os.environ.setdefault("REELGRAPH_LOG_DIR", str(ROOT / ".pytest_cache" / "logs"))


@pytest.fixture
def registry():
    from app.core.registry import discover
    from tests.core import testnodes

    return discover("nodes").with_types(*testnodes.NODES)


@pytest.fixture
def cache(tmp_path):
    from app.core.cache import Cache

    return Cache(tmp_path / "cache")


# the editor fixtures, for tests outside tests/ui that drive the real window
from tests.ui.conftest import state_dir, win  # noqa: E402, F401
