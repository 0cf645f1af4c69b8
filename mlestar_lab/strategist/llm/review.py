"""The LLM safety reviews every new solution gets before the agent's own static checks:
the leakage checker (MLE-STAR applies it to every solution) and the data-usage checker (to the
initial candidates). A review that finds a problem rewrites the blocks concerned; a review that
fails (unusable reply, an outage, the spend cap) leaves the draft as it was and says so in
`Draft.info`, and the static checkers still run on it in the loop.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode

from mlestar_lab.llm.base import LLMError
from mlestar_lab.llm.usage import SpendCapReached
from mlestar_lab.strategist.base import Draft
from mlestar_lab.strategist.llm.parse import ReplyProblem, after_json_python, json_object
from mlestar_lab.strategist.llm.prompts import render
from mlestar_lab.strategist.llm.scripts import apply_blocks, parse_blocks, to_script
from mlestar_lab.strategist.llm.session import ReplyUnusable, Session
from mlestar_lab.strategist.llm.views import files_view
from mlestar_lab.task.model import Task

REVIEW_FAILURES = (ReplyUnusable, LLMError, SpendCapReached)


def _verdict(nb: NotebookNode, flag: str, bad_when: bool):
    """A reader of a review reply: (verdict, notes, revised notebook or None)."""

    def read(text: str) -> tuple[dict[str, Any], NotebookNode | None]:
        verdict = json_object(text, (flag,))
        if not isinstance(verdict[flag], bool):
            raise ReplyProblem(f"`{flag}` must be true or false")
        if verdict[flag] != bad_when:
            return verdict, None
        code = after_json_python(text)
        if code is None:
            raise ReplyProblem("it reports a problem but has no ```python fence with the corrected blocks")
        return verdict, apply_blocks(nb, parse_blocks(code))

    return read


def review(session: Session, task: Task, draft: Draft, data_usage: bool) -> Draft:
    """`draft` after the leakage review (and the data-usage review when asked), with their verdicts."""
    notes: dict[str, Any] = {}
    nb = draft.notebook
    checks = [("leakage", "leakage_check", "leakage", True)]
    if data_usage:
        checks.append(("data_usage", "data_usage", "all_used", False))
    for name, template, flag, bad_when in checks:
        prompt = render(template, notebook=to_script(nb), files=files_view(task))
        try:
            verdict, revised = session.ask(prompt, _verdict(nb, flag, bad_when))
        except REVIEW_FAILURES as exc:
            notes[name] = {"status": "not reviewed", "reason": f"{type(exc).__name__}: {exc}"}
            continue
        notes[name] = {"status": "revised" if revised is not None else "passed", "verdict": verdict}
        if revised is not None:
            nb = revised
    return Draft(
        notebook=nb,
        title=draft.title,
        plan=draft.plan,
        block=draft.block,
        block_kind=draft.block_kind,
        info={**draft.info, "llm_review": notes},
    )
