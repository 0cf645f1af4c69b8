"""How numbers read in every front end (terminal, widget), so a score looks the same everywhere."""

from __future__ import annotations


def fmt_score(value: float | None) -> str:
    return "—" if value is None else f"{value:.6g}"


def fmt_delta(value: float | None) -> str:
    return "" if value is None else f"{value:+.4g}"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "—"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m{seconds:02d}s" if minutes else f"{value:.1f}s"


def fmt_tokens(tokens: int, cost_usd: float) -> str:
    return f"{tokens:,} tokens, ${cost_usd:.4f} (estimated)"
