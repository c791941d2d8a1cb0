import json
from pathlib import Path

import pytest

from app.core.cache import Cache
from app.core.executor import Executor
from app.core.registry import discover
from app.core.workflow import Workflow


class Runner:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.ex = Executor(discover("nodes"), Cache(tmp / "cache"))

    def __call__(self, nodes, links, *, targets=None, name="test"):
        doc = {
            "schema": "reelgraph/workflow",
            "version": 1,
            "name": name,
            "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
            "links": [{"from": [a, b], "to": [c, d]} for a, b, c, d in links],
        }
        wf = Workflow.model_validate(json.loads(json.dumps(doc)))
        self.last_doc = wf.to_json_dict()
        return self.ex.run(wf, base_dir=self.tmp, out_dir=self.tmp / "renders", targets=targets)


@pytest.fixture
def runner(tmp_path):
    return Runner(tmp_path)
