"""HTML for the panel's read-only parts: header, stage progress, ablations, plans with diffs, ensembles.

ipywidgets' HTML widget inserts its value as markup, and plans, titles, code and reasons come from
strategists (an LLM's output) and users, so every value goes through `html.escape`: a plan cannot
inject markup or script into the notebook. Class names (`mlestar-…`) are stable hooks for styling
and for browser tests.
"""

from __future__ import annotations

from html import escape
from typing import Any

from mlestar_lab.formatting import fmt_delta, fmt_score, fmt_seconds
from mlestar_lab.report import STAGE_ORDER
from mlestar_lab.store.models import Decision
from mlestar_lab.widget.state import PanelState

GOOD, BAD, MUTED = "#1a7f37", "#cf222e", "#57606a"
_TABLE = 'class="{cls}" style="border-collapse:collapse;font-size:12px;margin:4px 0"'
_CELL = 'style="padding:2px 8px;border-bottom:1px solid #d0d7de;text-align:left;vertical-align:top"'
_DIFF_COLORS = {"+": "#e6ffec", "-": "#ffebe9", "@": "#ddf4ff"}


def block(html: str) -> str:
    """`html` with a text line height: ipywidgets' HTML widget sets one meant for one-line labels."""
    return f'<div style="line-height:1.4">{html}</div>'


def table(headers: list[str], rows: list[list[str]], cls: str) -> str:
    """A table of already-escaped cells."""
    head = "".join(f"<th {_CELL}>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table {_TABLE.format(cls=cls)}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def delta_cell(value: float | None) -> str:
    if value is None:
        return ""
    color = GOOD if value > 0 else BAD if value < 0 else MUTED
    return f'<span style="color:{color}">{escape(fmt_delta(value))}</span>'


def diff_html(diff: str) -> str:
    """A unified diff, one coloured line each (additions green, removals red, hunks blue)."""
    if not diff.strip():
        return f'<i style="color:{MUTED}">no change to the code</i>'
    lines = []
    for line in diff.splitlines():
        color = (
            "transparent" if line.startswith(("+++", "---")) else _DIFF_COLORS.get(line[:1], "transparent")
        )
        lines.append(f'<div style="background:{color};white-space:pre">{escape(line) or " "}</div>')
    return (
        '<div class="mlestar-diff" style="font-family:monospace;font-size:11px;overflow-x:auto;'
        f'border:1px solid #d0d7de;padding:4px">{"".join(lines)}</div>'
    )


def header_html(state: PanelState) -> str:
    run = state.run
    arrow = "↑" if run.higher_is_better else "↓"
    status = run.status + ("" if state.alive or run.status in ("finished", "failed") else " (no agent)")
    parts = [
        f'<b class="mlestar-run-id">{escape(run.id)}</b>',
        f'<span class="mlestar-status mlestar-status-{escape(run.status)}">{escape(status)}</span>',
        f"stage <b>{escape(run.stage or '—')}</b>",
        f"best {escape(run.metric)} {arrow} <b class='mlestar-best'>{escape(fmt_score(run.best_score))}</b>",
        f"time {escape(fmt_seconds(run.elapsed_seconds))} of {escape(fmt_seconds(run.budget_seconds))}",
    ]
    lines = [" · ".join(parts)]
    if run.error:
        lines.append(f'<div class="mlestar-error" style="color:{BAD}">{escape(run.error)}</div>')
    if run.submission_path:
        lines.append(f"submission: <code>{escape(run.submission_path)}</code>")
    return '<div class="mlestar-header">' + "<br>".join(lines) + "</div>"


def stages_html(state: PanelState) -> str:
    """One pill per stage: reached ones filled, the current one outlined, with ok/failed counts
    (the outer loop goes back from refinement to ablation, so a stage with steps stays filled)."""
    counts = {row["stage"]: row for row in state.report["stages"]}
    current = state.run.stage
    at = STAGE_ORDER.index(current) if current in STAGE_ORDER else -1
    pills = []
    for index, stage in enumerate(STAGE_ORDER[1:], start=1):
        row = counts.get(stage)
        done = row is not None or index < at or (index == at and state.run.status == "finished")
        style = "background:#ddf4ff;border:1px solid #54aeff" if done else "border:1px solid #d0d7de"
        if index == at and state.run.status == "running":
            style = "border:2px solid #0969da;font-weight:bold"
        label = escape(stage) + (
            f" {row['ok']}✓" + (f" {row['failed']}✗" if row["failed"] else "") if row else ""
        )
        pills.append(
            f'<span class="mlestar-stage mlestar-stage-{stage}" '
            f'style="{style};border-radius:10px;padding:1px 8px;margin-right:4px">{label}</span>'
        )
    return '<div class="mlestar-stages">' + "".join(pills) + "</div>"


def ablations_html(state: PanelState) -> str:
    """Each outer step: its ablation table, the chosen block, and every plan tried with Δ and diff."""
    outers = state.report["ablations"]
    if not outers:
        return f'<i style="color:{MUTED}">no ablation study yet</i>'
    parts = []
    for outer in outers:
        rows = [
            [
                escape(r["block"]) + (" ◀ chosen" if r["block"] == outer["chosen_block"] else ""),
                delta_cell(r["delta"]),
                escape(fmt_score(r["score"])),
                escape(fmt_seconds(r["runtime"])),
                escape(r["status"]),
            ]
            for r in outer["table"]
        ]
        parts.append(
            f"<h4>Ablation study {outer['outer_step']} (base #{outer['base_step']}, "
            f"score {escape(fmt_score(outer['base_score']))}; Δ &gt; 0: the component helps)</h4>"
            + table(["component", "Δscore", "score without", "runtime", "status"], rows, "mlestar-ablation")
            + f"<div>chosen: <b>{escape(outer['chosen_block'] or '—')}</b> — "
            + f"{escape(outer['reason'] or '')}</div>"
        )
        parts.extend(refinement_html(state, row) for row in outer["refinements"])
    return "".join(parts)


def refinement_html(state: PanelState, row: dict[str, Any]) -> str:
    step = state.steps.get(row["id"])
    diff = step.diff if step is not None else ""
    return (
        f'<details class="mlestar-refinement"><summary>#{row["id"]} {escape(row["title"])} · '
        f"{escape(row['status'])} · {escape(fmt_score(row['score']))} {delta_cell(row['delta'])}</summary>"
        f"<div><b>plan</b>: {escape(row['plan'] or '')}</div>{diff_html(diff)}</details>"
    )


def steps_table_html(rows: list[dict[str, Any]], cls: str, what: str = "title") -> str:
    if not rows:
        return f'<i style="color:{MUTED}">none yet</i>'
    body = [
        [
            f"#{r['id']}",
            escape(r["stage"]),
            escape(r["title"]),
            escape(r["status"]),
            escape(fmt_score(r["score"])),
            delta_cell(r["delta"]),
            escape(fmt_seconds(r["runtime"])),
        ]
        for r in rows
    ]
    return table(["step", "stage", what, "status", "score", "Δscore", "runtime"], body, cls)


def decision_html(decision: Decision) -> str:
    """What a user needs to judge a gate's question: the plan, the table or choices, findings, diff."""
    request = decision.request
    parts = [f"<b>{escape(decision.gate)}</b>: {escape(decision.title)}"]
    for label, key in (("plan", "plan"), ("why", "reason")):
        if request.get(key):
            parts.append(f"<div><b>{label}</b>: {escape(str(request[key]))}</div>")
    if request.get("table"):
        rows = [
            [escape(r["block"]), delta_cell(r["delta"]), escape(fmt_score(r["score"])), escape(r["status"])]
            for r in request["table"]
        ]
        parts.append(table(["component", "Δscore", "score without", "status"], rows, "mlestar-ablation"))
    if request.get("choices"):
        rows = [
            [f"#{c['step_id']}", escape(c["title"]), escape(fmt_score(c["score"]))]
            for c in request["choices"]
        ]
        parts.append(table(["step", "solution", "score"], rows, "mlestar-choices"))
    if request.get("families"):
        names = ", ".join(escape(f.get("title", f["name"])) for f in request["families"])
        parts.append(f"<div><b>families</b>: {names}</div>")
    for finding in request.get("findings", []):
        color = BAD if finding["severity"] == "error" else MUTED
        parts.append(
            f'<div style="color:{color}">{escape(finding["severity"])}: {escape(finding["message"])}</div>'
        )
    if request.get("diff"):
        parts.append(diff_html(request["diff"]))
    return '<div class="mlestar-decision-request">' + "".join(parts) + "</div>"
