"""Scaling the paper's M/T/K/R down to the time budget, and the budget across a resume."""

from __future__ import annotations

import pytest

from mlestar_lab.agent.budget import Budget, estimate, scale_plan
from mlestar_lab.agent.config import RunConfig, parse_duration
from mlestar_lab.errors import UserError


def test_paper_defaults_are_kept_when_time_allows():
    plan = scale_plan(RunConfig(workers=2), candidates=4, notebook_seconds=2.0, remaining=3600)
    assert (plan.merges, plan.outer_steps, plan.inner_steps, plan.ensemble_rounds) == (3, 4, 4, 5)
    assert not plan.scaled_down


def test_plan_shrinks_in_order_until_it_fits():
    config = RunConfig(workers=2)
    roomy = scale_plan(config, candidates=4, notebook_seconds=10.0, remaining=3600)
    tight = scale_plan(config, candidates=4, notebook_seconds=10.0, remaining=200)
    assert tight.scaled_down
    assert tight.estimate_seconds <= 0.9 * 200
    assert tight.inner_steps <= roomy.inner_steps and tight.outer_steps <= roomy.outer_steps
    assert tight.ensemble_rounds >= 1


def test_estimate_counts_parallel_waves():
    config = RunConfig(workers=1)
    plan = scale_plan(config, candidates=2, notebook_seconds=1.0, remaining=1e9)
    one = estimate(plan, workers=1)
    two = estimate(plan, workers=2)
    assert two < one


def test_budget_counts_time_spent_before_a_resume():
    now = [100.0]
    budget = Budget(60.0, spent_before=50.0, clock=lambda: now[0])
    assert budget.remaining() == pytest.approx(10.0)
    now[0] += 4.0
    assert budget.elapsed() == pytest.approx(54.0)
    assert budget.notebook_timeout(cap=1800.0, reserve=2.0) == pytest.approx(5.0)
    assert not budget.allows(10.0)


@pytest.mark.parametrize(("text", "seconds"), [("90", 90), ("90s", 90), ("5m", 300), ("1.5h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["soon", "-5m", "0", "5 parsecs"])
def test_bad_durations_say_what_to_write(text):
    with pytest.raises(UserError, match=r"90s, 5m, 1\.5h|must be positive"):
        parse_duration(text)


def test_only_a_run_without_explicit_outer_steps_is_open_ended():
    roomy = dict(candidates=4, notebook_seconds=2.0, remaining=3600)
    assert scale_plan(RunConfig(workers=2), **roomy).open_ended
    assert not scale_plan(RunConfig(workers=2, outer_steps=4), **roomy).open_ended
    tight = scale_plan(RunConfig(workers=2), candidates=4, notebook_seconds=10.0, remaining=200)
    assert tight.scaled_down and not tight.open_ended
