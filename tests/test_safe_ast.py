"""Every parse in the package goes through safe_ast: CPython 3.11 fails concurrent parses at random."""

from __future__ import annotations

import re
from pathlib import Path

import mlestar_lab

PACKAGE = Path(mlestar_lab.__file__).parent
UNSAFE = re.compile(r"\bast\.parse\(")


def test_no_module_parses_python_outside_the_lock() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "safe_ast.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if UNSAFE.search(line)
    ]
    assert not offenders, "use mlestar_lab.safe_ast.parse instead:\n" + "\n".join(offenders)
