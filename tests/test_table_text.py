"""Long tables drawn without rich's layout must look exactly as rich draws them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table

from schedsim import load_workload, simulate
from schedsim.cli import main
from schedsim.report import TABLE_ROWS, job_table, render_table
from schedsim.table_text import table_text

ROOT = Path(__file__).resolve().parent.parent


def _rich(table: Table) -> str:
    console = Console(  # as schedsim.report prints: cells are text, not markup
        width=10_000,
        record=True,
        force_terminal=False,
        color_system=None,
        markup=False,
        emoji=False,
        highlight=False,
    )
    with console.capture() as capture:
        console.print(table)
    return "\n".join(line.rstrip() for line in capture.get().splitlines())


def _ours(table: Table) -> str:
    return "\n".join(line.rstrip() for line in table_text(table).splitlines())


texts = st.text(
    st.characters(categories=["L", "N", "P", "Zs"], exclude_characters="\x85"), max_size=12
)


@given(
    st.lists(st.tuples(texts, texts, texts), max_size=8),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.integers(0, 12),
)
def test_table_text_is_what_rich_draws_on_a_wide_console(
    rows: list[tuple[str, str, str]], right: list[bool], min_width: int
) -> None:
    """Any cells (wide letters included), either justification, a minimum width."""
    table = Table(title="Processes", title_justify="left", show_edge=False)
    for index, flush_right in enumerate(right):
        table.add_column(
            f"c{index}", justify="right" if flush_right else "left", min_width=min_width or None
        )
    for row in rows:
        table.add_row(*row)
    assert _ours(table) == _rich(table)


def test_the_job_table_of_a_workload_is_drawn_alike() -> None:
    result = simulate(load_workload(ROOT / "workloads" / "pathfinder.yaml"), "priority")
    assert _ours(job_table(result)) == _rich(job_table(result))


def test_all_rows_past_the_limit_lists_every_process_in_table_order(tmp_path: Path) -> None:
    """``--all-rows`` on more than TABLE_ROWS processes: one row per process, in file
    order, with the columns of the small table (drawn by table_text)."""
    count = TABLE_ROWS + 50
    path = tmp_path / "many.csv"
    path.write_text("pid,arrival,burst\n" + "".join(f"P{i},{i},2\n" for i in range(count)))
    output = CliRunner().invoke(main, ["run", str(path), "-p", "fcfs", "--all-rows"]).output
    rows = [line.split("│") for line in output.splitlines() if line.startswith(" P")]
    assert [row[0].strip() for row in rows] == [f"P{i}" for i in range(count)]
    assert all(row[3].strip() == str(2 * i + 2) for i, row in enumerate(rows))  # finish
    header = next(line for line in output.splitlines() if line.startswith(" pid"))
    assert "turnaround" in header and "first run" in header
    assert render_table(simulate(load_workload(path), "fcfs"), all_rows=True) == output
