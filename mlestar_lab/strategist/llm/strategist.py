"""LLMStrategist: every MLE-STAR decision made by a chat model, through the same loop.

Each method renders its role's prompt, asks through the `Session` (spend cap, retries, one repair
round, transcripts) and turns the reply into the typed result the loop expects. It never scores:
the loop executes, checks and scores every notebook exactly as it does the offline strategist's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbformat import NotebookNode

from mlestar_lab.llm.settings import LLMSettings
from mlestar_lab.llm.usage import SpendLedger
from mlestar_lab.notebook.candidate import Block, blocks, get_block
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
from mlestar_lab.strategist.llm import views
from mlestar_lab.strategist.llm.parse import ReplyProblem, json_list, json_object, python_code
from mlestar_lab.strategist.llm.prompts import render
from mlestar_lab.strategist.llm.retrieval import Retriever
from mlestar_lab.strategist.llm.review import review
from mlestar_lab.strategist.llm.scripts import (
    apply_blocks,
    block_names,
    parse_blocks,
    replace_one,
    solution_notebook,
    to_script,
)
from mlestar_lab.strategist.llm.session import Session
from mlestar_lab.strategist.llm.transcripts import Transcripts
from mlestar_lab.strategist.offline.render.notebook import default_parameters
from mlestar_lab.task.model import Task

MAX_ABLATION_VARIANTS = 5
MAX_TRACEBACK = 4000


class LLMStrategist(Strategist):
    def __init__(self, session: Session, seed: int = 42):
        self.session = session
        self.name = session.client.provider
        self.model = session.client.model
        self.seed = seed
        self.retriever = Retriever(session)

    # -- retrieval and candidates ------------------------------------------------------------

    def retrieve(self, task: Task, count: int) -> list[ModelFamily]:
        return self.retriever.retrieve(task, count)

    def write_candidate(self, task: Task, family: ModelFamily) -> Draft:
        prompt = render(
            "candidate",
            family_title=family.title,
            family_description=family.description,
            family_snippet=family.snippet or "# (no example)",
            task=views.task_view(task),
        )
        title = f"Candidate: {family.title}"
        nb = self.session.ask(prompt, lambda text: self._solution(task, text, title))
        draft = Draft(nb, title, f"A simple, complete {family.title} solution: {family.description}")
        draft.info = {"family": family.name, "family_source": family.source}
        return review(self.session, task, draft, data_usage=True)

    def merge(self, task: Task, base: Solution, other: Solution) -> Draft | None:
        prompt = render(
            "merge",
            base=to_script(base.notebook),
            base_score=views.score_text(base.score),
            other=to_script(other.notebook),
            other_score=views.score_text(other.score),
            task=views.task_view(task),
        )
        title = f"Merge: {_short(base.title)} + {_short(other.title)}"
        nb = self.session.ask(prompt, lambda text: self._solution(task, text, title))
        plan = f"Integrate '{other.title}' into '{base.title}'."
        draft = Draft(nb, title, plan, info={"merged_step": other.step_id})
        return review(self.session, task, draft, data_usage=False)

    # -- ablation and the choice of a block --------------------------------------------------

    def design_ablation(self, task: Task, solution: Solution) -> list[AblationVariant]:
        nb = solution.notebook
        prompt = render(
            "ablation_design",
            max_variants=MAX_ABLATION_VARIANTS,
            score=views.score_text(solution.score),
            direction=views.direction(task),
            notebook=to_script(nb),
            blocks=block_names(nb),
        )

        def read(text: str) -> list[AblationVariant]:
            variants = []
            for item in json_list(text, ("block", "description", "code"))[:MAX_ABLATION_VARIANTS]:
                variant = replace_one(nb, item["block"], item["code"])
                variants.append(AblationVariant(item["block"], item["description"].strip(), variant))
            return variants

        return self.session.ask(prompt, read)

    def choose_block(
        self, task: Task, solution: Solution, table: list[AblationRow], refined: list[str]
    ) -> BlockChoice | None:
        nb = solution.notebook
        common: dict[str, Any] = {
            "score": views.score_text(solution.score),
            "direction": views.direction(task),
            "notebook": to_script(nb),
            "table": views.table_view(table),
        }
        summary = self.session.ask(render("ablation_summary", **common), _plain_text)
        prompt = render(
            "block_choice",
            **common,
            summary=summary,
            refined=", ".join(refined) or "none",
            blocks=block_names(nb),
        )

        def read(text: str) -> BlockChoice:
            choice = json_object(text, ("block", "reason"))
            name = str(choice["block"]).strip()
            if name not in {b.name for b in blocks(nb)}:
                raise ReplyProblem(f"block {name!r} is not in the notebook; its blocks are {block_names(nb)}")
            return BlockChoice(name, f"{str(choice['reason']).strip()} (ablation summary: {summary})")

        return self.session.ask(prompt, read)

    # -- refinement --------------------------------------------------------------------------

    def plan_refinement(
        self, task: Task, solution: Solution, block: str, history: list[Attempt]
    ) -> Draft | None:
        nb = solution.notebook
        if block not in {b.name for b in blocks(nb)}:
            return None
        prompt = render(
            "refine_plan",
            block=block,
            direction=views.direction(task),
            score=views.score_text(solution.score),
            notebook=to_script(nb),
            block_code=get_block(nb, block).source,
            history=views.history_view(history),
        )
        plan = self.session.ask(prompt, lambda text: json_object(text, ("title", "plan")))
        draft = self._implement(nb, block, str(plan["plan"]).strip(), str(plan["title"]).strip())
        return review(self.session, task, draft, data_usage=False)

    def implement_plan(self, task: Task, notebook: NotebookNode, block: str, plan: str) -> Draft:
        """Rewrite `block` of `notebook` so that it carries out `plan` (a user's plan at a gate)."""
        if block not in {b.name for b in blocks(notebook)}:
            raise PlanNotUnderstood(
                f"the notebook has no block {block!r}; its blocks are {block_names(notebook)}"
            )
        draft = self._implement(notebook, block, plan.strip(), f"User plan for {block}")
        draft.info["user_plan"] = True
        return review(self.session, task, draft, data_usage=False)

    def _implement(self, nb: NotebookNode, block: str, plan: str, title: str) -> Draft:
        code = get_block(nb, block).source
        prompt = render("block_code", block=block, plan=plan, notebook=to_script(nb), block_code=code)
        new = self.session.ask(prompt, lambda text: replace_one(nb, block, python_code(text)))
        return Draft(new, title, plan, block=block, block_kind=get_block(nb, block).kind)

    # -- ensembles ---------------------------------------------------------------------------

    def plan_ensemble(self, task: Task, members: list[Solution], history: list[Attempt]) -> Draft | None:
        distinct: list[Solution] = []
        for member in members:
            if all(member.output_dir != m.output_dir for m in distinct):
                distinct.append(member)
        if len(distinct) < 2:
            return None
        listing = views.members_view(distinct)
        history_text = views.history_view(history)
        prompt = render(
            "ensemble_plan", direction=views.direction(task), members=listing, history=history_text
        )
        plan = self.session.ask(prompt, lambda text: json_object(text, ("title", "plan")))
        title = f"Ensemble: {str(plan['title']).strip()}"
        code_prompt = render("ensemble_code", plan=plan["plan"], members=listing, task=views.task_view(task))
        member_dirs = [m.output_dir for m in distinct]
        nb = self.session.ask(code_prompt, lambda text: self._solution(task, text, title, member_dirs))
        info = {"members": [m.title for m in distinct], "member_steps": [m.step_id for m in distinct]}
        draft = Draft(nb, title, str(plan["plan"]).strip(), block_kind="ensemble", info=info)
        return review(self.session, task, draft, data_usage=False)

    # -- safety nets -------------------------------------------------------------------------

    def debug(self, task: Task, draft: Draft, error: ErrorInfo, attempt: int) -> Draft | None:
        nb = draft.notebook
        trace = views.plain(error.traceback)[-MAX_TRACEBACK:] or f"{error.ename}: {error.evalue}"
        prompt = render(
            "debug",
            where=f" in block {error.block}" if error.block else "",
            error=trace,
            notebook=to_script(nb),
            blocks=block_names(nb),
        )
        fixed = self.session.ask(prompt, lambda text: _apply_script(nb, text))
        plan = f"Fix {error.ename}: {error.evalue}"[:500]
        title = f"{draft.title} (fix {attempt})"
        return Draft(fixed, title, plan, draft.block, draft.block_kind, dict(draft.info))

    def fix_leakage(self, task: Task, draft: Draft, findings: list[Finding]) -> Draft | None:
        nb = draft.notebook
        listing = "\n".join(
            f"- [{f.severity}] {f.message}" + (f" (block {f.block}, line {f.line})" if f.block else "")
            for f in findings
        )
        prompt = render("leakage_fix", findings=listing, notebook=to_script(nb), blocks=block_names(nb))
        fixed = self.session.ask(prompt, lambda text: _apply_script(nb, text))
        info = {**draft.info, "leakage_fixed": [f.message for f in findings if f.severity == "error"]}
        return Draft(fixed, draft.title, draft.plan, draft.block, draft.block_kind, info)

    # -- helpers -----------------------------------------------------------------------------

    def _solution(
        self, task: Task, text: str, title: str, member_dirs: list[str] | None = None
    ) -> NotebookNode:
        parameters = default_parameters(task, self.seed)
        if member_dirs is not None:
            parameters["MEMBER_DIRS"] = member_dirs
        metadata = {"title": title, "strategist": self.name, "model": self.model}
        return solution_notebook(python_code(text), parameters, metadata)


def _apply_script(nb: NotebookNode, text: str) -> NotebookNode:
    changed: list[Block] = parse_blocks(python_code(text))
    return apply_blocks(nb, changed)


def _plain_text(text: str) -> str:
    if not text.strip():
        raise ReplyProblem("it is empty")
    return text.strip()


def _short(title: str) -> str:
    return title.removeprefix("Candidate: ").removeprefix("Merge: ")


def make_llm_strategist(
    provider: str,
    model: str | None,
    seed: int,
    ledger: SpendLedger | None,
    run_dir: Path | None,
) -> LLMStrategist:
    """The strategist for `provider`, its key and endpoint resolved from the environment/config."""
    from mlestar_lab.llm.factory import make_client
    from mlestar_lab.llm.settings import resolve_settings

    settings: LLMSettings = resolve_settings(provider, model)
    transcripts = Transcripts(run_dir / "llm" if run_dir else None, [settings.api_key])
    session = Session(make_client(settings), settings, ledger or SpendLedger(), transcripts)
    return LLMStrategist(session, seed)
