"""Recipes: reusable graphs as nodes. The real shipped recipes run on the real local engine (at
small sizes), and the assertions are on what ran, what came from the cache and the files made."""

import json
import shutil
from pathlib import Path

import av
import pytest

from app.core import recipes
from app.core.cache import Cache
from app.core.errors import WorkflowError
from app.core.executor import Executor
from app.core.fileio import load_workflow, parse_workflow, save_workflow
from app.core.registry import default_registry
from app.core.validate import validate
from app.core.workflow import Workflow

ROOT = Path(__file__).resolve().parents[2]
SMALL = {"seconds": 1, "width": 96, "height": 54}


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("REELGRAPH_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def registry():
    return default_registry()


def _shots(tmp_path: Path, n: int, source: str = "library:push_in_shot") -> Path:
    """A film of ``n`` push-in shots: one still, one prompt, n recipe instances."""
    media = tmp_path / "media"
    media.mkdir(exist_ok=True)
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", media / "coffee.png")
    nodes = [
        {"id": "prompt", "type": "prompt", "params": {"subject": "a cup of coffee"}},
        {"id": "still", "type": "reference_image", "params": {"path": "media/coffee.png"}},
    ]
    links = []
    moves = ["zoom_in", "pan_left", "pan_right", "tilt_up", "zoom_out"]
    for i in range(1, n + 1):
        values = dict(
            SMALL, move=moves[(i - 1) % len(moves)], intensity=0.5 + 0.1 * i, file=f"shot{i}"
        )
        nodes.append(
            {"id": f"s{i}", "type": "recipe", "params": {"source": source, "values": values}}
        )
        links += [
            {"from": ["prompt", "prompt"], "to": [f"s{i}", "prompt"]},
            {"from": ["still", "image"], "to": [f"s{i}", "still"]},
        ]
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "film",
        "nodes": nodes,
        "links": links,
    }
    path = tmp_path / "film.json"
    path.write_text(json.dumps(doc))
    return path


def _run(registry, path: Path, tmp_path: Path, **kw):
    ex = Executor(registry, Cache(tmp_path / "cache"))
    wf = load_workflow(path)
    return ex.run(wf, base_dir=path.parent, out_dir=tmp_path / "out", **kw)


# -- format -------------------------------------------------------------------------------


def test_format_round_trips_and_plain_files_stay_as_they_were(tmp_path):
    text = (ROOT / "resources" / "recipes" / "push_in_shot.json").read_text()
    wf = parse_workflow(text)
    assert wf.interface is not None and [i.name for i in wf.interface.inputs] == ["still", "prompt"]
    again = parse_workflow(json.dumps(wf.to_json_dict()))
    assert again.to_json_dict() == wf.to_json_dict()
    assert again.to_json_dict()["interface"]["outputs"] == [
        {"name": "video", "from": ["shot", "video"]}
    ]
    plain = load_workflow(ROOT / "workflows" / "demo.json").to_json_dict()
    assert "interface" not in plain and "recipes" not in plain  # nothing new written into old files
    embedded = {**plain, "recipes": {"push": json.loads(text)}}
    back = parse_workflow(json.dumps(embedded)).to_json_dict()
    assert back["recipes"]["push"]["interface"] == json.loads(text)["interface"]


def test_interface_names_must_be_unique():
    doc = json.loads((ROOT / "resources" / "recipes" / "push_in_shot.json").read_text())
    doc["interface"]["params"].append({"name": "move", "node": "camera", "param": "intensity"})
    with pytest.raises(WorkflowError, match="move appear more than once"):
        parse_workflow(json.dumps(doc))


# -- expansion -----------------------------------------------------------------------------


def test_instances_expand_into_namespaced_inner_nodes(tmp_path, registry):
    path = _shots(tmp_path, 2)
    ex = recipes.expand(load_workflow(path), registry, tmp_path)
    ids = [n.id for n in ex.workflow.nodes]
    assert ids == [
        "prompt",
        "still",
        "s1/camera",
        "s1/shot",
        "s1/export",
        "s2/camera",
        "s2/shot",
        "s2/export",
    ]
    keys = {lk.key for lk in ex.workflow.links}
    assert ("still", "image", "s1/shot", "image") in keys and (
        "prompt",
        "prompt",
        "s2/shot",
        "prompt",
    ) in keys
    assert ("s1/camera", "camera", "s1/shot", "camera") in keys
    assert ex.workflow.node("s2/camera").params["preset"] == "pan_left"  # the instance's value
    assert ex.workflow.node("s1/export").params["filename"] == "shot1"
    assert ex.instances["s1"].outputs == {"video": ("s1/shot", "video")}
    assert validate(load_workflow(path), registry, base_dir=tmp_path) == []


def test_ten_shots_render_and_an_improvement_reruns_only_what_it_touches(tmp_path, registry):
    """The issue's done-when: ten shots from one recipe; improving the recipe once makes every
    shot report the change and re-runs only the inner nodes the change touched."""
    user = tmp_path / "config" / "recipes"
    user.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "recipes" / "push_in_shot.json", user / "hero.json")
    path = _shots(tmp_path, 10, "library:hero")
    first = _run(registry, path, tmp_path)
    assert first.status == "ok", first.errors
    assert len(first.executed) == 2 + 30
    for i in (1, 10):
        with av.open(str(tmp_path / "out" / f"shot{i}.mp4")) as c:
            vs = c.streams.video[0]
            assert (vs.codec_context.width, vs.codec_context.height) == (96, 54)
    before = {
        i: recipes.ports(load_workflow(path).node(f"s{i}"), registry, tmp_path, {}).current
        for i in (1, 10)
    }

    doc = json.loads((user / "hero.json").read_text())
    doc["nodes"][2]["params"]["crf"] = 23  # the improvement: only the export's quality
    (user / "hero.json").write_text(json.dumps(doc))
    after = {
        i: recipes.ports(load_workflow(path).node(f"s{i}"), registry, tmp_path, {}).current
        for i in (1, 10)
    }
    assert all(before[i] != after[i] for i in before)  # every shot sees a new version

    second = _run(registry, path, tmp_path)
    assert second.status == "ok"
    assert sorted(second.executed) == sorted(f"s{i}/export" for i in range(1, 11))
    assert {second.states[f"s{i}/shot"] for i in range(1, 11)} == {"cached"}


def test_changing_one_exposed_value_reruns_that_instance_only_from_the_node_it_sets(
    tmp_path, registry
):
    path = _shots(tmp_path, 2)
    assert _run(registry, path, tmp_path).status == "ok"
    wf = load_workflow(path)
    wf.node("s2").params["values"]["file"] = "renamed"
    save_workflow(wf, path)
    r = _run(registry, path, tmp_path)
    assert r.executed == ["s2/export"]
    assert (tmp_path / "out" / "renamed.mp4").exists()
    wf.node("s2").params["values"]["move"] = "tilt_down"
    save_workflow(wf, path)
    r = _run(registry, path, tmp_path)
    assert sorted(r.executed) == ["s2/camera", "s2/export", "s2/shot"]


def test_a_pinned_instance_keeps_its_version_when_the_file_changes(tmp_path, registry):
    rfile = tmp_path / "hero.json"
    shutil.copy(ROOT / "resources" / "recipes" / "push_in_shot.json", rfile)
    path = _shots(tmp_path, 2, "hero.json")
    assert _run(registry, path, tmp_path).status == "ok"
    version = recipes.ports(load_workflow(path).node("s1"), registry, tmp_path, {}).digest
    wf = load_workflow(path)
    wf.node("s1").params["pin"] = version
    save_workflow(wf, path)
    doc = json.loads(rfile.read_text())
    doc["nodes"][1]["params"]["fps"] = 12  # a change that would re-render
    rfile.write_text(json.dumps(doc))
    r = _run(registry, path, tmp_path)
    assert (
        "s1/shot" not in r.executed and r.states["s1/export"] == "cached"
    )  # pinned: nothing re-runs
    assert "s2/shot" in r.executed  # following the file: re-rendered at 12 fps
    ports = recipes.ports(load_workflow(path).node("s1"), registry, tmp_path, {})
    assert ports.digest == version and ports.current != version
    diff = recipes.diff(recipes.remembered(version), load_workflow(rfile))
    assert diff == ["shot.fps: 24 -> 12"]


def test_a_pin_whose_version_is_gone_is_refused_with_the_fix(tmp_path, registry):
    path = _shots(tmp_path, 1)
    wf = load_workflow(path)
    wf.node("s1").params["pin"] = "0123456789abcdef"
    problems = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    assert problems == [
        "node s1 (recipe): param 'source': the pinned version 0123456789abcdef of library:push_in_shot "
        "is not on this machine (clear 'pin' to use the current one, or embed the recipe)"
    ]


# -- nesting and refusals ------------------------------------------------------------------


def _recipe(nodes, links, interface) -> dict:
    return {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "r",
        "nodes": nodes,
        "links": links,
        "interface": interface,
    }


def test_recipes_nest_and_ids_carry_the_whole_path(tmp_path, registry):
    inner = json.loads((ROOT / "resources" / "recipes" / "push_in_shot.json").read_text())
    outer = _recipe(
        [
            {"id": "p", "type": "prompt", "params": {"subject": "tea"}},
            {
                "id": "push",
                "type": "recipe",
                "params": {"source": "embedded:push", "values": SMALL},
            },
        ],
        [{"from": ["p", "prompt"], "to": ["push", "prompt"]}],
        {
            "inputs": [{"name": "still", "type": "IMAGE", "to": [["push", "still"]]}],
            "outputs": [{"name": "video", "from": ["push", "video"]}],
            "params": [],
        },
    )
    outer["recipes"] = {"push": inner}
    (tmp_path / "outer.json").write_text(json.dumps(outer))
    path = _shots(tmp_path, 1, "outer.json")
    wf = load_workflow(path)
    wf.node("s1").params["values"] = {}
    wf.links = [lk for lk in wf.links if lk.dst != ("s1", "prompt")]  # the outer recipe has its own
    ex = recipes.expand(wf, registry, tmp_path)
    ids = {n.id for n in ex.workflow.nodes}
    assert {"s1/p", "s1/push/camera", "s1/push/shot", "s1/push/export"} <= ids
    assert ("still", "image", "s1/push/shot", "image") in {lk.key for lk in ex.workflow.links}
    assert ex.instances["s1"].outputs["video"] == ("s1/push/shot", "video")
    assert "s1/push" in ex.instances
    save_workflow(wf, path)
    r = _run(registry, path, tmp_path)
    assert r.status == "ok", r.errors and "s1/push/export" in r.executed


def test_a_recipe_that_reaches_itself_is_refused_with_the_chain(tmp_path, registry):
    a = _recipe(
        [{"id": "b", "type": "recipe", "params": {"source": "b.json"}}],
        [],
        {"inputs": [], "outputs": [], "params": []},
    )
    b = _recipe(
        [{"id": "a", "type": "recipe", "params": {"source": "a.json"}}],
        [],
        {"inputs": [], "outputs": [], "params": []},
    )
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    wf = Workflow.model_validate(
        {"nodes": [{"id": "top", "type": "recipe", "params": {"source": "a.json"}}]}
    )
    [problem] = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    ra, rb = (tmp_path / "a.json").resolve(), (tmp_path / "b.json").resolve()
    assert problem == (
        f"node top/b/a (recipe): param 'source': the recipe reaches itself: {ra} -> {rb} -> {ra}; "
        "remove the inner use of it"
    )


def test_missing_file_and_unknown_ports_are_named(tmp_path, registry):
    wf = Workflow.model_validate(
        {
            "nodes": [
                {"id": "x", "type": "recipe", "params": {"source": "gone/hero.json"}},
                {"id": "y", "type": "recipe", "params": {"source": "library:push_in_shot"}},
                {"id": "p", "type": "prompt", "params": {}},
            ],
            "links": [{"from": ["p", "prompt"], "to": ["y", "nope"]}],
        }
    )
    problems = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    assert (
        f"node x (recipe): param 'source': recipe file not found: {tmp_path / 'gone' / 'hero.json'}"
        in problems
    )
    assert (
        "node y (recipe): link: the recipe has no input 'nope' (inputs: still, prompt); reconnect to one "
        "it has"
    ) in problems


def test_a_problem_inside_a_recipe_names_the_instance_and_the_inner_node(tmp_path, registry):
    path = _shots(tmp_path, 1)
    wf = load_workflow(path)
    wf.node("s1").params["values"]["seconds"] = 0
    problems = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    assert len(problems) == 1 and problems[0].startswith(
        "node s1/shot (generator): param 'duration'"
    )


# -- embedded and linked ---------------------------------------------------------------------


def test_embed_and_link_convert_between_the_two_and_run_the_same(tmp_path, registry):
    path = _shots(tmp_path, 1)
    first = _run(registry, path, tmp_path)
    wf = recipes.embed(load_workflow(path), "s1", tmp_path)
    assert (
        wf.node("s1").params["source"] == "embedded:push_in_shot" and "push_in_shot" in wf.recipes
    )
    save_workflow(wf, path)
    again = _run(registry, path, tmp_path)
    assert again.executed == [] and again.keys == first.keys  # the same graph: all from the cache
    wf = recipes.link(load_workflow(path), "s1", tmp_path / "mine" / "push.json", tmp_path)
    assert wf.node("s1").params["source"] == "mine/push.json" and wf.recipes == {}
    assert load_workflow(tmp_path / "mine" / "push.json").interface is not None
    save_workflow(wf, path)
    assert _run(registry, path, tmp_path).executed == []


def _cli(tmp_path: Path):
    from tests.helpers import reelgraph_cli

    return reelgraph_cli(tmp_path)


# -- making one -----------------------------------------------------------------------------


def test_make_cuts_the_selection_and_the_crossing_links_become_the_interface(registry):
    wf = load_workflow(ROOT / "workflows" / "demo.json")
    recipe, rest = recipes.make(wf, {"camera", "shot"}, registry, name="push")
    iface = recipe.interface
    assert [(i.name, i.type, i.to) for i in iface.inputs] == [
        ("prompt", "PROMPT", [("shot", "prompt")]),
        ("image", "IMAGE", [("shot", "image")]),
    ]
    assert [(o.name, o.src) for o in iface.outputs] == [("video", ("shot", "video"))]
    assert {n.id for n in rest.nodes} == {"prompt", "still", "push", "export"}
    assert {lk.key for lk in rest.links} == {
        ("prompt", "prompt", "push", "prompt"),
        ("still", "image", "push", "image"),
        ("push", "video", "export", "video"),
    }
    assert rest.node("push").params["source"] == "embedded:push"
    flat = recipes.expand(rest, registry, ROOT / "workflows").workflow
    assert {lk.key for lk in flat.links} >= {
        ("push/shot", "video", "export", "video"),
        ("push/camera", "camera", "push/shot", "camera"),
    }


def test_cli_recipe_make_list_show_set_and_target(tmp_path):
    cli = _cli(tmp_path)

    demo = json.loads((ROOT / "workflows" / "demo.json").read_text())
    for n in demo["nodes"]:
        if n["type"] == "reference_image":
            n["params"]["path"] = str(ROOT / "resources" / "media" / "coffee.png")
        if n["type"] == "generator":
            n["params"].update(width=96, height=54, duration=1)
    (tmp_path / "demo.json").write_text(json.dumps(demo))
    made = cli(
        "recipe",
        "make",
        "demo.json",
        "--nodes",
        "camera,shot,export",
        "--name",
        "coffee",
        "--replace",
    )
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "config" / "recipes" / "coffee.json").exists()
    listed = cli("recipe", "list")
    assert (
        "coffee" in listed.stdout and "yours" in listed.stdout and "push_in_shot" in listed.stdout
    )
    shown = cli("recipe", "show", "push_in_shot")
    assert 'set  move         = "zoom_in"  (camera.preset)' in shown.stdout
    doc = json.loads((tmp_path / "demo.json").read_text())
    assert [n["type"] for n in doc["nodes"]] == ["prompt", "reference_image", "recipe"]
    run = cli("run", "demo.json", "--out", "out", "--set", "coffee.values.nope=1")
    assert run.returncode == 2 and "exposes no param 'nope'" in run.stderr
    recipe = json.loads((tmp_path / "config" / "recipes" / "coffee.json").read_text())
    recipe["interface"]["params"].append({"name": "file", "node": "export", "param": "filename"})
    (tmp_path / "config" / "recipes" / "coffee.json").write_text(json.dumps(recipe))
    run = cli(
        "run",
        "demo.json",
        "--out",
        "out",
        "--set",
        'coffee.values.file="take_a"',
        "--target",
        "coffee",
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "take_a.mp4").exists() and "coffee/export" in run.stdout
    bad = cli("recipe", "make", "demo.json", "--nodes", "zzz", "--name", "x")
    assert bad.returncode == 2 and "no node 'zzz'" in bad.stderr


def test_the_shipped_recipes_run_on_the_local_engine(tmp_path, registry):
    """Each shipped recipe, wired as its interface asks, renders offline."""
    media = ROOT / "resources" / "media"
    brush = json.loads((ROOT / "workflows" / "motion_loop.json").read_text())["nodes"][2]
    doc = {
        "schema": "reelgraph/workflow",
        "version": 1,
        "name": "shipped",
        "nodes": [
            {"id": "p", "type": "prompt", "params": {"subject": "x"}},
            {
                "id": "coffee",
                "type": "reference_image",
                "params": {"path": str(media / "coffee.png")},
            },
            {
                "id": "face",
                "type": "reference_image",
                "params": {"path": str(media / "astronaut.png")},
            },
            {"id": "voice", "type": "load_audio", "params": {"path": str(media / "speech_en.wav")}},
            {"id": "brush", "type": "motion_brush", "params": brush["params"]},
            {
                "id": "push",
                "type": "recipe",
                "params": {"source": "library:push_in_shot", "values": SMALL},
            },
            {
                "id": "loop",
                "type": "recipe",
                "params": {
                    "source": "library:motion_loop",
                    "values": {"seconds": 1, "width": 120, "height": 80},
                },
            },
            {
                "id": "talk",
                "type": "recipe",
                "params": {
                    "source": "library:dialogue_shot",
                    "values": {"seconds": 1, "width": 256, "height": 256},
                },
            },
        ],
        "links": [
            {"from": ["p", "prompt"], "to": ["push", "prompt"]},
            {"from": ["coffee", "image"], "to": ["push", "still"]},
            {"from": ["p", "prompt"], "to": ["loop", "prompt"]},
            {"from": ["coffee", "image"], "to": ["loop", "still"]},
            {"from": ["coffee", "image"], "to": ["brush", "image"]},
            {"from": ["brush", "motion"], "to": ["loop", "motion"]},
            {"from": ["p", "prompt"], "to": ["talk", "prompt"]},
            {"from": ["face", "image"], "to": ["talk", "portrait"]},
            {"from": ["voice", "audio"], "to": ["talk", "voice"]},
        ],
    }
    path = tmp_path / "shipped.json"
    path.write_text(json.dumps(doc))
    r = _run(registry, path, tmp_path)
    assert r.status == "ok", r.errors
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {"shot.mp4", "loop.mp4", "loop.gif", "dialogue.mp4"}
    with av.open(str(out / "dialogue.mp4")) as c:
        assert c.streams.audio, "the dialogue shot keeps its voice"


def test_nested_fan_out_is_refused_before_it_eats_memory(tmp_path, registry, monkeypatch):
    """Ten instances of a recipe holding ten instances of one holding ten...: refused with the
    limit, quickly, instead of expanding into millions of nodes."""
    leaf = _recipe(
        [{"id": "p", "type": "prompt", "params": {}}],
        [],
        {"inputs": [], "outputs": [{"name": "out", "from": ["p", "prompt"]}], "params": []},
    )
    (tmp_path / "r0.json").write_text(json.dumps(leaf))
    for level in range(1, 6):
        doc = _recipe(
            [
                {"id": f"i{k}", "type": "recipe", "params": {"source": f"r{level - 1}.json"}}
                for k in range(10)
            ],
            [],
            {"inputs": [], "outputs": [], "params": []},
        )
        (tmp_path / f"r{level}.json").write_text(json.dumps(doc))
    wf = Workflow.model_validate(
        {"nodes": [{"id": "top", "type": "recipe", "params": {"source": "r5.json"}}]}
    )
    problems = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    assert any("expand into more than 20,000 nodes" in p for p in problems)


def test_a_recipe_cut_with_its_still_works_from_the_library_and_a_shot_sets_its_own(tmp_path):
    """All five nodes of a shot, the still included, into the library: its still is found from
    there; a shot's own still (relative to the shot's workflow) is found from the shot."""
    cli = _cli(tmp_path)

    (tmp_path / "proj" / "media").mkdir(parents=True)
    shutil.copy(
        ROOT / "resources" / "media" / "coffee.png", tmp_path / "proj" / "media" / "coffee.png"
    )
    shutil.copy(
        ROOT / "resources" / "media" / "chelsea.png", tmp_path / "proj" / "media" / "cat.png"
    )
    demo = json.loads((ROOT / "workflows" / "demo.json").read_text())
    for n in demo["nodes"]:
        if n["type"] == "reference_image":
            n["params"]["path"] = "media/coffee.png"
        if n["type"] == "generator":
            n["params"].update(width=96, height=54, duration=1)
    (tmp_path / "proj" / "shot.json").write_text(json.dumps(demo))
    made = cli(
        "recipe",
        "make",
        "proj/shot.json",
        "--nodes",
        "prompt,still,camera,shot,export",
        "--name",
        "whole",
        "--replace",
        "--expose",
        "still.path=still",
        "--expose",
        "export.filename=file",
    )
    assert made.returncode == 0, made.stderr
    assert "settings: still, file" in made.stdout and "out: file" in made.stdout, made.stdout
    run = cli("run", "proj/shot.json", "--out", "out")
    assert run.returncode == 0, run.stderr
    run = cli(
        "run",
        "proj/shot.json",
        "--out",
        "out",
        "--set",
        'whole.values.still="media/cat.png"',
        "--set",
        'whole.values.file="cat"',
    )
    assert run.returncode == 0, run.stderr
    from app.media.video import read_frame

    coffee, cat = (
        read_frame(tmp_path / "out" / "demo_coffee.mp4", 0),
        read_frame(tmp_path / "out" / "cat.mp4", 0),
    )
    assert abs(float(coffee.mean()) - float(cat.mean())) > 5  # another still, another picture


def test_a_pinned_shot_keeps_working_when_its_recipe_file_is_gone(tmp_path, registry):
    rfile = tmp_path / "hero.json"
    shutil.copy(ROOT / "resources" / "recipes" / "push_in_shot.json", rfile)
    path = _shots(tmp_path, 1, "hero.json")
    wf = load_workflow(path)
    wf.node("s1").params["pin"] = recipes.ports(wf.node("s1"), registry, tmp_path, {}).digest
    save_workflow(wf, path)
    rfile.unlink()
    assert validate(load_workflow(path), registry, base_dir=tmp_path) == []
    assert _run(registry, path, tmp_path).status == "ok"


def _still_recipe(path_param: str) -> dict:
    return _recipe(
        [{"id": "img", "type": "reference_image", "params": {"path": path_param}}],
        [],
        {"inputs": [], "outputs": [{"name": "image", "from": ["img", "image"]}], "params": []},
    )


def test_files_inside_nested_recipes_are_their_own_folders(tmp_path, registry):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(ROOT / "resources" / "media" / "coffee.png", lib / "still.png")
    (lib / "inner.json").write_text(json.dumps(_still_recipe("still.png")))
    outer = _recipe(
        [{"id": "in", "type": "recipe", "params": {"source": "inner.json"}}],
        [],
        {"inputs": [], "outputs": [{"name": "image", "from": ["in", "image"]}], "params": []},
    )
    (lib / "outer.json").write_text(json.dumps(outer))
    wf = Workflow.model_validate(
        {"nodes": [{"id": "shot", "type": "recipe", "params": {"source": "lib/outer.json"}}]}
    )
    flat = recipes.expand(wf, registry, tmp_path).workflow
    assert flat.node("shot/in/img").params["path"] == str(lib / "still.png")  # not ./still.png
    # embedded elsewhere it keeps meaning the same file; the nested recipe file too
    embedded = recipes.embed(wf, "shot", tmp_path, registry)
    again = recipes.expand(embedded, registry, tmp_path).workflow
    assert again.node("shot/in/img").params["path"] == str(lib / "still.png")


def test_a_dangling_link_beside_a_recipe_is_still_reported(tmp_path, registry):
    path = _shots(tmp_path, 1)
    wf = load_workflow(path)
    wf.links.append(wf.links[0].model_copy(update={"src": ("ghost", "prompt")}))
    problems = [str(p) for p in validate(wf, registry, base_dir=tmp_path)]
    assert any("ghost" in p for p in problems)


def test_a_recipe_whose_output_comes_from_itself_types_no_ports_instead_of_recursing(
    tmp_path, registry
):
    me = _recipe(
        [{"id": "me", "type": "recipe", "params": {"source": "self.json"}}],
        [],
        {"inputs": [], "outputs": [{"name": "v", "from": ["me", "v"]}], "params": []},
    )
    (tmp_path / "self.json").write_text(json.dumps(me))
    node = Workflow.model_validate(
        {"nodes": [{"id": "x", "type": "recipe", "params": {"source": "self.json"}}]}
    ).nodes[0]
    info = recipes.ports(node, registry, tmp_path, {})  # no RecursionError
    assert [(p.name, p.types) for p in info.outputs] == [("v", ())]


def test_a_kept_version_edited_on_disk_is_not_that_version(tmp_path, registry):
    wf = load_workflow(ROOT / "resources" / "recipes" / "push_in_shot.json")
    h = recipes.remember(wf)
    stored = tmp_path / "config" / "recipe-versions" / f"{h}.json"
    doc = json.loads(stored.read_text())
    doc["nodes"][0]["params"]["preset"] = "pan_left"
    stored.write_text(json.dumps(doc))
    assert recipes.remembered(h) is None


def test_make_with_a_name_equal_to_a_cut_node(registry):
    wf = load_workflow(ROOT / "workflows" / "demo.json")
    recipe, rest = recipes.make(wf, {"camera", "shot"}, registry, name="shot")
    inst = [n for n in rest.nodes if n.type == "recipe"]
    assert len(inst) == 1 and inst[0].params["source"] == "embedded:shot"
