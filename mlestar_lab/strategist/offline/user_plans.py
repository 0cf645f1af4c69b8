"""Carrying out a plan the user wrote at a gate, without a language model.

The offline strategist cannot read free text. It recognises two things, and says so otherwise:
one of its own plans for the block, named by its words ("average 5 seeds", "add missing-value
indicators"), and for the model block explicit parameters (`num_leaves=63, learning_rate=0.03`).
A plan it does not recognise is refused with the list of what it would understand, so the user
can rephrase it or send the block's code instead — never silently replaced by something else.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from mlestar_lab import safe_ast
from mlestar_lab.strategist.base import PlanNotUnderstood
from mlestar_lab.strategist.offline.plans import Plan, block_plans
from mlestar_lab.strategist.offline.recipe import MODEL, Recipe
from mlestar_lab.strategist.offline.render.ensemble import STRATEGY_TITLES
from mlestar_lab.task.model import Task

WORD = re.compile(r"[a-z0-9]+")
PARAMETER = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([^\s,;]+)")
# Words that say nothing about which plan is meant.
FILLER = frozenset({"a", "an", "the", "of", "to", "and", "on", "in", "with", "by", "add", "use", "try", "s"})
MATCH_SHARE = 0.75


def apply_user_plan(task: Task, recipe: Recipe, block: str, text: str) -> tuple[Recipe, str]:
    """The recipe with the user's plan applied to `block`, and what was understood."""
    if block == MODEL:
        parameters = _parameters(text)
        if parameters:
            model = recipe.model.model_copy(update={"params": {**recipe.model.params, **parameters}})
            understood = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
            return recipe.model_copy(update={"model": model}), f"set model parameters {understood}"
    plans = block_plans(task, recipe, block)
    plan = _best_match(plans, text)
    if plan is None:
        raise PlanNotUnderstood(_refusal(plans, block))
    return plan.apply(recipe), plan.title


def _words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if w not in FILLER}


def _best_match(plans: list[Plan], text: str) -> Plan | None:
    """The plan whose title words the text contains best (at least MATCH_SHARE of them)."""
    said = _words(text)
    best, best_share = None, 0.0
    for plan in plans:
        wanted = _words(plan.title.split(": ", 1)[1])
        share = len(wanted & said) / len(wanted) if wanted else 0.0
        if share > best_share:
            best, best_share = plan, share
    return best if best_share >= MATCH_SHARE else None


def _parameters(text: str) -> dict[str, Any]:
    """`key=value` pairs; values read as Python literals where they are (numbers, True, None)."""
    found: dict[str, Any] = {}
    for key, raw in PARAMETER.findall(text):
        try:
            found[key] = ast.literal_eval(safe_ast.parse(raw, mode="eval"))
        except (ValueError, SyntaxError):
            found[key] = raw.strip("'\"")
    return found


def _refusal(plans: list[Plan], block: str) -> str:
    known = "; ".join(f"'{p.title.split(': ', 1)[1]}'" for p in plans) or "(no plans for this block)"
    extra = " or model parameters written as key=value (e.g. num_leaves=63)" if block == MODEL else ""
    return (
        f"the offline strategist has no language model and did not recognise this plan for {block}. "
        f"It understands: {known}{extra}. Rephrase the plan, send the block's code instead, "
        "or use an LLM strategist (--strategist gemini|openai)."
    )


def match_strategy(text: str) -> tuple[str, int | None]:
    """The ensemble strategy the text names (by its key or its title's words), with `top_k=N` if given.

    Among equally good matches the most specific key wins ("rank hill climb" over "rank").
    """
    said = _words(text.replace("_", " "))

    def fit(strategy: str) -> tuple[float, int]:
        key, title = _words(strategy.replace("_", " ")), _words(STRATEGY_TITLES[strategy])
        return max(len(key & said) / len(key), len(title & said) / len(title)), len(key & said)

    best = max(STRATEGY_TITLES, key=fit)
    if fit(best)[0] < MATCH_SHARE:
        names = "; ".join(f"'{key}' ({title})" for key, title in STRATEGY_TITLES.items())
        raise PlanNotUnderstood(
            f"the offline strategist did not recognise this ensemble plan. It understands: {names}."
        )
    top_k = _parameters(text).get("top_k")
    if best in ("top_mean", "hill_climb_top") and not isinstance(top_k, int):
        raise PlanNotUnderstood(
            f"the '{best}' ensemble needs the number of members: add top_k=N (an integer)"
        )
    return best, top_k if isinstance(top_k, int) else None
