"""Prompt templates: one file per MLE-STAR role in `prompts/`, filled with `string.Template`.

`$name` placeholders (not `{name}`) so the code examples inside templates need no escaping. A
template asking for a value nobody supplied is a bug and fails loudly (`KeyError`).
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from importlib import resources
from string import Template

ROLE_LINE = re.compile(r"^# Role: (\w+)", re.MULTILINE)
PACKAGES = ("numpy", "pandas", "scipy", "sklearn", "lightgbm", "xgboost", "catboost", "torch")


@cache
def template(name: str) -> Template:
    text = resources.files(__package__).joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")
    return Template(text)


@cache
def packages() -> str:
    """The modelling packages a notebook can import here (checked, not assumed)."""
    names = [name for name in PACKAGES if importlib.util.find_spec(name) is not None]
    return ", ".join("scikit-learn" if n == "sklearn" else n for n in names)


def render(name: str, **values: object) -> str:
    """Template `name` filled with `values`; the notebook contract and the package list come free."""
    filled = {k: str(v) for k, v in values.items()}
    filled.setdefault("packages", packages())
    if "$contract" in template(name).template:
        filled.setdefault("contract", render("contract").strip())
    return template(name).substitute(filled).strip() + "\n"


def role_of(prompt: str) -> str:
    """The role a prompt was written for (its first `# Role:` line)."""
    match = ROLE_LINE.search(prompt)
    if match is None:
        raise ValueError("a prompt without a '# Role:' line")
    return match.group(1)
