"""Estimated cost of a model call from its token counts.

List prices in US dollars per million tokens (input, output), as published by the providers for
their standard tier at the time of writing; they change, so a user can set any model's prices in
the config file (`[prices."model-name"] input = …, output = …`). A model not listed — a local
Ollama, vLLM or llama.cpp model — costs 0, and its tokens are still counted and capped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input_per_million: float
    output_per_million: float

    def cost(self, prompt_tokens: int, output_tokens: int) -> float:
        return (prompt_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6


# Longest prefix wins, so "gemini-2.5-flash-lite" is not priced as "gemini-2.5-flash".
LIST_PRICES: dict[str, Price] = {
    "gemini-2.5-pro": Price(1.25, 10.0),
    "gemini-2.5-flash": Price(0.30, 2.50),
    "gemini-2.5-flash-lite": Price(0.10, 0.40),
    "gemini-2.0-flash": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.0),
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4.1": Price(2.0, 8.0),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "o3": Price(2.0, 8.0),
    "o4-mini": Price(1.10, 4.40),
}
FREE = Price(0.0, 0.0)


def price_of(model: str, overrides: dict[str, Price] | None = None) -> Price:
    """The price of `model`: the user's setting, else the longest listed prefix, else free."""
    table = {**LIST_PRICES, **(overrides or {})}
    name = model.split("/")[-1].lower()
    if name in table:
        return table[name]
    matches = [prefix for prefix in table if name.startswith(prefix)]
    return table[max(matches, key=len)] if matches else FREE
