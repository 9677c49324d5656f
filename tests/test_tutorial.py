"""docs/tutorial.md runs as written: its Python blocks, in order, in one namespace (as the
cells of a notebook), and every line commented ``# -> value`` gives that value."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = (ROOT / "docs" / "tutorial.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", TUTORIAL, flags=re.DOTALL)


def test_the_tutorial_has_blocks_and_shown_values():
    assert len(BLOCKS) >= 8
    assert len(re.findall(r"# -> ", TUTORIAL)) >= 12


def test_the_tutorial_runs_and_shows_true_values(tmp_path, monkeypatch, capsys):
    pytest.importorskip("pandas")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    checked = 0
    for number, block in enumerate(BLOCKS, start=1):
        lines = block.splitlines()
        for statement in ast.parse(block).body:
            source = ast.Module([statement], [])
            shown = re.search(r"# -> (.*)$", lines[statement.end_lineno - 1])
            if shown and isinstance(statement, ast.Expr):
                value = eval(
                    compile(ast.Expression(statement.value), f"block {number}", "eval"), namespace
                )
                text = value if isinstance(value, str) else repr(value)
                assert text == shown.group(1), f"block {number}: {lines[statement.end_lineno - 1]}"
                checked += 1
            else:
                exec(compile(source, f"block {number}", "exec"), namespace)
    assert checked >= 12
    assert (tmp_path / "two-policies.png").stat().st_size > 10_000
    assert 'id="schedsim-data"' in (tmp_path / "lab.html").read_text()
    assert (tmp_path / "lab.trace.json").read_text().startswith('{"traceEvents": [')
    assert "Average waiting = (5 + 0 + 5 + 2) / 4 = 12/4 = 3" in capsys.readouterr().out
    import matplotlib.pyplot as plt

    plt.close("all")
