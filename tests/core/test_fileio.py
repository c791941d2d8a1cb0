import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import fileio
from app.core import workflow as wfmod
from app.core.errors import WorkflowError
from app.core.fileio import load_workflow, parse_workflow, save_workflow
from tests.core.testnodes import wf

ROOT = Path(__file__).resolve().parents[2]

GOOD = {
    "schema": "reelgraph/workflow",
    "version": 1,
    "name": "shot 12",
    "nodes": [
        {
            "id": "p1",
            "type": "t_const",
            "params": {"value": "a dusk street"},
            "ui": {"pos": [10, 20]},
        },
        {
            "id": "ghost",
            "type": "plugin_not_installed",
            "params": {"strength": 0.7, "nested": {"a": [1, 2]}},
            "ui": {"pos": [300, 20], "collapsed": True},
        },
    ],
    "links": [{"from": ["p1", "out"], "to": ["ghost", "prompt"]}],
    "ui": {"backdrops": [{"title": "Shot 12", "nodes": ["p1"]}]},
}


def test_round_trip_keeps_ids_ui_and_unknown_nodes(tmp_path):
    path = tmp_path / "shot.json"
    path.write_text(json.dumps(GOOD))
    w = load_workflow(path)
    assert [n.id for n in w.nodes] == ["p1", "ghost"]
    ghost = w.node("ghost")
    assert ghost.type == "plugin_not_installed" and ghost.params["nested"] == {"a": [1, 2]}
    save_workflow(w, tmp_path / "again.json")
    assert json.loads((tmp_path / "again.json").read_text()) == GOOD
    assert load_workflow(tmp_path / "again.json") == w


def test_newer_version_is_refused_clearly(tmp_path):
    doc = dict(GOOD, version=7)
    with pytest.raises(WorkflowError) as info:
        parse_workflow(json.dumps(doc))
    msg = str(info.value)
    assert "newer Reelgraph" in msg and "version 7" in msg and "update Reelgraph" in msg


def test_migrations_run_step_by_step(monkeypatch):
    calls = []

    def one_to_two(doc):
        calls.append(doc["version"])
        for n in doc["nodes"]:
            if n["type"] == "t_concat":
                n["type"] = "t_join"
        return doc

    monkeypatch.setattr(wfmod, "CURRENT_VERSION", 2)
    monkeypatch.setitem(fileio.MIGRATIONS, 1, one_to_two)
    w = parse_workflow(json.dumps(wf([("j", "t_concat", {})], [])))
    assert calls == [1] and w.version == 2 and w.nodes[0].type == "t_join"


@pytest.mark.parametrize(
    "text, where",
    [
        ("{", "line 1 column 2"),
        ("[]", "document"),
        ('{"schema": "other"}', "schema"),
        ('{"schema": "reelgraph/workflow", "version": "1"}', "version"),
        ('{"schema": "reelgraph/workflow", "version": 1, "nodes": [{"id": "a"}]}', "nodes[0].type"),
        (
            '{"schema": "reelgraph/workflow", "version": 1, "links": [{"from": ["a"], "to": ["b", "c"]}]}',
            "links[0].from[1]",
        ),
    ],
)
def test_errors_have_a_location(text, where):
    with pytest.raises(WorkflowError) as info:
        parse_workflow(text)
    assert any(p.where == where for p in info.value.problems), info.value.problems


def test_missing_file_and_folder_are_clear(tmp_path):
    with pytest.raises(WorkflowError, match="file not found"):
        load_workflow(tmp_path / "none.json")
    with pytest.raises(WorkflowError, match="is a folder"):
        load_workflow(tmp_path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


def _mutations():
    keys = [
        "schema",
        "version",
        "name",
        "nodes",
        "links",
        "ui",
        "id",
        "type",
        "params",
        "from",
        "to",
    ]
    return st.lists(
        st.tuples(
            st.sampled_from(["set", "delete", "wrap"]),
            st.lists(st.sampled_from(keys + [0, 1]), min_size=1, max_size=3),
            json_values,
        ),
        max_size=4,
    )


def _mutate(doc, ops):
    import copy

    doc = copy.deepcopy(doc)
    for op, path, value in ops:
        target = doc
        for part in path[:-1]:
            try:
                target = target[part]
            except (KeyError, IndexError, TypeError):
                break
        last = path[-1]
        try:
            if op == "set":
                target[last] = value
            elif op == "delete":
                del target[last]
            else:
                target[last] = [target[last]]
        except (KeyError, IndexError, TypeError):
            pass
    return doc


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=_mutations())
def test_fuzz_mutated_documents_only_raise_workflow_errors(tmp_path, ops):
    path = tmp_path / "fuzz.json"
    text = json.dumps(_mutate(GOOD, ops), allow_nan=True)
    path.write_text(text)
    before = path.read_bytes()
    try:
        load_workflow(path)
    except WorkflowError as e:
        assert e.problems and all(p.where or p.node for p in e.problems)
    assert path.read_bytes() == before


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_fuzz_random_bytes_only_raise_workflow_errors(tmp_path, data):
    path = tmp_path / "rand.json"
    path.write_bytes(data)
    try:
        load_workflow(path)
    except WorkflowError as e:
        assert e.problems and all(p.where or p.node for p in e.problems)
    assert path.read_bytes() == data


def test_deep_nesting_is_a_workflow_error():
    with pytest.raises(WorkflowError):
        parse_workflow("[" * 100000 + "]" * 100000)


SAVER = r"""
import sys, json
sys.path.insert(0, sys.argv[1])
from app.core.workflow import Workflow
from app.core.fileio import save_workflow
big = [Workflow.model_validate({"schema": "reelgraph/workflow", "version": 1, "name": f"v{i}",
       "nodes": [{"id": f"n{k}", "type": "t_const", "params": {"value": "x" * 2000}} for k in range(400 + i)],
       "links": []}) for i in range(2)]
print("ready", flush=True)
i = 0
while True:
    save_workflow(big[i % 2], sys.argv[2])
    i += 1
"""


def test_save_killed_mid_write_leaves_a_loadable_file(tmp_path):
    target = tmp_path / "shot.json"
    save_workflow(parse_workflow(json.dumps(GOOD)), target)
    for attempt in range(8):
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(ROOT), str(target)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + 0.037 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        w = load_workflow(target)  # never truncated
        assert w.name in ("shot 12", "v0", "v1")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "shot.json"]
    # temp files of killed saves may remain, but never replace the target
    assert all(name.startswith(".shot.json.") for name in leftovers)
