import threading
import time
from pathlib import Path

import pytest

from app.core.context import CancelToken
from app.core.errors import WorkflowError
from app.core.executor import Executor
from app.core.workflow import Workflow
from tests.core.testnodes import wf


def make(doc) -> Workflow:
    return Workflow.model_validate(doc)


def run(registry, cache, doc, tmp_path, **kw):
    events = []
    ex = Executor(registry, cache, cpu_workers=kw.pop("cpu_workers", 2))
    result = ex.run(
        make(doc) if isinstance(doc, dict) else doc,
        base_dir=tmp_path,
        out_dir=tmp_path / "renders",
        on_event=events.append,
        **kw,
    )
    return result, events


def text(result, node, port="out"):
    return result.outputs[node][port].read_json()["text"]


CHAIN = wf(
    [
        ("a", "t_const", {"value": "A"}),
        ("b", "t_const", {"value": "B"}),
        ("j", "t_join", {"sep": "-"}),
        ("k", "t_join", {"sep": "+"}),
        ("c", "t_const", {"value": "C"}),
    ],
    [
        ("a", "out", "j", "items"),
        ("b", "out", "j", "items"),
        ("j", "out", "k", "items"),
        ("c", "out", "k", "extra"),
    ],
)


def test_runs_in_dependency_order_and_passes_values(registry, cache, tmp_path):
    result, events = run(registry, cache, CHAIN, tmp_path)
    assert result.status == "ok"
    assert text(result, "j") == "A-B"  # multi input keeps link order
    assert text(result, "k") == "A-B+C"
    started = [e.node for e in events if e.event == "started"]
    assert started.index("a") < started.index("j") < started.index("k")
    assert started.index("c") < started.index("k")
    names = [e.event for e in events]
    assert names[0] == "run_started" and names[-1] == "run_finished"
    fin = [e for e in events if e.event == "finished" and e.node == "k"][0]
    assert Path(fin.outputs["out"]).read_text().count("A-B+C") == 1


def test_independent_branches_run_in_parallel(registry, cache, tmp_path):
    doc = wf(
        [
            ("s1", "t_sleep", {"seconds": 0.5, "tag": "1"}),
            ("s2", "t_sleep", {"seconds": 0.5, "tag": "2"}),
        ],
        [],
    )
    result, events = run(registry, cache, doc, tmp_path, cpu_workers=2)
    assert result.status == "ok"
    # both were running at once: each started before the other finished (from the run's own
    # clock, so a loaded machine cannot fail it)
    at = {(e.event, e.node): e.t for e in events if e.event in ("started", "finished")}
    assert (
        at[("started", "s2")] < at[("finished", "s1")]
        and at[("started", "s1")] < at[("finished", "s2")]
    )


def test_cpu_limit_is_respected_but_remote_work_is_not_bound_by_it(registry, cache, tmp_path):
    doc = wf([(f"s{i}", "t_sleep", {"seconds": 0.3, "tag": str(i)}) for i in range(3)], [])
    t0 = time.monotonic()
    run(registry, cache, doc, tmp_path, cpu_workers=1)
    assert time.monotonic() - t0 >= 0.85  # one CPU slot: serial
    doc = wf([(f"r{i}", "t_remote", {"seconds": 0.3, "tag": str(i)}) for i in range(6)], [])
    t0 = time.monotonic()
    result, _ = run(registry, cache, doc, tmp_path, cpu_workers=1)
    assert result.status == "ok"
    assert time.monotonic() - t0 < 0.9  # remote waits overlap regardless of cores


def test_rerun_with_nothing_changed_executes_nothing(registry, cache, tmp_path):
    first, _ = run(registry, cache, CHAIN, tmp_path)
    assert sorted(first.executed) == ["a", "b", "c", "j", "k"]
    second, events = run(registry, cache, CHAIN, tmp_path)
    assert second.executed == []
    assert {e.node for e in events if e.event == "cached"} == {"a", "b", "c", "j", "k"}
    assert text(second, "k") == "A-B+C"


def test_param_change_reruns_exactly_the_node_and_its_descendants(registry, cache, tmp_path):
    run(registry, cache, CHAIN, tmp_path)
    doc = wf(
        [
            ("a", "t_const", {"value": "A"}),
            ("b", "t_const", {"value": "Z"}),
            ("j", "t_join", {"sep": "-"}),
            ("k", "t_join", {"sep": "+"}),
            ("c", "t_const", {"value": "C"}),
        ],
        CHAIN_LINKS,
    )
    result, _ = run(registry, cache, doc, tmp_path)
    assert sorted(result.executed) == ["b", "j", "k"]
    assert text(result, "k") == "A-Z+C"


CHAIN_LINKS = [
    ("a", "out", "j", "items"),
    ("b", "out", "j", "items"),
    ("j", "out", "k", "items"),
    ("c", "out", "k", "extra"),
]


def test_default_params_and_explicit_defaults_share_a_key(registry, cache, tmp_path):
    run(registry, cache, wf([("a", "t_const", {})], []), tmp_path)
    result, _ = run(registry, cache, wf([("a", "t_const", {"value": "x"})], []), tmp_path)
    assert result.executed == []


def test_file_content_enters_the_key(registry, cache, tmp_path):
    src = tmp_path / "input.txt"
    src.write_text("one")
    doc = wf([("f", "t_file", {"path": "input.txt"})], [])
    assert text(run(registry, cache, doc, tmp_path)[0], "f") == "one"
    assert run(registry, cache, doc, tmp_path)[0].executed == []
    src.write_text("two!")
    result, _ = run(registry, cache, doc, tmp_path)
    assert result.executed == ["f"] and text(result, "f") == "two!"


def test_missing_file_fails_that_node_with_a_clear_message(registry, cache, tmp_path):
    doc = wf(
        [("f", "t_file", {"path": "nope.txt"}), ("j", "t_join", {}), ("c", "t_const", {})],
        [("f", "out", "j", "items")],
    )
    result, events = run(registry, cache, doc, tmp_path)
    assert result.states == {"f": "failed", "j": "skipped", "c": "finished"}
    assert "file not found" in result.errors["f"] and "nope.txt" in result.errors["f"]


def test_failure_skips_only_descendants(registry, cache, tmp_path):
    doc = wf(
        [
            ("bad", "t_fail", {}),
            ("after", "t_join", {}),
            ("after2", "t_join", {}),
            ("ok1", "t_const", {"value": "1"}),
            ("ok2", "t_sleep", {"seconds": 0.1, "tag": "t"}),
            ("crash", "t_crash", {"message": "oops"}),
        ],
        [
            ("bad", "out", "after", "items"),
            ("after", "out", "after2", "items"),
            ("ok1", "out", "ok2", "inp"),
        ],
    )
    result, events = run(registry, cache, doc, tmp_path)
    assert result.status == "failed"
    assert result.states["bad"] == "failed" and result.states["crash"] == "failed"
    assert result.states["after"] == "skipped" and result.states["after2"] == "skipped"
    assert result.states["ok1"] == "finished" and result.states["ok2"] == "finished"
    assert "boom" in result.errors["bad"] and "param 'message'" in result.errors["bad"]
    assert result.errors["crash"] == "internal error: ZeroDivisionError: oops"
    skipped = [e for e in events if e.event == "skipped"]
    assert {e.node for e in skipped} == {"after", "after2"}
    # a failed node leaves nothing in the cache: the next run tries it again
    again, _ = run(registry, cache, doc, tmp_path)
    assert "bad" in again.executed and "ok1" not in again.executed


def test_partial_execution_runs_only_what_targets_need(registry, cache, tmp_path):
    result, events = run(registry, cache, CHAIN, tmp_path, targets=["j"])
    assert sorted(result.executed) == ["a", "b", "j"]
    assert {e.node for e in events if e.node} == {"a", "b", "j"}
    assert "c" not in result.states and "k" not in result.states


def test_cached_downstream_means_upstream_is_not_run(registry, cache, tmp_path):
    first, _ = run(registry, cache, CHAIN, tmp_path)
    # the cache entry of j disappears (eviction), but k is still cached: nothing runs
    import shutil

    shutil.rmtree(cache.entry_dir(first.keys["j"]))
    result, _ = run(registry, cache, CHAIN, tmp_path, targets=["k"])
    assert result.executed == []
    assert text(result, "k") == "A-B+C"


def test_cancel_mid_run_leaves_no_partial_entries(registry, cache, tmp_path):
    doc = wf(
        [("long", "t_sleep", {"seconds": 20}), ("after", "t_join", {}), ("quick", "t_const", {})],
        [("long", "out", "after", "extra")],
    )
    token = CancelToken()
    threading.Timer(0.4, token.cancel).start()
    t0 = time.monotonic()
    result, events = run(registry, cache, doc, tmp_path, cancel=token)
    assert time.monotonic() - t0 < 3
    assert result.status == "cancelled"
    assert result.states["long"] == "cancelled" and result.states["after"] == "cancelled"
    assert result.states["quick"] == "finished"
    assert [e.event for e in events].count("cancelled") == 2
    assert list(cache.staging_dir.iterdir()) == []
    assert cache.get(result.keys["long"]) is None
    assert cache.info()["entries"] == 1  # only "quick"


def test_invalid_workflow_raises_before_running(registry, cache, tmp_path):
    doc = wf([("n", "t_needs", {})], [])
    with pytest.raises(WorkflowError) as info:
        run(registry, cache, doc, tmp_path)
    assert "node n (t_needs): input 'p': required input is not connected" in str(info.value)


def test_unknown_node_outside_targets_does_not_block_a_partial_run(registry, cache, tmp_path):
    doc = wf(
        [("a", "t_const", {}), ("ghost", "not_installed", {"x": 1})], [("a", "out", "ghost", "in")]
    )
    result, _ = run(registry, cache, doc, tmp_path, targets=["a"])
    assert result.status == "ok"
    with pytest.raises(WorkflowError, match="unknown node type"):
        run(registry, cache, doc, tmp_path)


def test_deliveries_are_published_versioned_and_deduplicated(registry, cache, tmp_path):
    doc = wf([("v", "t_video", {"name": "shots/clip.bin"})], [])
    r1, _ = run(registry, cache, doc, tmp_path)
    out = tmp_path / "renders" / "shots" / "clip.bin"
    assert r1.delivered["v"] == [out] and out.exists()
    # cached re-run: the identical file is already there, nothing new is written
    r2, _ = run(registry, cache, doc, tmp_path)
    assert r2.executed == [] and r2.delivered["v"] == [out]
    assert sorted(p.name for p in out.parent.iterdir()) == ["clip.bin"]
    # a different render never overwrites: it gets the next version
    r3, _ = run(
        registry,
        cache,
        wf([("v", "t_video", {"name": "shots/clip.bin", "frames": 11})], []),
        tmp_path,
    )
    assert r3.delivered["v"] == [out.with_name("clip_v002.bin")]
    assert out.read_bytes() == r1.outputs["v"]["video"].path.read_bytes()


def test_legacy_type_ids_still_load_and_run(registry, cache, tmp_path):
    doc = wf(
        [("a", "t_const", {"value": "q"}), ("j", "t_concat", {})], [("a", "out", "j", "items")]
    )
    result, _ = run(registry, cache, doc, tmp_path)
    assert text(result, "j") == "q"


def test_lru_eviction_keeps_under_limit(registry, tmp_path):
    from app.core.cache import Cache

    small = Cache(tmp_path / "c2", limit_bytes=3000)
    for i in range(10):
        run(
            registry,
            small,
            wf([(f"n{i}", "t_video", {"frames": 40, "name": f"{i}.bin"})], []),
            tmp_path,
        )
        time.sleep(0.01)
    info = small.info()
    assert info["size_bytes"] <= 3000
    assert 0 < info["entries"] < 10


def test_a_node_feeding_only_what_cannot_run_is_reported_skipped_and_never_runs(
    registry, cache, tmp_path
):
    """A missing file upstream: the node beside it (cheap here, a paid generator in a film) is
    not run for nothing, and every node of the run is accounted for in the events."""
    doc = wf(
        [
            ("f", "t_file", {"path": "gone.txt"}),
            ("c", "t_const", {"value": "x"}),
            ("mid", "t_join", {}),
            ("end", "t_join", {}),
        ],
        [
            ("f", "out", "mid", "items"),
            ("c", "out", "mid", "extra"),
            ("mid", "out", "end", "items"),
        ],
    )
    result, events = run(registry, cache, doc, tmp_path, use_cache=False)
    assert result.status == "failed" and result.executed == []
    assert result.states == {"f": "failed", "c": "skipped", "mid": "skipped", "end": "skipped"}
    started = next(e for e in events if e.event == "run_started")
    assert set(started.data["nodes"]) == {"f", "c", "mid", "end"}
