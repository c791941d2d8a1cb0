import numpy as np
import pytest

from tests.media.helpers import texture, write_video
from tests.nodes.conftest import Runner
from tests.providers.fakes import ACCESS, SECRET, FakeKling
from tests.ui.conftest import state_dir, win  # noqa: F401 - the editor fixtures, for editor-path tests


@pytest.fixture
def result_video(tmp_path_factory):
    """What the fake providers hand back: a real small MP4."""
    d = tmp_path_factory.mktemp("provider")
    frames = [np.roll(texture(320, 180, seed=8), 3 * i, axis=1) for i in range(72)]
    return write_video(d / "result.mp4", frames, fps=24)  # 3 s: long enough to lip-sync


@pytest.fixture
def fast_net(monkeypatch, tmp_path):
    monkeypatch.setenv("REELGRAPH_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("REELGRAPH_RETRY_BACKOFF", "0.02")
    monkeypatch.setenv("REELGRAPH_HTTP_READ_TIMEOUT", "1.0")
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def kling(fast_net, result_video, monkeypatch):
    with FakeKling(result_video) as server:
        monkeypatch.setenv("REELGRAPH_KLING_BASE_URL", server.url)
        monkeypatch.setenv("REELGRAPH_KLING_ACCESS_KEY", ACCESS)
        monkeypatch.setenv("REELGRAPH_KLING_SECRET_KEY", SECRET)
        yield server


@pytest.fixture
def runner(tmp_path):
    return Runner(tmp_path)


@pytest.fixture
def backend_env(fast_net, monkeypatch):
    """Point a backend at a fake server with a key."""

    def setup(name, server, key="key-abcdef"):
        monkeypatch.setenv(f"REELGRAPH_{name.upper()}_BASE_URL", server.url)
        monkeypatch.setenv(f"REELGRAPH_{name.upper()}_API_KEY", key)

    return setup


def cancel_when(ready, token, settle: float = 0.3, timeout: float = 60.0) -> None:
    """Cancel ``token`` once ``ready()`` is true (plus ``settle`` seconds): a Stop pressed while
    the job is there, however slow the machine is, instead of after a fixed delay that a loaded
    machine outruns (the job then not even submitted)."""
    import threading
    import time

    def wait() -> None:
        deadline = time.monotonic() + timeout
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(settle)
        token.cancel()

    threading.Thread(target=wait, daemon=True).start()
