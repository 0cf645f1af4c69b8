"""Replies read strictly: every way a reply can be off is a ReplyProblem with a sentence the repair
round sends back to the model."""

from __future__ import annotations

import pytest
from fakes.demo_replies import RIDGE, solution

from mlestar_lab.notebook.candidate import get_block
from mlestar_lab.strategist.llm.parse import ReplyProblem, json_list, json_object, python_code
from mlestar_lab.strategist.llm.scripts import parse_blocks, replace_one, solution_notebook, to_script

PARAMS = {"DATA_DIR": "/data", "OUTPUT_DIR": "out"}


def _nb():
    return solution_notebook(python_code(solution(RIDGE)), PARAMS, {"title": "t"})


def test_a_solution_round_trips_through_its_script():
    nb = _nb()
    assert [c.cell_type for c in nb.cells[:2]] == ["markdown", "code"]
    assert nb.cells[1].metadata["tags"] == ["parameters"] and "DATA_DIR = '/data'" in nb.cells[1].source
    again = solution_notebook(to_script(nb), PARAMS, {})
    assert to_script(again) == to_script(nb)
    assert to_script(nb).startswith("# %% block: load_data (kind: load)\n")


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("no code at all", "no ```python fenced code block"),
        ("```python\nx = (\n```", "not valid Python"),
        ("```python\nimport os\n# %% block: a\nx = 1\n```", "code before the first block header"),
        ("```python\n# %% block: a\nx = 1\n# %% block: a\ny = 2\n```", "repeated: a"),
        ("```python\n# %% block: a\nDATA_DIR = '/tmp'\n```", "assigns the parameter DATA_DIR"),
        ("```python\n# %% block: a\nif x:\n# %% block: b\n    y = 1\n```", "block a is not valid Python"),
        ("```python\n# %% block: a\nprint(1)\n```", "does not print the score line"),
    ],
)
def test_malformed_solutions(reply, problem):
    with pytest.raises(ReplyProblem, match=problem.replace("(", r"\(")):
        solution_notebook(python_code(reply), PARAMS, {})


def test_an_unterminated_fence_still_counts():
    assert python_code("```python\nx = 1\n") == "x = 1"


def test_a_block_edit_names_an_existing_block():
    nb = _nb()
    assert "alpha=3.0" in get_block(replace_one(nb, "model", RIDGE.replace("1.0", "3.0")), "model").source
    with pytest.raises(ReplyProblem, match="block modle is not in the notebook; its blocks are load_data"):
        replace_one(nb, "modle", "x = 1")
    with pytest.raises(ReplyProblem, match="must hold the code of block model only"):
        replace_one(nb, "model", "# %% block: features\nx = 1")
    assert parse_blocks("# %% block: a (kind: model)\nx = 1")[0].kind == "model"


def test_json_replies():
    assert json_object('Sure:\n```json\n{"block": "x", "reason": "y"}\n```', ("block",))["block"] == "x"
    assert json_object('{"block": "x"}', ("block",)) == {"block": "x"}
    with pytest.raises(ReplyProblem, match="lacks the key\\(s\\) reason"):
        json_object('```json\n{"block": "x"}\n```', ("block", "reason"))
    with pytest.raises(ReplyProblem, match="does not parse"):
        json_object("```json\n{block: x}\n```", ("block",))
    with pytest.raises(ReplyProblem, match="item 1 of its JSON list lacks the text key\\(s\\) title"):
        json_list('[{"title": "a"}, {"title": ""}]', ("title",))
