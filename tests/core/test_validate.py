import pytest

from app.core.ports import PortType, can_connect, can_feed
from app.core.validate import validate
from app.core.workflow import Workflow
from tests.core.testnodes import wf


def problems(registry, doc):
    return [str(p) for p in validate(Workflow.model_validate(doc), registry)]


def test_a_valid_workflow_has_no_problems(registry):
    assert (
        problems(
            registry, wf([("a", "t_const", {}), ("n", "t_needs", {})], [("a", "out", "n", "p")])
        )
        == []
    )


def test_type_mismatch_names_node_port_and_fix(registry):
    out = problems(
        registry, wf([("v", "t_video", {}), ("n", "t_needs", {})], [("v", "video", "n", "p")])
    )
    assert out == [
        "node n (t_needs): input 'p': type mismatch: v.video gives VIDEO but this input takes PROMPT; "
        "connect an output of the right type"
    ]


def test_cycle_is_reported(registry):
    out = problems(
        registry,
        wf(
            [("a", "t_join", {}), ("b", "t_join", {})],
            [("a", "out", "b", "extra"), ("b", "out", "a", "extra")],
        ),
    )
    assert any("links form a cycle" in p and "remove one of those links" in p for p in out)


def test_two_links_into_a_single_input(registry):
    out = problems(
        registry,
        wf(
            [("a", "t_const", {}), ("b", "t_const", {}), ("j", "t_join", {})],
            [("a", "out", "j", "extra"), ("b", "out", "j", "extra")],
        ),
    )
    assert out == [
        "node j (t_join): input 'extra': takes one link but has 2 (a.out, b.out); remove all but one"
    ]


def test_multi_input_takes_several(registry):
    assert (
        problems(
            registry,
            wf(
                [("a", "t_const", {}), ("b", "t_const", {}), ("j", "t_join", {})],
                [("a", "out", "j", "items"), ("b", "out", "j", "items")],
            ),
        )
        == []
    )


def test_missing_required_input(registry):
    out = problems(registry, wf([("n", "t_needs", {})], []))
    assert out == [
        "node n (t_needs): input 'p': required input is not connected; connect a PROMPT output"
    ]


def test_param_out_of_range_and_unknown_param(registry):
    out = problems(registry, wf([("s", "t_sleep", {"seconds": 99, "colour": "red"})], []))
    assert any(
        p.startswith("node s (t_sleep): param 'seconds': Input should be less than or equal to 60")
        for p in out
    )
    assert any(
        "param 'colour': unknown param; this node's params are: seconds, tag" in p for p in out
    )


def test_unknown_node_type_is_reported_not_dropped(registry):
    doc = wf([("a", "t_const", {}), ("x", "magic_upscaler", {"k": 1})], [("a", "out", "x", "in")])
    out = problems(registry, doc)
    assert out == [
        "node x (magic_upscaler): unknown node type; the node and its links are kept, but it cannot run "
        "(install the plugin that provides it, or replace the node)"
    ]


def test_link_to_missing_node_or_port(registry):
    out = problems(
        registry,
        wf(
            [("a", "t_const", {}), ("j", "t_join", {})],
            [("a", "nope", "j", "items"), ("zz", "out", "j", "extra"), ("a", "out", "j", "bogus")],
        ),
    )
    assert any("t_const has no output 'nope'" in p for p in out)
    assert any("does not exist ('zz')" in p for p in out)
    assert any("input 'bogus': no such input; inputs are: items, extra" in p for p in out)


def test_duplicate_ids(registry):
    out = problems(registry, wf([("a", "t_const", {}), ("a", "t_const", {})], []))
    assert any("2 nodes share this id" in p for p in out)


@pytest.mark.parametrize(
    "out_t, in_t, ok",
    [
        (PortType.IMAGE, PortType.IMAGE, True),
        (PortType.MASK, PortType.IMAGE, True),
        (PortType.IMAGE, PortType.MASK, True),
        (PortType.VIDEO, PortType.IMAGE, False),
        (PortType.PROMPT, PortType.CAMERA, False),
        (PortType.AUDIO, PortType.VIDEO, False),
    ],
)
def test_compatibility_table(out_t, in_t, ok):
    assert can_feed(out_t, in_t) is ok
    assert can_connect((out_t,), (PortType.VIDEO, in_t)) is (ok or out_t == PortType.VIDEO)
