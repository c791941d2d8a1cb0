"""Provider answers and user files as untrusted input: keys stay with their provider (redirects,
URLs the provider hands back), idempotency per attempt, mangled keys refused before anything is
journaled, hostile models.json files reported, never a traceback."""

import json
import re
import shutil
import sqlite3

import pytest

from tests.providers.fakes import FakeFal, FakeSync, FakeVeo, Reply
from tests.providers.test_cli_keys_costs import clean_env, cli, workflow
from tests.ui.conftest import ROOT


def gen(runner, backend, model, duration=5):
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", runner.tmp / "coffee.png")
    return (
        [
            ("p", "prompt", {"subject": "espresso"}),
            ("i", "reference_image", {"path": "coffee.png"}),
            ("g", "generator", {"backend": backend, "model": model, "duration": duration}),
        ],
        [("p", "prompt", "g", "prompt"), ("i", "image", "g", "image")],
    )


def test_keys_never_follow_a_redirect_or_a_returned_url_to_another_host(
    backend_env, result_video, runner
):
    with (
        FakeVeo(result_video) as veo,
        FakeVeo(result_video) as elsewhere,
        FakeFal(result_video) as fal,
    ):
        backend_env("veo", veo, key=FakeVeo.KEY)
        # a redirect of the submit (a POST) to another host is not followed at all
        veo.fault(
            "submit",
            Reply(
                307,
                b"",
                {
                    "Location": f"{elsewhere.url}/v1beta1/publishers/google/models/"
                    "veo-3.1-generate-001:predictLongRunning"
                },
            ),
        )
        r = runner(*gen(runner, "veo", "veo-3.1-generate-001", 8))
        assert r.status == "failed" and "redirected a POST to another host" in r.errors["g"]
        assert elsewhere.requests == []
        # fal hands back status URLs on another host: asked there, but without the key
        backend_env("fal", fal, key="fal-key-SECRET-1234")
        original = fal.dispatch

        def dispatch(req):
            reply = original(req)
            if req.method == "POST" and isinstance(reply.body, dict) and "status_url" in reply.body:
                reply.body["status_url"] = f"{elsewhere.url}/steal/status"
            return reply

        fal.dispatch = dispatch
        r = runner(*gen(runner, "fal", "fal-ai/x/i2v"))
        [stolen] = [q for q in elsewhere.requests if q.path == "/steal/status"]
        assert "authorization" not in stolen.headers and r.status == "failed"
        assert (
            fal.requests[0].headers["authorization"] == "Key fal-key-SECRET-1234"
        )  # its own host got it


def test_a_redirected_get_to_another_host_loses_the_key(backend_env, result_video, runner):
    from app.core.context import CancelToken
    from app.providers.http import Http

    with FakeVeo(result_video) as veo, FakeVeo(result_video) as cdn:
        veo.route("GET", "/moved", "moved")(
            lambda req, m: Reply(302, b"", {"Location": f"{cdn.url}/files/t1.mp4"})
        )
        http = Http(
            veo.url, lambda: {"x-goog-api-key": "veo-key-999999"}, cancel=CancelToken(), name="Veo"
        )
        dest = runner.tmp / "got.mp4"
        http.download("/moved", dest, auth=True)
        assert dest.read_bytes() == result_video.read_bytes()
        assert veo.requests[-1].headers["x-goog-api-key"] == "veo-key-999999"
        assert "x-goog-api-key" not in cdn.requests[-1].headers


def test_sync_idempotency_key_is_stable_per_attempt_and_new_after_a_failure(
    backend_env, result_video, runner
):
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", runner.tmp / "speech.wav")
    shutil.copy(result_video, runner.tmp / "talk.mp4")
    nodes = [
        ("v", "load_video", {"path": "talk.mp4"}),
        ("a", "load_audio", {"path": "speech.wav"}),
        ("l", "lip_sync", {"backend": "sync", "model": "lipsync-2"}),
    ]
    links = [("v", "video", "l", "video"), ("a", "audio", "l", "audio")]
    with FakeSync(result_video) as server:
        backend_env("sync", server)
        # the first answer is lost (503): the same key is sent again and the same job comes back
        server.fault("submit", Reply(503, {"error": "IDEMPOTENCY_OUTCOME_UNKNOWN"}))
        server.outcome = {"reject": "no face found"}
        r = runner(nodes, links)
        assert r.status == "failed" and "no face found" in r.errors["l"]
        keys = [q.headers["idempotency-key"] for q in server.requests if q.method == "POST"]
        assert len(keys) == 2 and keys[0] == keys[1] and len(server.tasks) == 1
        assert re.fullmatch(r"[A-Za-z0-9._~-]{1,128}", keys[0])
        # the job failed: the next run is a new attempt with a new key, and it succeeds
        r = runner(nodes, links)
        assert r.status == "ok", r.errors
        keys = [q.headers["idempotency-key"] for q in server.requests if q.method == "POST"]
        assert keys[-1] != keys[0] and len(server.tasks) == 2


@pytest.mark.parametrize("key", ["rw-key-café-123456", "rw-key-’-123456", "rw-key-\t-123456"])
def test_a_mangled_key_is_refused_before_anything_is_journaled(
    backend_env, result_video, runner, key, monkeypatch
):
    from tests.providers.fakes import FakeRunway

    with FakeRunway(result_video) as server:
        backend_env("runway", server, key=key)
        r = runner(*gen(runner, "runway", "gen4_turbo"))
        assert (
            r.status == "failed" and "not plain ASCII" in r.errors["g"] and key not in r.errors["g"]
        )
        assert server.requests == []
        journal = runner.tmp / "cache" / "jobs.sqlite"
        if journal.exists():
            with sqlite3.connect(journal) as db:
                assert db.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
        monkeypatch.setenv("REELGRAPH_RUNWAY_API_KEY", "rw-key-good-123456")
        monkeypatch.setattr("app.providers.hosted.RunwayBackend.MIN_POLL", 0.05)
        assert runner(*gen(runner, "runway", "gen4_turbo")).status == "ok"


def test_redaction_stays_fast_on_hostile_text():
    import time

    from app.core.redact import redact

    t0 = time.monotonic()
    redact("token:" + " " * 200_000 + "ab")
    redact("Authorization" + ": " * 50_000)
    assert time.monotonic() - t0 < 2.0


@pytest.mark.parametrize(
    "content,said",
    [
        ("[" * 100_000 + "]" * 100_000, "ignored"),
        (
            json.dumps(
                {"kling": {"models": {"kling-v9": {"modes": {"std": {"exclusive": ["nope"]}}}}}}
            ),
            "ignored",
        ),
        (
            '{"kling": {"models": {"kling-v9": {"modes": {"std": {"price_per_second": NaN}}}}}}',
            "ignored",
        ),
        (
            json.dumps(
                {"kling": {"models": {"kling-v9": {"modes": {"std": {"price_per_second": -5}}}}}}
            ),
            "ignored",
        ),
        (
            json.dumps({"fal": {"model_grammar": "(a+)+$", "models": {}}}),
            "only its models can be changed",
        ),
    ],
)
def test_hostile_user_catalogs_are_reported_never_a_traceback(tmp_path, content, said):
    env = clean_env(tmp_path, REELGRAPH_KLING_ACCESS_KEY="a", REELGRAPH_KLING_SECRET_KEY="b")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "models.json").write_text(content)
    wf = workflow(tmp_path, takes=1)
    for args in (("models",), ("providers",), ("validate", str(wf)), ("run", str(wf), "--dry-run")):
        out = cli(*args, env=env)
        assert "Traceback" not in out.stderr, (args, out.stderr[-500:])
        assert out.returncode in (0, 1, 2)
    assert said in cli("validate", str(wf), env=env).stderr


def test_the_wildcard_entry_and_overlong_ids_are_not_model_ids(tmp_path):
    env = clean_env(
        tmp_path, REELGRAPH_FAL_API_KEY="fal-key-1234", REELGRAPH_REPLICATE_API_KEY="r8-key-1234"
    )
    wf = workflow(tmp_path, takes=1)
    for backend, model in (("fal", "*"), ("replicate", "*"), ("fal", "a/" + "b" * 300)):
        doc = json.loads(wf.read_text())
        doc["nodes"][2]["params"].update(backend=backend, model=model)
        wf.write_text(json.dumps(doc))
        out = cli("validate", str(wf), env=env)
        assert out.returncode == 2 and "is not a valid" in out.stdout + out.stderr, (backend, model)
