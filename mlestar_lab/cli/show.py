"""Text rendering of a run report (`mlestar show`) and of the runs list (`mlestar runs`)."""

from __future__ import annotations

from typing import Any

from mlestar_lab.agent.lock import agent_alive
from mlestar_lab.formatting import fmt_delta, fmt_score, fmt_seconds, fmt_tokens
from mlestar_lab.store.models import RunRecord


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join("  " + line.rstrip() for line in lines)


def _attempts_table(what: str, steps: list[dict[str, Any]]) -> str:
    return _table(
        ["step", what, "score", "Δscore", "status"],
        [
            [f"#{s['id']}", s["title"], fmt_score(s["score"]), fmt_delta(s["delta"]), s["status"]]
            for s in steps
        ],
    )


def render_runs(runs: list[RunRecord]) -> str:
    if not runs:
        return "no runs yet — start one with `mlestar run TASK_DIR`"
    rows = [
        [
            r.id,
            r.task_name,
            r.status,
            f"{r.metric} {'↑' if r.higher_is_better else '↓'}",
            fmt_score(r.best_score),
            fmt_seconds(r.elapsed_seconds),
            r.strategist,
        ]
        for r in runs
    ]
    return _table(["run", "task", "status", "metric", "best", "elapsed", "strategist"], rows)


def _status(run: RunRecord) -> str:
    if run.status == "running" and not agent_alive(run.run_dir):
        return "running? (agent gone: mlestar resume)"
    return run.status


def render_report(report: dict[str, Any]) -> str:
    run = report["run"]
    direction = "higher is better" if run["higher_is_better"] else "lower is better"
    out = [
        f"Run {run['id']}  ({_status(RunRecord.model_validate(run))})",
        f"  task        {run['task_name']}  ({run['task_dir']})",
        f"  metric      {run['metric']} ({direction})",
        f"  strategist  {run['strategist']}" + (f" / {run['model']}" if run.get("model") else ""),
        f"  time        {fmt_seconds(run['elapsed_seconds'])} of {fmt_seconds(run['budget_seconds'])}",
        f"  best score  {fmt_score(run['best_score'])}"
        + (f"  (step #{run['best_step_id']})" if run.get("best_step_id") else ""),
    ]
    if run.get("tokens") or run.get("cost_usd"):
        out.append(f"  model use   {fmt_tokens(run['tokens'], run['cost_usd'])}")
    if run.get("error"):
        out.append(f"  error       {run['error']}")
    sub = report.get("submission")
    if sub:
        out.append(f"  submission  {sub['path']}  (from step #{sub['source_step']})")
    out += [
        "",
        "Stages",
        _table(
            ["stage", "notebooks", "ok", "failed", "compute"],
            [
                [s["stage"], str(s["steps"]), str(s["ok"]), str(s["failed"]), fmt_seconds(s["runtime"])]
                for s in report["stages"]
            ],
        ),
    ]
    if report.get("model_use"):
        out += ["", "Model use by stage (tokens and estimated cost of the strategist's calls)"]
        out.append(
            _table(
                ["stage", "steps", "tokens", "cost"],
                [
                    [u["stage"], str(u["steps"]), f"{u['tokens']:,}", f"${u['cost_usd']:.4f}"]
                    for u in report["model_use"]
                ],
            )
        )
    if report["retrieval"]:
        out += ["", "Retrieved model families"] + [
            f"  - {f['title']}: {f['description']}" + (f"  [{f['source']}]" if f.get("source") else "")
            for f in report["retrieval"]
        ]
    if report.get("sources"):
        out += ["", "Web sources (Google Search grounding)"] + [
            f"  - {s.get('title') or s['uri']}: {s['uri']}" for s in report["sources"]
        ]
    for outer in report["ablations"]:
        out += [
            "",
            f"Ablation study {outer['outer_step']} (base: step #{outer['base_step']}, "
            f"score {fmt_score(outer['base_score'])}; Δ > 0 means the component helps)",
        ]
        out.append(
            _table(
                ["component", "Δscore", "score without", "runtime", "status"],
                [
                    [
                        row["block"] + (" ◀ chosen" if row["block"] == outer["chosen_block"] else ""),
                        fmt_delta(row["delta"]),
                        fmt_score(row["score"]),
                        fmt_seconds(row["runtime"]),
                        row["status"],
                    ]
                    for row in outer["table"]
                ],
            )
        )
        out.append(f"  chosen block: {outer['chosen_block'] or '—'} — {outer['reason']}")
        if outer["refinements"]:
            out.append(f"  Refinement plans for '{outer['chosen_block']}':")
            out.append(_attempts_table("plan", outer["refinements"]))
    if report["ensembles"]:
        out += ["", "Ensemble rounds (Δ against the best single solution)"]
        out.append(_attempts_table("strategy", report["ensembles"]))
    if report["findings"]:
        out += ["", "Checker findings"] + [
            f"  [{f['checker']}/{f['severity']}] {f['message']}  (steps "
            + ", ".join(f"#{i}" for i in f["steps"][:6])
            + (" …)" if len(f["steps"]) > 6 else ")")
            for f in report["findings"]
        ]
    if report["failures"]:
        out += ["", "Failed or rejected steps"] + [
            f"  #{f['id']} {f['title']}: {f['status']} — {f['reason'] or ''}" for f in report["failures"]
        ]
    out += _kaggle_lines(report.get("kaggle") or {})
    out += ["", "Steps (every score comes from the executed notebook shown)"]
    out.append(
        _table(
            ["step", "stage", "title", "status", "score", "Δ", "runtime", "notebook"],
            [
                [
                    f"#{s['id']}",
                    s["stage"],
                    s["title"][:48],
                    s["status"],
                    fmt_score(s["score"]),
                    fmt_delta(s["delta"]),
                    fmt_seconds(s["runtime"]),
                    s["notebook"] or "—",
                ]
                for s in report["steps"]
            ],
        )
    )
    return "\n".join(out)


def _kaggle_lines(kaggle: dict[str, Any]) -> list[str]:
    """The last push and submission as Kaggle last answered (`mlestar kaggle status` asks again)."""
    kernel, submission = kaggle.get("kernel"), kaggle.get("submission")
    if not kernel and not submission:
        return []
    out = ["", "On Kaggle (as last recorded; `mlestar kaggle status RUN` asks again)"]
    if kernel:
        info = kernel["info"]
        version = f" v{info['version']}" if info.get("version") is not None else ""
        out.append(f"  kernel {info.get('kernel')}{version}: {info.get('kernel_status') or 'pushed'}")
    if submission:
        info = submission["info"]
        scores = ", ".join(
            f"{name} {info[key]}"
            for name, key in (("public", "public_score"), ("private", "private_score"))
            if info.get(key) not in (None, "")
        )
        out.append(
            f"  submission {info.get('ref') or ''} to {info.get('competition')}: "
            f"{info.get('submission_status') or 'submitted'}" + (f" ({scores})" if scores else "")
        )
    return out
