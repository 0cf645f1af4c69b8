"""OfflineStrategist: the embedded default decision maker of the MLE-STAR loop.

It writes notebooks from recipes and reads the recipe back from any notebook it wrote; it never
reports a score — every score the loop sees came from executing these notebooks.
"""

from __future__ import annotations

from nbformat import NotebookNode

from mlestar_lab.notebook.candidate import blocks, replace_block, with_metadata
from mlestar_lab.store.models import ErrorInfo, Finding
from mlestar_lab.strategist.base import (
    AblationRow,
    AblationVariant,
    Attempt,
    BlockChoice,
    Draft,
    ModelFamily,
    PlanNotUnderstood,
    Solution,
    Strategist,
)
from mlestar_lab.strategist.offline import ablation, families, foreign
from mlestar_lab.strategist.offline.debugger import fix_recipe
from mlestar_lab.strategist.offline.defaults import candidate_recipe, describe
from mlestar_lab.strategist.offline.ensemble import next_strategy
from mlestar_lab.strategist.offline.plans import next_plan
from mlestar_lab.strategist.offline.recipe import (
    ABLATABLE,
    BLOCK_KINDS,
    ENCODING,
    FEATURES,
    MODEL,
    STRATEGIST_NAME,
    TARGET,
    TRAINING,
    EnsembleSpec,
    read_ensemble,
    read_recipe,
)
from mlestar_lab.strategist.offline.render.ensemble import STRATEGY_TITLES, render_blend, render_ensemble
from mlestar_lab.strategist.offline.render.notebook import (
    default_parameters,
    derive,
    render_block,
    render_notebook,
)
from mlestar_lab.strategist.offline.user_plans import apply_user_plan, match_strategy
from mlestar_lab.task.model import Task


class OfflineStrategist(Strategist):
    name = STRATEGIST_NAME
    model = None

    def __init__(self, seed: int = 42):
        self.seed = seed

    def retrieve(self, task: Task, count: int) -> list[ModelFamily]:
        return families.retrieve(task, count)

    def write_candidate(self, task: Task, family: ModelFamily) -> Draft:
        chosen = families.get_family(family.name)
        recipe = candidate_recipe(task, chosen)
        title = f"Candidate: {chosen.title}"
        summary = "; ".join(f"{b}: {describe(recipe, b)}" for b in (FEATURES, ENCODING, TARGET, TRAINING))
        return Draft(
            notebook=render_notebook(task, recipe, f"{chosen.title} — {task.name}", self.seed),
            title=title,
            plan=f"A simple, complete {chosen.title} solution ({summary}).",
            info={"family": chosen.name, "recipe": recipe.model_dump(mode="json")},
        )

    def merge(self, task: Task, base: Solution, other: Solution) -> Draft | None:
        base_recipe, other_recipe = read_recipe(base.notebook), read_recipe(other.notebook)
        if base_recipe is None or other_recipe is None:
            return None
        member = other_recipe.model
        if member in base_recipe.models:
            return None
        # A boosting member needs early stopping even when the base model (a forest) did not.
        stopping = base_recipe.training.early_stopping or other_recipe.training.early_stopping
        training = base_recipe.training.model_copy(update={"early_stopping": stopping})
        merged = base_recipe.model_copy(
            update={"members": [*base_recipe.members, member], "training": training}
        )
        added = families.get_family(member.family).title
        return Draft(
            notebook=derive(task, base.notebook, base_recipe, merged),
            title="Merge: " + " + ".join(families.get_family(m.family).title for m in merged.models),
            plan=f"Add the {added} model of '{other.title}' as an ensemble member trained in the same CV "
            "loop; its blend weight is chosen on the out-of-fold predictions.",
            block=MODEL,
            block_kind=BLOCK_KINDS[MODEL],
            info={"members": merged.model_names(), "merged_step": other.step_id},
        )

    def design_ablation(self, task: Task, solution: Solution) -> list[AblationVariant]:
        recipe = read_recipe(solution.notebook)
        if recipe is None:
            return foreign.design_ablation(solution.notebook) if self._foreign(solution.notebook) else []
        return ablation.design_ablation(task, solution.notebook, recipe)

    def choose_block(
        self, task: Task, solution: Solution, table: list[AblationRow], refined: list[str]
    ) -> BlockChoice | None:
        recipe = read_recipe(solution.notebook)
        if recipe is None:
            if not self._foreign(solution.notebook):
                return None
            return foreign.choose_block(solution.notebook, solution.score, table, refined)
        return ablation.choose_block(task, recipe, solution.score, table, refined)

    def plan_refinement(
        self, task: Task, solution: Solution, block: str, history: list[Attempt]
    ) -> Draft | None:
        recipe = read_recipe(solution.notebook)
        if recipe is None and self._foreign(solution.notebook):
            return foreign.plan_refinement(solution.notebook, block, history)
        if recipe is None or block not in ABLATABLE:
            return None
        plan = next_plan(task, recipe, block, history)
        if plan is None:
            return None
        new = plan.apply(recipe)
        return Draft(
            notebook=derive(task, solution.notebook, recipe, new),
            title=plan.title,
            plan=plan.text,
            block=block,
            block_kind=BLOCK_KINDS[block],
            info={
                "direction": plan.direction,
                "level": plan.level,
                "change": {"from": describe(recipe, block), "to": describe(new, block)},
            },
        )

    def implement_plan(self, task: Task, notebook: NotebookNode, block: str, plan: str) -> Draft:
        spec = read_ensemble(notebook)
        if spec is not None and block == "blend":
            strategy, top_k = match_strategy(plan)
            nb = replace_block(notebook, "blend", render_blend(strategy, top_k))
            nb = with_metadata(
                nb, ensemble=spec.model_copy(update={"strategy": strategy, "top_k": top_k}).model_dump()
            )
            return Draft(
                nb,
                f"Ensemble: {STRATEGY_TITLES[strategy]}",
                plan,
                "blend",
                "ensemble",
                {"strategy": strategy},
            )
        recipe = read_recipe(notebook)
        if recipe is None or block not in ABLATABLE:
            raise PlanNotUnderstood(
                f"the offline strategist can only carry out plans for the blocks of notebooks it wrote "
                f"({', '.join(ABLATABLE)}); send the code of {block} instead"
            )
        new, understood = apply_user_plan(task, recipe, block, plan)
        return Draft(
            notebook=derive(task, notebook, recipe, new),
            title=understood if understood.startswith(f"{block}: ") else f"{block}: {understood}",
            plan=plan,
            block=block,
            block_kind=BLOCK_KINDS[block],
            info={
                "understood_as": understood,
                "change": {"from": describe(recipe, block), "to": describe(new, block)},
            },
        )

    @staticmethod
    def _foreign(nb: NotebookNode) -> bool:
        """A notebook this strategist did not write (imported, hand-written): tune its estimators only."""
        return read_ensemble(nb) is None

    def plan_ensemble(self, task: Task, members: list[Solution], history: list[Attempt]) -> Draft | None:
        distinct: list[Solution] = []
        for member in members:
            if all(member.output_dir != m.output_dir for m in distinct):
                distinct.append(member)
        if len(distinct) < 2:
            return None
        choice = next_strategy(task, len(distinct), history)
        if choice is None:
            return None
        spec = EnsembleSpec(
            strategy=choice.strategy, member_titles=[m.title for m in distinct], top_k=choice.top_k
        )
        member_dirs = [m.output_dir for m in distinct]
        return Draft(
            notebook=render_ensemble(task, spec, member_dirs, default_parameters(task, self.seed)),
            title=f"Ensemble: {STRATEGY_TITLES[choice.strategy]}",
            plan=choice.reason,
            block="blend",
            block_kind="ensemble",
            info={
                "strategy": choice.strategy,
                "top_k": choice.top_k,
                "members": [m.title for m in distinct],
                "member_steps": [m.step_id for m in distinct],
            },
        )

    def debug(self, task: Task, draft: Draft, error: ErrorInfo, attempt: int) -> Draft | None:
        spec = read_ensemble(draft.notebook)
        if spec is not None:
            return self._debug_ensemble(draft, spec, error, attempt)
        recipe = read_recipe(draft.notebook)
        if recipe is None:
            return None
        fixed = fix_recipe(task, recipe, error)
        if fixed is None:
            return None
        new, why = fixed
        return Draft(
            notebook=derive(task, draft.notebook, recipe, new),
            title=f"{draft.title} (fix {attempt})",
            plan=why,
            block=error.block,
            block_kind=BLOCK_KINDS.get(error.block or ""),
            info={**draft.info, "fix": why},
        )

    def _debug_ensemble(
        self, draft: Draft, spec: EnsembleSpec, error: ErrorInfo, attempt: int
    ) -> Draft | None:
        if spec.strategy == "mean" or error.block != "blend":
            return None  # only the blend differs between strategies; other failures are not ours to fix
        nb = replace_block(draft.notebook, "blend", render_blend("mean", None))
        nb = with_metadata(
            nb, ensemble=spec.model_copy(update={"strategy": "mean", "top_k": None}).model_dump()
        )
        why = f"the {spec.strategy} blend raised {error.ename}: {error.evalue}; fall back to the simple mean."
        return Draft(
            nb, f"{draft.title} (fix {attempt})", why, "blend", "ensemble", {**draft.info, "strategy": "mean"}
        )

    def fix_leakage(self, task: Task, draft: Draft, findings: list[Finding]) -> Draft | None:
        """Our rendered blocks never leak: restore any block that differs from its rendering."""
        recipe = read_recipe(draft.notebook)
        if recipe is None:
            return None
        nb: NotebookNode = draft.notebook
        restored = []
        for block in blocks(nb):
            source = render_block(block.name, task, recipe)
            if block.source.strip() != source.strip():
                nb = replace_block(nb, block.name, source)
                restored.append(block.name)
        if not restored:
            return None
        return Draft(
            notebook=nb,
            title=draft.title,
            plan=f"Restored the generated code of {', '.join(restored)}, which had been edited and was "
            "flagged by the leakage checker.",
            block=draft.block,
            block_kind=draft.block_kind,
            info={**draft.info, "restored_blocks": restored},
        )
