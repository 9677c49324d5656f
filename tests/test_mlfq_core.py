"""MLFQ's hooks as C methods (``schedsim.policies._mlfq_core.MLFQCore``) against the Python
hooks.

The Python hooks in ``schedsim/policies/mlfq.py`` are the specification: on a float
workload, a run whose hooks are the core's methods must give exactly the trace of a run with
the Python hooks (the core made unavailable when the policy is reset) — every time bit for
bit — in the compiled loop and against the Python loop, on any number of CPUs.  Integer
workloads keep the Python hooks, so their results stay exact integers.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import Workload, engine, simulate
from schedsim.errors import LimitError, SchedsimError
from schedsim.policies import make_policy, mlfq
from schedsim.policies.base import standalone_view
from schedsim.trace import Trace
from tests.helpers import exact, workload
from tests.strategies import workloads

PURE_PYTHON = "SCHEDSIM_PURE_PYTHON"


@pytest.fixture(scope="module")
def core_type() -> Any:
    """The compiled core; the tests that need it skip where it could not be built."""
    module = pytest.importorskip("schedsim.policies._mlfq_core")
    return module.MLFQCore


def test_the_core_is_built_where_a_compiler_is():
    """With a compiler (CI has gcc) a failed build must not pass as a row of skipped tests."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler here: MLFQ runs its Python hooks")
    assert importlib.util.find_spec("schedsim.policies._mlfq_core") is not None, (
        "schedsim.policies._mlfq_core is not built: run `pip install -e .` and read the "
        "compiler's errors"
    )
    assert mlfq.MLFQCore is not None


# -- running both ways ------------------------------------------------------------------------
def run(
    work: Workload, options: dict[str, Any], *, core: bool, **kwargs: Any
) -> Trace | tuple[type, str]:
    """One run with the core's hooks or the Python hooks (checked), or the error it raised.
    The core's hooks need the compiled loop (``engine="c"``), which asks for them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(PURE_PYTHON, raising=False)
        if not core:
            patch.setattr(mlfq, "MLFQCore", None)
        policy = make_policy("mlfq", **options)
        try:
            trace = engine.run(work, policy, **kwargs)
        except SchedsimError as error:
            return type(error), str(error)
    assert (policy.core is not None) is core
    return trace


def as_floats_list(values: Any) -> list[float | None]:
    return [None if value is None else float(value) for value in values]


def assert_same(with_core: Trace | tuple[type, str], python: Trace | tuple[type, str]) -> None:
    """Exact equality of everything a trace holds, no tolerance anywhere.

    Times are compared as floats: the Python hooks may answer an int (a fresh int quantum)
    where the core answers the equal float, and the Python loops then carry that int on (an
    int boost period on a float workload gives an int instant).  The value is the same."""
    if not isinstance(python, Trace) or not isinstance(with_core, Trace):
        assert with_core == python
        return
    for name in ("first_run", "finish", "switch_time"):
        assert as_floats_list(getattr(with_core, name)) == as_floats_list(getattr(python, name))
    assert exact(with_core.slices) == exact(python.slices)
    for name in ("context_switches", "extra"):
        assert getattr(with_core, name) == getattr(python, name), name
    assert python.timeline is not None and with_core.timeline is not None
    for name in python.timeline.COLUMNS:
        column = getattr(with_core.timeline, name)
        expected = getattr(python.timeline, name)
        assert column.typecode == expected.typecode, name
        assert column.tobytes() == expected.tobytes(), name


QUANTA = st.sampled_from([0.1, 0.3, 0.5, 1, 2, 2.5, 4])
ALLOTMENTS = st.sampled_from([0.2, 0.5, 1, 3, 4.5])


@st.composite
def mlfq_options(draw: st.DrawFn) -> dict[str, Any]:
    """Levels 1-4; one quantum or one per level (inf allowed at the bottom); allotments;
    boost; io_resets."""
    levels = draw(st.integers(1, 4))
    per_level = draw(st.booleans())
    quanta: list[float] = [draw(QUANTA) for _ in range(levels if per_level else 1)]
    if per_level and draw(st.booleans()):
        quanta[-1] = math.inf
    options: dict[str, Any] = {
        "levels": levels,
        "quantum": ",".join(str(q) for q in quanta),
        "io_resets": draw(st.booleans()),
    }
    allotment = draw(st.none() | st.lists(ALLOTMENTS, min_size=levels, max_size=levels))
    if allotment is not None:
        if draw(st.booleans()):
            allotment[-1] = math.inf  # allowed at the bottom only
        options["allotment"] = ",".join(str(a) for a in allotment)
    boost = draw(st.sampled_from([0, 0, 3, 7.5]))
    if boost:
        options["boost"] = boost
    return options


@given(
    work=workloads(floats=True),
    options=mlfq_options(),
    cpus=st.integers(1, 3),
    context_switch=st.sampled_from([0, 0.5]),
    ties=st.sampled_from(["arrivals-first", "requeue-first"]),
)
def test_core_and_python_hooks_give_identical_traces(
    work: Workload, options: dict[str, Any], cpus: int, context_switch: float, ties: str
) -> None:
    kwargs = {"cpus": cpus, "context_switch": context_switch, "ties": ties, "max_slices": 20_000}
    with_core = run(work, options, core=True, engine="c", **kwargs)
    assert_same(with_core, run(work, options, core=False, engine="c", **kwargs))
    assert_same(with_core, run(work, options, core=False, engine="python", **kwargs))


# -- the float-rounding fix -------------------------------------------------------------------
REPRODUCER = workload(
    ("P1", 1.9, [7.368]),
    ("P2", 8.573, [8.358]),
    ("P3", 2.586, [2.018, 0.917, 1.1]),
    ("P4", 0.42, [1.806]),
    ("P5", 2.62, [0.6, 0.689, 7.224]),
)
REPRODUCER_OPTIONS = {"levels": 2, "quantum": "0.1,0.3"}


@pytest.mark.parametrize("core", [True, False], ids=["core", "python"])
def test_use_a_few_ulps_short_of_a_quantum_boundary_gets_a_fresh_quantum(
    core: bool, core_type: Any
) -> None:
    """At level 1 (quantum 0.3) P3's use reaches 0.8999999999999999: ``0.3 - use % 0.3`` is
    5.55e-17, a slice that ends at the instant it starts.  It counts as the boundary."""
    trace = run(REPRODUCER, REPRODUCER_OPTIONS, core=core, engine="c", max_slices=20_000)
    assert isinstance(trace, Trace), trace
    assert exact(trace.finish) == pytest.approx([24.012, 28.894, 14.344, 2.826, 26.636])
    assert trace.timeline is not None
    shortest = min(
        end - start for start, end in zip(trace.timeline.start, trace.timeline.end, strict=True)
    )
    assert shortest > 1e-6  # no slice of a few ulps (the shortest is a burst's last 0.018)


def test_without_the_tolerance_the_reproducer_never_progresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The test above can fail: with no tolerance the Python hooks loop to the slice limit."""
    monkeypatch.setenv(PURE_PYTHON, "1")
    monkeypatch.setattr(mlfq, "TOLERANCE", 0.0)
    with pytest.raises(LimitError):
        engine.run(REPRODUCER, make_policy("mlfq", **REPRODUCER_OPTIONS), max_slices=20_000)


def test_integer_runs_compare_use_with_the_allotment_exactly() -> None:
    """No tolerance where all is integer: exact int thresholds, int results."""
    policy = make_policy("mlfq", levels=3, quantum=10)
    result = simulate(workload(("A", 0, 200)), policy)
    assert policy.core is None
    assert policy.thresholds == (10, 10, 10)
    assert result.jobs["finish"].tolist() == [200]


# -- the OSTEP scenarios of tests/test_reference.py, as floats through the core --------------
def levels_and_times(result: Any, pid: str | None = None) -> list[tuple[float, float, int]]:
    return [
        (float(r["start"]), float(r["end"]), int(r["level"]))
        for r in result.timeline_records()
        if pid is None or r["pid"] == pid
    ]


OSTEP_SCENARIOS = {
    "long job sinks": (workload(("A", 0, 200)), {}),
    "short job at 100": (workload(("A", 0, 200), ("B", 100, 20)), {}),
    "io-bound old rule": (
        workload(("A", 0, 200), ("B", 50, [1, 9] * 10 + [1])),
        {"io_resets": True},
    ),
    "gamer, old rule": (workload(("H", 0, 200), ("G", 20, [9, 1] * 10 + [9])), {"io_resets": True}),
    "gamer, new rule": (workload(("H", 0, 200), ("G", 20, [9, 1] * 10 + [9])), {}),
    "boost": (workload(("A", 0, 200), ("B", 10, 30), ("C", 15, [5, 3, 40])), {"boost": 50}),
}


def as_floats(work: Workload) -> Workload:
    return Workload(
        pid=work.pid,
        arrival=work.arrival.astype(float),
        burst_offsets=work.burst_offsets,
        burst_values=work.burst_values.astype(float),
        priority=work.priority,
        tickets=work.tickets,
        nice=work.nice,
        name=work.name,
    )


@pytest.mark.parametrize("scenario", sorted(OSTEP_SCENARIOS))
def test_ostep_scenarios_as_floats_through_the_core_keep_the_textbook_schedule(
    scenario: str, core_type: Any
) -> None:
    integer_work, extra = OSTEP_SCENARIOS[scenario]
    options = {"levels": 3, "quantum": 10, **extra}
    integer_policy = make_policy("mlfq", **options)
    float_policy = make_policy("mlfq", **options)
    integer_result = simulate(integer_work, integer_policy)
    float_result = simulate(as_floats(integer_work), float_policy)
    assert integer_policy.core is None
    assert isinstance(float_policy.core, core_type)
    assert levels_and_times(float_result) == levels_and_times(integer_result)
    assert float_result.jobs["finish"].tolist() == integer_result.jobs["finish"].tolist()


def test_ostep_figure_8_3_as_floats() -> None:
    """B (20.0) arrives at 100.0, runs one quantum at each top level, finishes at 120.0."""
    work = workload(("A", 0.0, 200.0), ("B", 100.0, 20.0))
    policy = make_policy("mlfq", levels=3, quantum=10)
    result = simulate(work, policy)
    assert policy.core is not None or mlfq.MLFQCore is None
    assert result.jobs["finish"].tolist() == [220.0, 120.0]
    assert levels_and_times(result, "B") == [(100.0, 110.0, 0), (110.0, 120.0, 1)]


# -- the core's methods one by one --------------------------------------------------------------
def test_queues_keep_fifo_order_and_a_preempted_job_returns_to_the_head(core_type: Any) -> None:
    core = core_type(4, (2.0, 4.0), (2.0, 4.0), False)
    for job in (0, 1, 2):
        core.on_ready(job)
    assert core.pick_next() == 0
    assert core.time_slice(0) == 2.0
    core.on_preempted(0, 0.5)  # keeps the rest of its slice, at the head
    assert core.pick_next() == 0
    assert core.time_slice(0) == 1.5  # 0.5 of the quantum used
    core.on_expired(0)  # 0.5 + 1.5 reaches the allotment: down a level, fresh accounting
    assert core.slice_level(0) == 1
    assert [core.pick_next() for _ in range(3)] == [1, 2, 0]  # level 0 first
    assert core.time_slice(0) == 4.0  # a fresh quantum at level 1


def test_preempt_takes_the_lowest_level_then_highest_id(core_type: Any) -> None:
    core = core_type(4, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0), False)
    for job, level in ((0, 2), (1, 1), (2, 2)):
        core.on_ready(job)
        assert core.pick_next() == job
        for _ in range(level):
            core.time_slice(job)
            core.on_burst_end(job, 1.0)
    assert core.preempt([0, 1, 2]) is None  # nothing ready
    core.on_ready(3)
    assert core.preempt([0, 1, 2]) == 2
    assert core.preempt([1]) == 1
    core_top = core_type(2, (1.0,), (1.0,), False)
    core_top.on_ready(0)
    assert core_top.pick_next() == 0
    core_top.on_ready(1)
    assert core_top.preempt([0]) is None  # same level: no preemption


def test_boost_merges_lower_queues_behind_the_top_in_level_order(core_type: Any) -> None:
    """Queues before the boost: L0 [4], L1 [2, 3], L2 [0, 1]; after it one top queue
    [4, 2, 3, 0, 1], every job at level 0 with fresh accounting (a whole quantum)."""
    core = core_type(5, (1.0, 1.0, 1.0), (1.0, 1.0, 1.0), False)
    for job in range(5):
        core.on_ready(job)
    for job in (0, 1, 2, 3):  # each uses its allotment at level 0 and sinks to level 1
        assert core.pick_next() == job
        core.time_slice(job)
        core.on_expired(job)
    assert core.pick_next() == 4  # runs, then blocks for I/O
    for job in (0, 1):  # sink on to level 2
        assert core.pick_next() == job
        core.time_slice(job)
        core.on_expired(job)
    core.on_ready(4)  # back from I/O, at level 0
    assert [core.slice_level(job) for job in range(5)] == [2, 2, 1, 1, 0]
    core.boost()
    assert [core.slice_level(job) for job in range(5)] == [0] * 5
    order = [core.pick_next() for _ in range(5)]
    assert order == [4, 2, 3, 0, 1]
    assert [core.time_slice(job) for job in order] == [1.0] * 5


def test_io_resets_restarts_accounting_only_for_a_slice_left_early(core_type: Any) -> None:
    core = core_type(1, (4.0, 4.0), (4.0, 4.0), True)
    core.on_ready(0)
    core.pick_next()
    assert core.time_slice(0) == 4.0
    core.on_burst_end(0, 3.0)  # left early: keeps level 0, accounting restarts
    core.on_ready(0)
    core.pick_next()
    assert (core.slice_level(0), core.time_slice(0)) == (0, 4.0)
    core.on_burst_end(0, 4.0)  # the whole slice: charged, and down a level
    core.on_ready(0)
    core.pick_next()
    assert (core.slice_level(0), core.time_slice(0)) == (1, 4.0)


def test_bottom_inf_quantum_grants_inf(core_type: Any) -> None:
    core = core_type(1, (1.0, math.inf), (1.0, math.inf), False)
    core.on_ready(0)
    core.pick_next()
    core.time_slice(0)
    core.on_expired(0)
    core.pick_next()
    assert core.time_slice(0) == math.inf


def test_misuse_raises_instead_of_corrupting_the_queues(core_type: Any) -> None:
    core = core_type(2, (1.0,), (1.0,), False)
    with pytest.raises(IndexError, match="no ready job"):
        core.pick_next()
    with pytest.raises(IndexError, match="job 2 out of range"):
        core.on_ready(2)
    with pytest.raises(IndexError, match="job -1 out of range"):
        core.time_slice(-1)
    core.on_ready(0)
    with pytest.raises(ValueError, match="job 0 is already in a ready queue"):
        core.on_ready(0)
    with pytest.raises(TypeError):
        core.on_preempted(0)
    with pytest.raises(TypeError):
        core.on_burst_end(0, "1.0")
    with pytest.raises(ValueError, match="2 quanta but 1 allotments"):
        core_type(1, (1.0, 2.0), (1.0,), False)
    with pytest.raises(ValueError, match="quanta: level 0 must be > 0"):
        core_type(1, (0.0,), (1.0,), False)
    with pytest.raises(ValueError, match="jobs must be >= 0"):
        core_type(-1, (1.0,), (1.0,), False)


def test_a_policy_reset_for_an_integer_run_drops_the_core_hooks(core_type: Any) -> None:
    """One policy object, a float run then an integer run: the second is all Python."""
    policy = make_policy("mlfq", levels=2, quantum=2)
    simulate(workload(("A", 0.0, 5.0)), policy)
    assert isinstance(policy.core, core_type)
    result = simulate(workload(("A", 0, 5), ("B", 1, 3)), policy)
    assert policy.core is None
    assert "on_preempted" not in vars(policy)
    assert result.jobs["finish"].tolist() == [8, 7]


def test_the_jobs_view_defaults_to_non_integer_times() -> None:
    """Drivers that measure time (the real dispatcher) build JobsView without the flag."""
    assert standalone_view([1.0]).integer_times is False
