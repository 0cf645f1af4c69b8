"""Reading code and JSON out of a model's reply, strictly enough to catch a reply that is off.

Every function raises `ReplyProblem` with a sentence the repair round sends back to the model.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mlestar_lab import safe_ast

_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


class ReplyProblem(ValueError):
    """A reply that does not have the requested form; the message says what is wrong."""


def fences(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order; an unterminated last fence counts."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def python_code(text: str) -> str:
    """The code of the first ```python fence (or an unlabelled one); it must compile."""
    bodies = [body for lang, body in fences(text) if lang in ("python", "py", "")]
    if not bodies:
        raise ReplyProblem("it has no ```python fenced code block")
    code = bodies[0].strip("\n")
    if not code.strip():
        raise ReplyProblem("its ```python block is empty")
    check_syntax(code)
    return code


def check_syntax(code: str, where: str = "the code") -> None:
    try:
        safe_ast.parse(code)
    except SyntaxError as exc:
        raise ReplyProblem(f"{where} is not valid Python: {exc.msg} (line {exc.lineno})") from None


def json_value(text: str) -> Any:
    """The value of the first ```json fence, else of the first {...} or [...] in the text."""
    candidates = [body for lang, body in fences(text) if lang == "json"]
    if not candidates:
        match = re.search(r"(\{.*\}|\[.*\])", text, re.DOTALL)
        if match is None:
            raise ReplyProblem("it has no ```json fenced block")
        candidates = [match.group(1)]
    try:
        return json.loads(candidates[0])
    except json.JSONDecodeError as exc:
        raise ReplyProblem(f"its JSON does not parse: {exc.msg} at line {exc.lineno}") from None


def json_object(text: str, required: tuple[str, ...]) -> dict[str, Any]:
    value = json_value(text)
    if not isinstance(value, dict):
        raise ReplyProblem("its JSON must be an object")
    missing = [k for k in required if k not in value]
    if missing:
        raise ReplyProblem(f"its JSON object lacks the key(s) {', '.join(missing)}")
    return value


def json_list(text: str, required: tuple[str, ...]) -> list[dict[str, Any]]:
    value = json_value(text)
    if not isinstance(value, list) or not value:
        raise ReplyProblem("its JSON must be a non-empty list of objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ReplyProblem(f"item {index} of its JSON list is not an object")
        missing = [k for k in required if not isinstance(item.get(k), str) or not item[k].strip()]
        if missing:
            raise ReplyProblem(f"item {index} of its JSON list lacks the text key(s) {', '.join(missing)}")
    return value


def after_json_python(text: str) -> str | None:
    """The ```python fence that follows the JSON verdict, when the reply has one."""
    bodies = [body for lang, body in fences(text) if lang in ("python", "py")]
    return bodies[0].strip("\n") if bodies and bodies[0].strip() else None
