"""Each edit operation undoes itself: applying an op and then the op it returned leaves the
workflow as it was, and the ops are plain frozen values an undo stack can keep."""

import dataclasses

import pytest

from app.core import edits
from app.core.workflow import Link, NodeModel, Workflow
from tests.core.testnodes import wf


def _doc() -> Workflow:
    return Workflow.model_validate(
        wf([("a", "t_const", {"value": "x"}), ("b", "t_join", {})], [("a", "out", "b", "extra")])
    )


def _link(a, ap, b, bp) -> Link:
    return Link.model_validate({"from": [a, ap], "to": [b, bp]})


OPS = [
    lambda w: edits.add_node(NodeModel(id="c", type="t_const", params={"value": "y"}), 0),
    lambda w: edits.set_params("a", {"value": "changed"}),
    lambda w: edits.set_node_ui("b", {"pos": [10.0, 20.0], "title": "Join"}),
    lambda w: edits.set_mode("b", "bypass"),
    lambda w: edits.set_doc_ui({"viewport": [1, 2, 3]}),
    lambda w: edits.remove_link(w.links[0]),
    lambda w: edits.add_link(_link("b", "out", "a", "extra")),
    lambda w: edits.SetRecipes({"r": {"schema": "reelgraph/workflow", "version": 1, "nodes": []}}),
]


@pytest.mark.parametrize("make", OPS)
def test_an_op_and_its_inverse_leave_the_workflow_as_it_was(make):
    w = _doc()
    before = w.to_json_dict()
    op = make(w)
    inverse = edits.apply(w, op)
    assert w.to_json_dict() != before
    assert (
        isinstance(inverse, edits.Op)
        and type(inverse) is not type(op)
        or isinstance(
            op, (edits.SetParams, edits.SetNodeUi, edits.SetMode, edits.SetDocUi, edits.SetRecipes)
        )
    )
    redo = edits.apply(w, inverse)
    assert w.to_json_dict() == before
    assert type(redo) is type(op)  # the redo is the same kind of change
    edits.apply(w, redo)
    after_redo = w.to_json_dict()
    w2 = _doc()
    edits.apply(w2, op)
    assert after_redo == w2.to_json_dict()


def test_removing_a_node_puts_it_back_where_it_was():
    w = _doc()
    ops = edits.remove_nodes(w, {"a"})
    assert [type(o) for o in ops] == [edits.RemoveLink, edits.RemoveNode]
    inverses = [edits.apply(w, o) for o in ops]
    assert [n.id for n in w.nodes] == ["b"] and w.links == []
    for inv in reversed(inverses):
        edits.apply(w, inv)
    assert w.to_json_dict() == _doc().to_json_dict()


def test_ops_are_frozen_and_own_their_data():
    params = {"value": "y"}
    op = edits.set_params("a", params)
    params["value"] = "mutated later"
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.node_id = "b"  # type: ignore[misc]
    w = _doc()
    edits.apply(w, op)
    assert w.node("a").params == {"value": "y"}


def test_a_node_still_linked_cannot_be_removed_and_a_missing_node_is_named():
    w = _doc()
    with pytest.raises(ValueError, match="still has links"):
        edits.apply(w, edits.remove_node("a"))
    with pytest.raises(ValueError, match="no node 'zz'"):
        edits.apply(w, edits.set_params("zz", {}))


def test_ops_between_two_workflows_make_one_from_the_other_and_back():
    from pathlib import Path

    from app.core import recipes
    from app.core.fileio import load_workflow
    from app.core.registry import default_registry

    root = Path(__file__).resolve().parents[2]
    before = load_workflow(root / "workflows" / "demo.json")
    _, after = recipes.make(before, {"camera", "shot"}, default_registry(), name="push")
    w = before.clone()
    inverses = [edits.apply(w, op) for op in edits.ops_between(before, after)]
    assert w.to_json_dict() == after.to_json_dict()
    for inv in reversed(inverses):
        edits.apply(w, inv)
    assert w.to_json_dict() == before.to_json_dict()


def test_pasting_nodes_that_share_an_id_gives_each_its_own_and_undo_removes_them_all():
    w = _doc()
    frag = {
        "schema": "reelgraph/fragment",
        "version": 1,
        "nodes": [{"id": "a", "type": "t_const", "ui": {"pos": [float("nan"), 3]}}] * 3,
        "links": [],
    }
    ops, ids = edits.paste(w, frag, (10.0, 10.0))
    assert len(set(ids)) == 3 and not set(ids) & {"a", "b"}
    inverses = [edits.apply(w, op) for op in ops]
    assert w.node(ids[0]).ui["pos"] == [
        10.0,
        10.0,
    ]  # a position that is not a number starts at 0, 0
    for inv in reversed(inverses):
        edits.apply(w, inv)
    assert w.to_json_dict() == _doc().to_json_dict()
    with pytest.raises(ValueError, match="paste at most"):
        edits.paste(
            w, {"schema": "reelgraph/fragment", "nodes": [{"id": "x", "type": "t"}] * 5000}, (0, 0)
        )
