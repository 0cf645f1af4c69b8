"""The score plot as inline SVG: stock ipywidgets render it in an HTML widget on every front end
(Kaggle, Colab, VS Code, classic Notebook), with no plotting library or custom front-end code."""

from __future__ import annotations

from html import escape

from mlestar_lab.formatting import fmt_score

WIDTH, HEIGHT, PAD, LEFT = 560, 220, 40, 64
STAGE_COLORS = {
    "candidate": "#0969da",
    "merge": "#8250df",
    "refinement": "#1a7f37",
    "ensemble": "#cf222e",
}


def best_so_far(scores: list[float], higher_is_better: bool) -> list[float]:
    best: list[float] = []
    for score in scores:
        if not best:
            best.append(score)
        else:
            best.append(max(best[-1], score) if higher_is_better else min(best[-1], score))
    return best


def score_svg(points: list[tuple[int, str, float]], metric: str, higher_is_better: bool) -> str:
    """Each scored step as a dot coloured by stage, and the best score so far as a step line."""
    if not points:
        return '<i class="mlestar-plot-empty">no scored step yet</i>'
    scores = [score for _, _, score in points]
    low, high = min(scores), max(scores)
    span = (high - low) or abs(high) or 1.0

    def x(i: int) -> float:
        return LEFT + (WIDTH - LEFT - PAD) * (i / max(1, len(points) - 1))

    def y(value: float) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * ((value - low) / span)

    best = best_so_far(scores, higher_is_better)
    line = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(best))
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(score):.1f}" r="4" fill="{STAGE_COLORS.get(stage, "#57606a")}">'
        f"<title>#{step_id} {escape(stage)}: {escape(fmt_score(score))}</title></circle>"
        for i, (step_id, stage, score) in enumerate(points)
    )
    legend = "".join(
        f'<tspan fill="{color}" dx="10">● {stage}</tspan>' for stage, color in STAGE_COLORS.items()
    )
    arrow = "higher is better" if higher_is_better else "lower is better"
    return (
        f'<svg class="mlestar-plot" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'xmlns="http://www.w3.org/2000/svg" style="font:11px sans-serif">'
        f'<text x="{LEFT}" y="14">{escape(metric)} ({arrow}) by step; line: best so far</text>'
        f'<text x="{LEFT}" y="{HEIGHT - 8}">{legend}</text>'
        f'<text x="4" y="{y(high) + 4:.1f}">{escape(fmt_score(high))}</text>'
        f'<text x="4" y="{y(low) + 4:.1f}">{escape(fmt_score(low))}</text>'
        f'<polyline points="{line}" fill="none" stroke="#57606a" stroke-width="1.5"/>{dots}</svg>'
    )
