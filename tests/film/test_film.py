"""The film as a sequence: a real short screenplay imported, every shot rendered on the local
engine, the cut checked as files (OTIO read back, the MP4's frames, sound and length), a second
render all from the cache, and the same on a local Ray cluster: identical frames, a worker killed
mid-task retried, cancel."""

import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest

from app.core.cache import Cache
from app.core.context import CancelToken
from app.core.errors import WorkflowError
from app.core.fountain import parse
from app.core.registry import default_registry
from app.core.sequence import Sequence, Shot, load_sequence, save_sequence
from app.film.importer import import_screenplay
from app.film.render import render_film
from app.media.video import iter_frames, probe

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "data" / "short_film.fountain"


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))


def test_fountain_scenes_action_dialogue_and_transitions():
    play = parse(SCRIPT.read_text())
    assert play.title == {
        "title": "The Last Cup",
        "credit": "Written for the tests",
        "author": "Reelgraph",
    }
    assert [(s.setting, s.place, s.time) for s in play.scenes] == [
        ("INT", "HARBOUR CAFE", "MORNING"),
        ("EXT", "FERRY DOCK", "NIGHT"),
        ("EXT", "OPEN SEA", "DAWN"),
    ]
    cafe, dock, sea = play.scenes
    assert [(d.character, d.parenthetical, d.text) for d in cafe.dialogue] == [
        ("MARA", "quietly", "One more crossing. Then I'm done."),
        ("OWEN", "", "You said that last winter."),
    ]
    assert cafe.transition == "CUT TO:" and sea.transition == "FADE OUT."
    assert len(dock.action) == 2 and dock.dialogue == []
    assert not any("Owen watches" in a for a in dock.action)  # boneyard gone
    assert not any("no dialogue" in a for a in sea.action)  # notes gone


def test_headings_forced_numbered_and_action_written_under_them():
    play = parse(
        ".FLASHBACK - 1985\n\nThe house burns.\n\nINT./EXT. CAR - CONTINUOUS #12#\nShe drives.\n"
    )
    assert [(s.heading, s.place, s.time) for s in play.scenes] == [
        ("FLASHBACK - 1985", "FLASHBACK - 1985", ""),  # not a time of day: all place
        ("INT./EXT. CAR - CONTINUOUS", "CAR", "CONTINUOUS"),
    ]
    assert play.scenes[1].setting == "INT/EXT" and play.scenes[1].action == ["She drives."]


def test_sequence_round_trip_and_refusals(tmp_path):
    seq = Sequence(
        name="film",
        shots=[Shot(name="a", workflow="a.json", output="shot", notes="n")],
        bible={"style": "35mm", "characters": {"Mara": "mara.png"}},
    )
    save_sequence(seq, tmp_path / "f.json")
    again = load_sequence(tmp_path / "f.json")
    assert (
        again.to_json_dict() == seq.to_json_dict()
        and again.to_json_dict()["schema"] == "reelgraph/sequence"
    )
    (tmp_path / "bad.json").write_text(json.dumps({"schema": "reelgraph/workflow"}))
    with pytest.raises(WorkflowError, match="not a sequence file"):
        load_sequence(tmp_path / "bad.json")
    doc = seq.to_json_dict()
    doc["shots"] *= 2
    (tmp_path / "dup.json").write_text(json.dumps(doc))
    with pytest.raises(WorkflowError, match="shot names must be unique"):
        load_sequence(tmp_path / "dup.json")


def _imported(tmp_path: Path) -> Path:
    film = tmp_path / "film.json"
    import_screenplay(SCRIPT.read_text(), film, default_registry(), size=(192, 108))
    return film


def _frames(path: Path) -> list[np.ndarray]:
    return list(iter_frames(path))


def test_import_render_cut_and_a_second_render_all_cached(tmp_path):
    film = _imported(tmp_path)
    seq = load_sequence(film)
    assert [s.name for s in seq.shots] == ["01_harbour_cafe", "02_ferry_dock", "03_open_sea"]
    cafe = json.loads((tmp_path / seq.shots[0].workflow).read_text())
    types = {n["id"]: n["type"] for n in cafe["nodes"]}
    assert types == {
        "prompt": "prompt",
        "still": "reference_image",
        "shot": "recipe",
        "voice": "load_audio",
    }
    prompt = next(n for n in cafe["nodes"] if n["id"] == "prompt")["params"]
    assert (
        prompt["environment"] == "interior harbour cafe"
        and prompt["lighting"] == "soft morning light"
    )
    dock = json.loads((tmp_path / seq.shots[1].workflow).read_text())
    assert next(n for n in dock["nodes"] if n["id"] == "prompt")["params"]["lighting"].startswith(
        "night"
    )
    assert (
        next(n for n in cafe["nodes"] if n["id"] == "shot")["params"]["source"]
        == "library:dialogue_shot"
    )
    assert "MARA (quietly): One more crossing." in seq.shots[0].notes

    cache = Cache(tmp_path / "cache")
    out = tmp_path / "renders"
    result = render_film(seq, film, default_registry(), cache, out)
    assert result.ok, [(s.name, s.error) for s in result.shots]
    tl = otio.adapters.read_from_file(str(result.timeline["film.otio"]))
    clips = list(tl.tracks[0])
    assert [c.name for c in clips] == ["01_harbour_cafe", "02_ferry_dock", "03_open_sea"]
    lengths = [probe(p).frames for p in result.clips]
    assert [c.source_range.duration.value for c in clips] == lengths
    assert [t.kind for t in tl.tracks] == ["Video", "Audio"]  # the dialogue's sound in the timeline
    assert [type(x).__name__ for x in tl.tracks[1]] == ["Clip", "Gap", "Gap"]
    cut = probe(result.cut)
    assert cut.frames == sum(lengths) and cut.has_audio
    frames = _frames(result.cut)
    first_shot = _frames(result.clips[0])
    assert (
        np.abs(frames[0].astype(int) - first_shot[0].astype(int)).mean() < 6
    )  # the cut starts with shot 1
    assert (
        np.abs(frames[lengths[0]].astype(int) - frames[lengths[0] - 1].astype(int)).mean() > 5
    )  # a cut

    again = render_film(seq, film, default_registry(), cache, tmp_path / "renders2")
    assert again.ok and all(s.executed == [] for s in again.shots)  # everything from the cache


def test_a_cut_of_shots_of_other_rates_and_shapes_keeps_picture_and_sound_together(tmp_path):
    """A 12 fps shot after a 24 fps one is retimed, a portrait one letterboxed: the cut lasts
    what its shots last, and its sound as long as its picture. A failed shot writes no cut."""
    shots = []
    for name, fps, w, h in (("wide", 24, 96, 54), ("slow", 12, 96, 54), ("tall", 24, 54, 96)):
        wf = {
            "schema": "reelgraph/workflow",
            "version": 1,
            "name": name,
            "nodes": [
                {
                    "id": "img",
                    "type": "reference_image",
                    "params": {"path": str(ROOT / "resources/media/coffee.png")},
                },
                {"id": "p", "type": "prompt", "params": {"subject": name}},
                {
                    "id": "gen",
                    "type": "generator",
                    "params": {"duration": 1, "fps": fps, "width": w, "height": h},
                },
            ],
            "links": [
                {"from": ["img", "image"], "to": ["gen", "image"]},
                {"from": ["p", "prompt"], "to": ["gen", "prompt"]},
            ],
        }
        shots.append({"name": name, "workflow": wf, "output": "gen"})
    path = tmp_path / "mix.json"
    path.write_text(
        json.dumps({"schema": "reelgraph/sequence", "version": 1, "name": "mix", "shots": shots})
    )
    result = render_film(
        load_sequence(path), path, default_registry(), Cache(tmp_path / "c"), tmp_path / "o"
    )
    assert result.ok
    cut = probe(result.cut)
    assert (cut.width, cut.height, cut.fps) == (96, 54, 24.0) and cut.frames == 72  # 3 s at 24 fps
    import av

    with av.open(str(result.cut)) as c:
        audio_s = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
    assert abs(audio_s - 3.0) < 0.1
    tall = _frames(result.cut)[60]
    assert tall[:, :10].max() < 20 and tall[:, 40:56].mean() > 30  # letterboxed, not stretched
    doc = json.loads(path.read_text())
    doc["shots"][1]["workflow"] = "missing.json"
    path.write_text(json.dumps(doc))
    before = result.cut.stat().st_mtime_ns
    failed = render_film(
        load_sequence(path), path, default_registry(), Cache(tmp_path / "c"), tmp_path / "o"
    )
    assert not failed.ok and failed.cut is None and result.cut.stat().st_mtime_ns == before
    assert "missing.json" in failed.shots[1].error


def test_cli_import_then_render(tmp_path):
    from tests.helpers import reelgraph_cli

    cli = reelgraph_cli(tmp_path, timeout=300)
    imp = cli("sequence", "import", str(SCRIPT), "-o", "film.json", "--size", "160x90")
    assert imp.returncode == 0, imp.stderr
    assert "3 shot(s) of 'The Last Cup'" in imp.stdout
    run = cli("render", "film.json", "--out", "cut")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "cut" / "film_cut.mp4").exists() and "render ok" in run.stdout
    dry = cli("render", "film.json", "--dry-run")
    assert (
        dry.returncode == 0 and dry.stdout.count("cached") == 3 and "nothing was run" in dry.stdout
    )
    bad = cli("sequence", "import", str(SCRIPT), "-o", "x.json", "--size", "huge")
    assert bad.returncode == 2 and "WIDTHxHEIGHT" in bad.stderr


# -- Ray ------------------------------------------------------------------------------------------

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    """A local Ray cluster of 2 CPUs whose workers also know the test node types. Only the
    workers' environment is changed: this process's PYTHONPATH would leak into every later
    subprocess (a pip install would then find the clone and install nothing)."""
    import os

    before = os.environ.get("REELGRAPH_PLUGINS")
    os.environ["REELGRAPH_PLUGINS"] = "tests.film.killnode"
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        runtime_env={
            "env_vars": {"REELGRAPH_PLUGINS": "tests.film.killnode", "PYTHONPATH": str(ROOT)}
        },
    )
    yield
    ray.shutdown()
    if before is None:
        os.environ.pop("REELGRAPH_PLUGINS", None)
    else:
        os.environ["REELGRAPH_PLUGINS"] = before


def test_ray_renders_the_same_frames_as_one_machine(tmp_path, cluster):
    film = _imported(tmp_path)
    seq = load_sequence(film)
    local = render_film(seq, film, default_registry(), Cache(tmp_path / "c1"), tmp_path / "one")
    remote = render_film(
        seq, film, default_registry(), Cache(tmp_path / "c2"), tmp_path / "ray", ray="auto"
    )
    assert remote.ok and {s.where for s in remote.shots} == {"ray"}
    for a, b in zip(
        local.shots, remote.shots, strict=True
    ):  # what the cluster made: the same frames
        fa, fb = _frames(a.video), _frames(b.video)
        assert len(fa) == len(fb) and all(np.array_equal(x, y) for x, y in zip(fa, fb, strict=True))
    # (the cut's clips are re-encoded by this process from those frames; x264's output depends on
    # its thread count, which differs with a Ray session up, so they are not compared bit for bit:
    # the cluster's part is what is checked)
    # keyed as on one machine: the cluster's results are cache hits here
    again = render_film(seq, film, default_registry(), Cache(tmp_path / "c2"), tmp_path / "after")
    assert all(s.executed == [] for s in again.shots)


def _die_shot(tmp_path: Path, seconds: float = 0.0) -> Path:
    still = tmp_path / "still.png"
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", still)
    wf = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "die",
        "nodes": [
            {
                "id": "img",
                "type": "t_die_once",
                "params": {
                    "marker": str(tmp_path / "died"),
                    "still": str(still),
                    "seconds": seconds,
                },
            },
            {"id": "p", "type": "prompt", "params": {"subject": "x"}},
            {
                "id": "gen",
                "type": "generator",
                "params": {"duration": 1, "width": 96, "height": 54, "fps": 12},
            },
        ],
        "links": [
            {"from": ["img", "image"], "to": ["gen", "image"]},
            {"from": ["p", "prompt"], "to": ["gen", "prompt"]},
        ],
    }
    seq = {
        "schema": "reelgraph/sequence",
        "version": 1,
        "name": "die",
        "shots": [{"name": "only", "workflow": wf, "output": "gen"}],
    }
    path = tmp_path / "die.json"
    path.write_text(json.dumps(seq))
    return path


def test_a_worker_killed_mid_task_is_retried_and_the_shot_is_right(tmp_path, cluster):
    path = _die_shot(tmp_path)
    registry = default_registry()
    result = render_film(
        load_sequence(path), path, registry, Cache(tmp_path / "c"), tmp_path / "out", ray="auto"
    )
    assert (tmp_path / "died").exists()  # the first attempt's worker died
    assert result.ok, [(s.name, s.error) for s in result.shots]
    assert probe(result.clips[0]).frames == 12


def test_cancel_stops_the_ray_tasks(tmp_path, cluster):
    path = _die_shot(tmp_path, seconds=60)
    (tmp_path / "died").write_text("already")  # no death: a long task
    token = CancelToken()
    out: list = []
    t = threading.Thread(
        target=lambda: out.append(
            render_film(
                load_sequence(path),
                path,
                default_registry(),
                Cache(tmp_path / "c"),
                tmp_path / "out",
                ray="auto",
                cancel=token,
            )
        )
    )
    t.start()
    time.sleep(3)
    t0 = time.monotonic()
    token.cancel()
    t.join(30)
    assert not t.is_alive() and time.monotonic() - t0 < 15
    assert [s.status for s in out[0].shots] == ["cancelled"]


def test_import_keeps_recorded_voices_and_refuses_to_overwrite_by_accident(tmp_path):
    film = _imported(tmp_path)
    wav = tmp_path / "film_shots" / "audio" / "01_harbour_cafe.wav"
    shutil.copy(ROOT / "resources" / "media" / "speech_en.wav", wav)
    recorded = wav.read_bytes()
    with pytest.raises(ValueError, match="already there"):
        import_screenplay(SCRIPT.read_text(), film, default_registry(), size=(192, 108))
    import_screenplay(SCRIPT.read_text(), film, default_registry(), size=(192, 108), force=True)
    assert wav.read_bytes() == recorded


def test_voice_over_continuous_and_forced_names_read_as_a_filmmaker_means():
    play = parse(
        "INT. JOHN'S HOUSE - KITCHEN\n\nHe waits.\n\n@McCLANE\nYippee.\n\nMARA (V.O.)\nI knew.\n\n"
        "EXT. ROAD - NIGHT\n\nCars.\n\nEXT. FIELD - CONTINUOUS\n\nWind.\n"
    )
    kitchen, road, field = play.scenes
    assert (kitchen.place, kitchen.time) == ("JOHN'S HOUSE - KITCHEN", "")
    assert [(d.character, d.extension) for d in kitchen.dialogue] == [
        ("McCLANE", ""),
        ("MARA", "V.O."),
    ]
    assert field.time == "CONTINUOUS"


def test_hostile_screenplays_parse_fast_and_odd_files_are_refused(tmp_path, monkeypatch):
    for text in (
        "[[" * 60000,
        "/* " * 20000,
        "A" + " " * 60000 + "!\nhello",
        "INT. A" + " " * 20000 + "B",
    ):
        t0 = time.monotonic()
        parse(text)
        assert time.monotonic() - t0 < 2  # linear, not quadratic
    import os

    fifo = tmp_path / "script.fountain"
    os.mkfifo(fifo)
    from app.cli import main

    assert (
        main(["sequence", "import", str(fifo), "-o", str(tmp_path / "f.json")]) == 2
    )  # never blocks
    with pytest.raises(WorkflowError, match="not a sequence file"):
        load_sequence(fifo)
    with pytest.raises(Exception, match="control characters"):
        Shot(name="evil\n002 EVIL", workflow="a.json", output="x")


def test_a_long_speech_is_one_shot_long_at_most_and_keys_never_go_to_workers(tmp_path, monkeypatch):
    from app.core.limits import limit
    from app.film.render import worker_env

    words = " ".join(["word"] * 5000)
    film = tmp_path / "talk.json"
    import_screenplay(
        f"INT. ROOM - DAY\n\nShe talks.\n\nMARA\n{words}\n", film, default_registry(), size=(96, 54)
    )
    import wave

    with wave.open(str(tmp_path / "talk_shots" / "audio" / "01_room.wav")) as w:
        assert w.getnframes() / w.getframerate() <= limit("shot_seconds")
    monkeypatch.setenv("REELGRAPH_RUNWAY_API_KEY", "secret")
    monkeypatch.setenv("REELGRAPH_PLUGINS", "x")
    assert (
        worker_env().get("REELGRAPH_PLUGINS") == "x"
        and "REELGRAPH_RUNWAY_API_KEY" not in worker_env()
    )
