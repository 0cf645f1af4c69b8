"""Ablation variants (one block reset to its baseline) and the choice of the block to refine."""

from __future__ import annotations

from nbformat import NotebookNode

from mlestar_lab.strategist.base import AblationRow, AblationVariant, BlockChoice
from mlestar_lab.strategist.offline.defaults import baseline, describe
from mlestar_lab.strategist.offline.plans import has_plans
from mlestar_lab.strategist.offline.profile import TaskView
from mlestar_lab.strategist.offline.recipe import (
    ABLATABLE,
    ENCODING,
    FEATURES,
    MODEL,
    TARGET,
    TRAINING,
    Recipe,
)
from mlestar_lab.strategist.offline.render.notebook import derive
from mlestar_lab.task.model import Task

# When no measured block clearly matters, untried blocks are refined in this order: features
# usually move tabular scores most, then hyper-parameters, encodings, the target, training extras.
PRIORITY = (FEATURES, MODEL, ENCODING, TARGET, TRAINING)
NOISE = 1e-3  # relative |Δ| below which an ablation is read as "no measurable effect"


def design_ablation(task: Task, nb: NotebookNode, recipe: Recipe) -> list[AblationVariant]:
    """One variant per block whose option differs from its baseline; blocks at baseline are skipped.

    The encoding block is skipped too when the task has no string columns: it changes nothing.
    """
    variants = []
    for block in ABLATABLE:
        plain = baseline(recipe, block)
        if plain == recipe or (block == ENCODING and not TaskView(task).has_strings):
            continue
        description = f"{block}: {describe(plain, block)} instead of {describe(recipe, block)}"
        variants.append(AblationVariant(block, description, derive(task, nb, recipe, plain)))
    return variants


def choose_block(
    task: Task, recipe: Recipe, score: float, table: list[AblationRow], refined: list[str]
) -> BlockChoice | None:
    """The largest measured |Δ| among unrefined blocks, else the next untried block by priority.

    A block is a candidate only while it has a refinement plan left. Blocks already refined come
    back only when nothing else is left, again largest |Δ| first.
    """
    open_blocks = [b for b in PRIORITY if has_plans(task, recipe, b)]
    if not open_blocks:
        return None
    fresh = [b for b in open_blocks if b not in refined]
    pool = fresh or open_blocks
    measured = {
        r.block: r.delta for r in table if r.status == "ok" and r.delta is not None and r.block in pool
    }
    threshold = NOISE * max(abs(score), 1e-9)
    if measured:
        block, delta = max(measured.items(), key=lambda item: abs(item[1]))
        if abs(delta) > threshold:
            effect = "helps" if delta > 0 else "hurts"
            return BlockChoice(
                block,
                f"ablating {block} gives Δ={delta:+.6g}: its current option {effect} measurably, the "
                "largest effect among the blocks left to refine, so refining it promises the largest gain",
            )
    unmeasured = [b for b in pool if b not in measured]
    block = (unmeasured or pool)[0]
    why = (
        "it is still at its baseline (no ablation row)"
        if block not in measured
        else f"no ablation moved the score by more than {threshold:.2g}"
    )
    return BlockChoice(block, f"{block} is next by the fixed priority {', '.join(PRIORITY)}: {why}")
