"""`reelgraph keys`, `providers`, `run --dry-run`, and a planted key searched for in everything
a run writes."""

import json
import os
import shutil
import stat
import subprocess
import sys

from tests.providers.fakes import ACCESS, SECRET
from tests.ui.conftest import ROOT


def cli(*args, env, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def clean_env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELGRAPH_KLING")}
    env.update(
        REELGRAPH_CONFIG_DIR=str(tmp_path / "config"),
        REELGRAPH_CACHE_DIR=str(tmp_path / "cache"),
        REELGRAPH_LOG_DIR=str(tmp_path / "logs"),
        **extra,
    )
    return env


def test_keys_set_list_remove_with_the_file_fallback(tmp_path):
    env = clean_env(tmp_path)
    out = cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n{SECRET}\n")
    assert out.returncode == 0, out.stderr
    assert "warning: no system keyring" in out.stderr  # this machine has no keyring service
    keyfile = tmp_path / "config" / "keys.json"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert json.loads(keyfile.read_text()) == {
        "kling:access_key": ACCESS,
        "kling:secret_key": SECRET,
    }
    assert "kling      set (file)" in cli("keys", "list", env=env).stdout
    env_over = dict(env, REELGRAPH_KLING_ACCESS_KEY="a", REELGRAPH_KLING_SECRET_KEY="b")
    assert "set (environment)" in cli("keys", "list", env=env_over).stdout
    assert "removed" in cli("keys", "remove", "kling", env=env).stdout
    assert "kling      not set" in cli("keys", "list", env=env).stdout
    out = cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n\n")
    assert out.returncode == 2 and "missing secret_key" in out.stderr


def test_providers_lists_capabilities_and_key_state(tmp_path):
    env = clean_env(tmp_path)
    rows = {r["backend"]: r for r in json.loads(cli("providers", "--json", env=env).stdout)}
    assert rows["kling"]["key"] == "not set" and rows["local"]["key"] == "not needed"
    assert rows["comfyui"]["key"] == "not needed" and rows["sync"]["key"] == "not set"
    # the host Kling's current API reference names for users outside China
    assert rows["kling"]["base_url"] == "https://api-singapore.klingai.com"
    assert (
        rows["kling"]["tasks"] == ["generate", "lipsync"]
        and "kling-v2-6" in rows["kling"]["models"]
    )
    override = dict(env, REELGRAPH_KLING_BASE_URL="http://127.0.0.1:9")
    rows = {r["backend"]: r for r in json.loads(cli("providers", "--json", env=override).stdout)}
    assert rows["kling"]["base_url"] == "http://127.0.0.1:9"
    assert "Sora" in cli("providers", env=env).stdout


def test_models_lists_the_catalog_with_capabilities_and_sources(tmp_path):
    env = clean_env(tmp_path)
    cat = json.loads(cli("models", "--json", env=env).stdout)
    assert set(cat) == {
        "local",
        "kling",
        "runway",
        "luma",
        "veo",
        "fal",
        "replicate",
        "comfyui",
        "sync",
    }
    v1, v15, v21 = (cat["kling"]["models"][m] for m in ("kling-v1", "kling-v1-5", "kling-v2-1"))
    assert (
        v1["modes"]["std"]["motion_brush"]["durations"] == [5.0]
        and v1["modes"]["std"]["cfg_scale"] is True
    )
    assert (
        "motion_brush" not in v15["modes"]["std"]
        and v15["modes"]["pro"]["camera"]["kind"] == "simple"
    )
    assert "motion_brush" not in v21["modes"]["pro"] and v21["modes"]["pro"]["cfg_scale"] is False
    assert "end_frame" not in cat["runway"]["models"]["gen4_turbo"]["modes"]["default"]
    for backend in cat.values():
        for name, model in backend["models"].items():
            assert model["checked"], name
            assert backend["key"] == [] or model["source"].startswith("https://"), name
    text = cli("models", "--backend", "kling", env=env).stdout
    assert "kling-v1-5" in text and "camera (simple) on 5 s" in text and "runway" not in text
    out = cli("models", "--backend", "nope", env=env)
    assert out.returncode == 2 and "no backend 'nope'" in out.stderr


def test_a_users_models_json_adds_and_overrides_models_without_code(tmp_path):
    env = clean_env(tmp_path)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "models.json").write_text(
        json.dumps(
            {
                "backends": {
                    "kling": {
                        "models": {
                            "kling-v9": {
                                "title": "Kling 9",
                                "modes": {
                                    "std": {
                                        "price_per_second": 0.01,
                                        "durations": [5],
                                        "start_frame": "required",
                                    }
                                },
                            },
                            "kling-v1": {
                                "title": "Kling 1 at my price",
                                "modes": {
                                    "std": {
                                        "price_per_second": 0.5,
                                        "durations": [5],
                                        "start_frame": "required",
                                    }
                                },
                            },
                        }
                    }
                }
            }
        )
    )
    cat = json.loads(cli("models", "--json", "--backend", "kling", env=env).stdout)
    assert cat["kling"]["models"]["kling-v9"]["modes"]["std"]["price_per_second"] == 0.01
    assert cat["kling"]["models"]["kling-v1"]["title"] == "Kling 1 at my price"
    wf = workflow(tmp_path, takes=1)
    doc = json.loads(wf.read_text())
    doc["nodes"][2]["params"]["model"] = "kling-v9"
    wf.write_text(json.dumps(doc))
    out = cli(
        "run",
        str(wf),
        "--dry-run",
        env=dict(env, REELGRAPH_KLING_ACCESS_KEY="a", REELGRAPH_KLING_SECRET_KEY="b"),
    )
    assert out.returncode == 0, out.stderr
    assert "$0.05" in out.stdout  # 5 s at the user's $0.01/s
    # a broken user file is reported and ignored, never a traceback
    (tmp_path / "config" / "models.json").write_text("{not json")
    out = cli("models", "--backend", "kling", env=env)
    assert (
        out.returncode == 0
        and "models.json: ignored" in out.stderr
        and "Traceback" not in out.stderr
    )


def workflow(tmp_path, takes=2):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", tmp_path / "coffee.png")
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "paid",
        "nodes": [
            {"id": "p", "type": "prompt", "params": {"subject": "x"}},
            {"id": "i", "type": "reference_image", "params": {"path": "coffee.png"}},
            {
                "id": "g",
                "type": "generator",
                "params": {"backend": "kling", "model": "kling-v1", "duration": 5, "takes": takes},
            },
            {"id": "e", "type": "export", "params": {"filename": "paid", "timeline": True}},
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["g", "prompt"]},
            {"from": ["i", "image"], "to": ["g", "image"]},
            {"from": ["g", "video"], "to": ["e", "video"]},
        ],
    }
    (tmp_path / "paid.json").write_text(json.dumps(doc))
    return tmp_path / "paid.json"


def test_dry_run_prices_what_would_run_and_runs_nothing(kling, tmp_path):
    env = clean_env(
        tmp_path,
        REELGRAPH_KLING_BASE_URL=kling.url,
        REELGRAPH_KLING_ACCESS_KEY=ACCESS,
        REELGRAPH_KLING_SECRET_KEY=SECRET,
        REELGRAPH_POLL_INTERVAL="0.05",
    )
    wf = workflow(tmp_path)
    out = cli("run", str(wf), "--dry-run", env=env)
    assert out.returncode == 0, out.stderr
    assert "g" in out.stdout and "$0.28" in out.stdout  # 2 takes x 5 s x $0.028
    assert "total estimate: $0.28" in out.stdout
    assert kling.requests == [] and not (tmp_path / "renders").exists()
    assert cli("run", str(wf), env=env).returncode == 0
    again = cli("run", str(wf), "--dry-run", env=env).stdout
    assert "total estimate: $0.00" in again and "cached" in again


def test_a_planted_key_is_never_written_anywhere(kling, tmp_path):
    env = clean_env(tmp_path, REELGRAPH_KLING_BASE_URL=kling.url, REELGRAPH_POLL_INTERVAL="0.05")
    assert cli("keys", "set", "kling", env=env, stdin=f"{ACCESS}\n{SECRET}\n").returncode == 0
    wf = workflow(tmp_path, takes=1)
    out = cli("run", str(wf), "--events", "jsonl", env=env)
    assert out.returncode == 0, out.stderr
    (tmp_path / "events.jsonl").write_text(out.stdout + out.stderr)
    assert kling.tokens and kling.tokens[0]["iss"] == ACCESS  # the key was used
    searched = 0
    for path in tmp_path.rglob("*"):
        if not path.is_file() or path.name == "keys.json":
            continue
        data = path.read_bytes()
        assert ACCESS.encode() not in data and SECRET.encode() not in data, path
        searched += 1
    names = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert {
        "jobs.sqlite",
        "manifest.json",
        "paid.mp4",
        "reelgraph.log",
        "events.jsonl",
        "paid.json",
        "paid.otio",
    } <= names
    assert searched > 10


def test_a_server_echoing_headers_never_shows_the_key(tmp_path, result_video):
    """A provider that echoes the request headers in its 401 (and a log of the failure): the
    key is in no message, event, log line or journal row."""
    from tests.providers.fakes import FakeFal, Reply

    key = "fal-key-ECHO-0123456789"
    with FakeFal(result_video) as server:

        def echo(req, m):
            return Reply(
                401,
                {
                    "detail": f"bad credentials; you sent {json.dumps(req.headers)}",
                    "headers": req.headers,
                },
            )

        server.routes.insert(
            0, ("POST", __import__("re").compile(r"/(fal-ai/[\w/-]+)"), "echo", echo)
        )
        env = clean_env(tmp_path, REELGRAPH_FAL_BASE_URL=server.url, REELGRAPH_FAL_API_KEY=key)
        wf = workflow(tmp_path, takes=1)
        doc = json.loads(wf.read_text())
        doc["nodes"][2]["params"].update(
            backend="fal", model="fal-ai/kling-video/v2/image-to-video"
        )
        wf.write_text(json.dumps(doc))
        out = cli("run", str(wf), "--events", "jsonl", env=env)
        assert out.returncode == 1, out.stderr
        assert (
            "refused the key" in out.stdout + out.stderr and "[redacted]" in out.stdout + out.stderr
        )
        (tmp_path / "events.jsonl").write_text(out.stdout + out.stderr)
        assert (
            server.requests and server.requests[0].headers["authorization"] == f"Key {key}"
        )  # it was sent
        for path in tmp_path.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path
        # a key pasted with a stray CR: refused before anything is sent, the job not left 'submitting'
        sent = len(server.requests)
        out = cli("run", str(wf), env=dict(env, REELGRAPH_FAL_API_KEY="fal-key-with\rbreak"))
        assert (
            out.returncode == 1
            and "line break" in out.stderr + out.stdout
            and "with\rbreak" not in out.stderr
        )
        assert len(server.requests) == sent
        import sqlite3

        with sqlite3.connect(tmp_path / "cache" / "jobs.sqlite") as db:
            assert {s for (s,) in db.execute("SELECT state FROM jobs")} == {"failed"}


def test_redact_masks_labelled_credentials_and_registered_keys():
    from app.core.redact import redact, register

    register("sk-live-REGISTERED-777")
    text = redact(
        'HTTP 401: {"Authorization": "Bearer abc.def.ghi-12345", "x-goog-api-key": "AIzaSy000111", '
        '"note": "sk-live-REGISTERED-777"} and ?key=AIza98765&alt=media; token expired'
    )
    assert "abc.def" not in text and "AIzaSy000111" not in text and "REGISTERED" not in text
    assert "AIza98765" not in text and "token expired" in text and text.count("[redacted]") == 4


def test_the_cli_refuses_what_a_model_cannot_honour_before_any_request(
    tmp_path, kling, result_video
):
    """Through the real CLI: kling-v2-1 with a motion brush and gen4_turbo with an end image exit 2
    naming what can, and no HTTP request reaches either server."""
    import numpy as np

    from app.media.masks import encode_mask
    from tests.providers.fakes import FakeRunway

    h, w = 400, 600
    region = np.zeros((h, w), np.uint8)
    region[50:150, 100:300] = 255
    with FakeRunway(result_video) as runway:
        env = clean_env(
            tmp_path,
            REELGRAPH_KLING_BASE_URL=kling.url,
            REELGRAPH_KLING_ACCESS_KEY=ACCESS,
            REELGRAPH_KLING_SECRET_KEY=SECRET,
            REELGRAPH_RUNWAY_BASE_URL=runway.url,
            REELGRAPH_RUNWAY_API_KEY="rw-key-123456",
        )
        wf = workflow(tmp_path, takes=1)
        doc = json.loads(wf.read_text())
        doc["nodes"][2]["params"].update(model="kling-v2-1")
        doc["nodes"].append(
            {
                "id": "m",
                "type": "motion_brush",
                "params": {
                    "regions": [
                        {
                            "name": "steam",
                            "mask": encode_mask(region),
                            "trajectory": [[150, 100], [250, 60]],
                        }
                    ]
                },
            }
        )
        doc["links"] += [
            {"from": ["i", "image"], "to": ["m", "image"]},
            {"from": ["m", "motion"], "to": ["g", "motion"]},
        ]
        wf.write_text(json.dumps(doc))
        out = cli("run", str(wf), env=env)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert (
            "node g (generator): input 'motion': Kling kling-v2-1 (in any mode) cannot take a motion brush; "
            "Kling models that can: kling-v1 (std, 5 s; pro, 5 s), kling-v1-5 (pro, 5 s)"
        ) in out.stderr
        doc = json.loads(workflow(tmp_path, takes=1).read_text())
        doc["nodes"][2]["params"].update(backend="runway", model="gen4_turbo")
        doc["links"].append({"from": ["i", "image"], "to": ["g", "end_image"]})
        wf.write_text(json.dumps(doc))
        out = cli("run", str(wf), env=env)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert (
            "node g (generator): input 'end_image': Runway gen4_turbo cannot take an end frame; Runway models "
            "that can: veo3.1 (4/6/8 s), veo3.1_fast (4/6/8 s)"
        ) in out.stderr
        assert kling.requests == [] and runway.requests == []


def test_a_price_only_override_keeps_the_models_checks_and_odd_files_are_reported(tmp_path):
    env = clean_env(tmp_path, REELGRAPH_KLING_ACCESS_KEY="a", REELGRAPH_KLING_SECRET_KEY="b")
    (tmp_path / "config").mkdir()
    # the shape `reelgraph models --json` prints (no "backends" level), changing one price
    (tmp_path / "config" / "models.json").write_text(
        json.dumps(
            {
                "kling": {"models": {"kling-v2-1": {"modes": {"std": {"price_per_second": 0.05}}}}},
                "klingg": {"models": {}},
            }
        )
    )
    cat = json.loads(cli("models", "--json", "--backend", "kling", env=env).stdout)
    v21 = cat["kling"]["models"]["kling-v2-1"]["modes"]
    assert v21["std"]["price_per_second"] == 0.05 and v21["std"]["durations"] == [5.0, 10.0]
    assert v21["pro"]["price_per_second"] == 0.098  # the other mode is untouched
    wf = workflow(tmp_path, takes=1)
    doc = json.loads(wf.read_text())
    doc["nodes"][2]["params"].update(model="kling-v2-1", duration=7)
    wf.write_text(json.dumps(doc))
    out = cli("validate", str(wf), env=env)
    assert (
        out.returncode == 2 and "makes 5 or 10 s clips" in out.stdout + out.stderr
    )  # the checks are still there
    assert "backend 'klingg' ignored" in out.stderr  # and the unknown backend is reported
    (tmp_path / "config" / "models.json").write_text(
        json.dumps({"kling": {"models": {"kling-v9": {"modes": {}}}}})
    )
    out = cli("validate", str(wf), env=env)
    assert "models.json: ignored" in out.stderr and "Traceback" not in out.stderr
