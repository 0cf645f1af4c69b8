"""Candidate notebooks: named blocks, the parameters cell, percent scripts and per-block diffs."""

from __future__ import annotations

import pytest

from mlestar_lab.notebook import contract
from mlestar_lab.notebook.candidate import (
    Block,
    block_of_cell,
    blocks,
    clean_copy,
    get_block,
    new_notebook,
    parameters,
    replace_block,
    set_parameters,
)
from mlestar_lab.notebook.diff import diff_blocks, unified_diff
from mlestar_lab.notebook.script import from_script, to_script


def _nb():
    return new_notebook(
        [Block("load_data", "load", "x = 1"), Block("model", "model", "y = x + 1\nz = 2")],
        {"DATA_DIR": "/data", "SEED": 0},
        {"title": "A candidate"},
    )


def test_blocks_are_named_cells_after_a_parameters_cell():
    nb = _nb()
    assert [b.name for b in blocks(nb)] == ["load_data", "model"]
    assert parameters(nb) == {"DATA_DIR": "/data", "SEED": 0}
    tagged = [c for c in nb.cells if contract.PARAMETERS_TAG in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert block_of_cell(nb, 2) == "load_data"
    assert block_of_cell(nb, 99) is None


def test_replace_block_changes_one_cell_and_diff_names_it():
    nb = _nb()
    new = replace_block(nb, "model", "y = x + 2\nz = 2")
    assert get_block(nb, "model").source.startswith("y = x + 1"), "the original is untouched"
    diffs = diff_blocks(nb, new)
    assert [(d.block, d.change) for d in diffs] == [("model", "changed")]
    text = unified_diff(nb, new)
    assert "--- a/model" in text and "-y = x + 1" in text and "+y = x + 2" in text
    with pytest.raises(KeyError, match="no block named 'features'"):
        replace_block(nb, "features", "pass")


def test_parameters_can_be_replaced_and_outputs_are_cleared():
    nb = _nb()
    nb.cells[2].outputs = [{"output_type": "stream", "name": "stdout", "text": "hi"}]
    nb.cells[2].execution_count = 3
    changed = set_parameters(nb, {"SEED": 7, "N_JOBS": 2})
    assert parameters(changed) == {"DATA_DIR": "/data", "SEED": 7, "N_JOBS": 2}
    cleaned = clean_copy(nb)
    assert cleaned.cells[2].outputs == [] and cleaned.cells[2].execution_count is None


def test_percent_script_round_trip_keeps_block_names_and_parameters_tag():
    nb = _nb()
    script = to_script(nb)
    assert "# %%" in script and '"block": "model"' in script
    back = from_script(script)
    assert [(b.name, b.source) for b in blocks(back)] == [(b.name, b.source) for b in blocks(nb)]
    assert parameters(back) == parameters(nb)


def test_score_line_parsing_takes_the_last_match():
    text = "Final Validation Performance: 0.5\nnoise\nFinal Validation Performance: 1.25e-1\n"
    assert contract.parse_score(text) == pytest.approx(0.125)
    assert contract.parse_score("no score here") is None
