"""The compiled loop (``schedsim._cengine``) against the Python loop it translates.

``engine.run(..., engine="c")`` must give exactly what ``engine="python"`` gives on a float
workload, on one CPU and on several — every time bit for bit, every hook call in the same
order with the same arguments and the same shared state — and fail with the same messages
for a broken policy.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
from collections import deque
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schedsim import Workload, engine
from schedsim.errors import LimitError, OptionError, SchedsimError
from schedsim.policies import make_policy
from schedsim.policies.base import Policy, overrides
from schedsim.trace import Trace
from tests.helpers import exact, workload
from tests.strategies import policy_configurations, workloads


@pytest.fixture(scope="module")
def cengine() -> Any:
    """The extension; the tests that need it skip where it could not be built."""
    return pytest.importorskip("schedsim._cengine")


def test_the_extension_is_built_where_a_compiler_is():
    """``optional=True`` lets an install without a compiler fall back to pure Python; with one
    (CI has gcc) a failed build must not pass unnoticed as a row of skipped tests."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler here: schedsim runs as pure Python")
    assert importlib.util.find_spec("schedsim._cengine") is not None, (
        "schedsim._cengine is not built: run `pip install -e .` (or "
        "`python setup.py build_ext --inplace`) and read the compiler's errors"
    )
    assert engine._cengine is not None


# -- comparing runs ----------------------------------------------------------------------------
def assert_same_trace(compiled: Trace, python: Trace) -> None:
    """Exact equality of everything a trace holds: no tolerance anywhere."""
    for name in ("first_run", "finish", "switch_time", "slices"):
        assert exact(getattr(compiled, name)) == exact(getattr(python, name)), name
    assert compiled.context_switches == python.context_switches
    assert compiled.extra == python.extra
    if python.timeline is None:
        assert compiled.timeline is None
        return
    assert compiled.timeline is not None
    for name in python.timeline.COLUMNS:
        column = getattr(compiled.timeline, name)
        assert column.typecode == getattr(python.timeline, name).typecode, name
        assert column.tobytes() == getattr(python.timeline, name).tobytes(), name


def both(work: Workload, name: str, options: dict[str, Any], **kwargs: Any) -> tuple[Trace, Trace]:
    compiled = engine.run(work, make_policy(name, **options), engine="c", **kwargs)
    python = engine.run(work, make_policy(name, **options), engine="python", **kwargs)
    return compiled, python


# Far more slices than these small workloads need; a policy that stops making progress (a
# slice shorter than the clock's resolution) must fail alike in both loops, and fast.
SMALL_LIMIT = 20_000


def outcomes(runs: dict[str, Any]) -> dict[str, Trace | tuple[type, str]]:
    """Each loop's trace, or the type and message of the SchedsimError it raised."""
    results: dict[str, Trace | tuple[type, str]] = {}
    for loop, start in runs.items():
        try:
            results[loop] = start()
        except SchedsimError as error:
            results[loop] = (type(error), str(error))
    return results


def assert_same_outcome(compiled: Trace | tuple[type, str], python: Any) -> None:
    if isinstance(python, Trace):
        assert isinstance(compiled, Trace), compiled
        assert_same_trace(compiled, python)
    else:
        assert compiled == python


# Configurations beyond the shared ones: timers from aging (int and float rates), a float
# boost, predicted bursts (on_burst_end), float quanta.
EXTRA_CONFIGURATIONS: list[tuple[str, dict[str, Any]]] = [
    ("priority", {"preemptive": True}),
    ("priority", {"preemptive": True, "aging": 2}),
    ("priority", {"preemptive": True, "aging": 1.5}),
    ("sjf", {"predict": "exp"}),
    ("srtf", {"predict": "exp"}),
    ("mlfq", {"levels": 3, "quantum": "0.5,1,2", "boost": 2.5}),
    ("rr", {"quantum": 0.7}),
    ("rr", {"quantum": 0.1}),
    ("mlfq", {"levels": 2, "quantum": "0.1,0.3"}),
    ("stride", {"quantum": 0.5}),
]

configurations = st.one_of(policy_configurations(), st.sampled_from(EXTRA_CONFIGURATIONS))


BINARY_FRACTIONS = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0]
DECIMAL_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.7, 1.1]


@st.composite
def tied_float_workloads(draw: st.DrawFn) -> Workload:
    """Float workloads of a few distinct times.  With binary fractions sums are exact, so
    arrivals, slice ends and I/O completions coincide often; with decimal ones slices leave
    rounding slivers (0.4 - 0.1 - 0.1 - 0.1 = 0.10000000000000003)."""
    time = st.sampled_from(draw(st.sampled_from([BINARY_FRACTIONS, DECIMAL_FRACTIONS])))
    processes = []
    for index in range(draw(st.integers(1, 6))):
        bursts = [draw(time) for _ in range(draw(st.sampled_from([1, 1, 3, 5])))]
        processes.append(
            {
                "pid": f"P{index + 1}",
                "arrival": draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5])),
                "bursts": bursts,
                "priority": draw(st.integers(0, 3)),
                "tickets": draw(st.sampled_from([50, 100, 200])),
                "nice": draw(st.integers(-5, 5)),
            }
        )
    return Workload.from_processes(processes)


float_workloads = st.one_of(workloads(floats=True), tied_float_workloads())


CPU_COUNTS = st.sampled_from([1, 1, 2, 3])


@given(
    float_workloads,
    configurations,
    st.sampled_from([0, 0.5]),
    st.sampled_from(engine.TIES),
    st.booleans(),
    CPU_COUNTS,
)
def test_the_compiled_loop_gives_the_python_loops_trace(
    cengine, work, configuration, switch, ties, record, cpus
):
    """On 1, 2 and 3 CPUs (where preemption picks among running jobs, dispatch prefers a
    job's last CPU, and several CPUs release at one instant)."""
    name, options = configuration
    assert not work.is_integer
    results = outcomes(
        {
            loop: lambda loop=loop: engine.run(
                work,
                make_policy(name, **options),
                engine=loop,
                cpus=cpus,
                context_switch=switch,
                ties=ties,
                record_timeline=record,
                max_slices=SMALL_LIMIT,
            )
            for loop in ("c", "python")
        }
    )
    assert_same_outcome(results["c"], results["python"])


# -- hook calls and the state policies read ------------------------------------------------
# Hooks the engine calls whether overridden or not, and hooks it skips unless overridden.
ALWAYS_BOUND = ("on_ready", "pick_next", "on_expired", "on_preempted", "on_timer")
UNLESS_DEFAULT = ("time_slice", "on_burst_end", "next_timer", "slice_level", "preempt")


def instrumented(name: str, options: dict[str, Any], log: list[tuple[Any, ...]]) -> Policy:
    """A registered policy whose hooks (exactly those the engine calls) append to ``log``
    the call, its arguments, everything shared the hook could read, and its result."""
    policy = make_policy(name, **options)
    reset = policy.reset

    def logging_reset(jobs: Any, clock: Any, rng: Any) -> None:
        reset(jobs, clock, rng)

        def logged(hook_name: str, hook: Any) -> Any:
            def call(*args: Any) -> Any:
                seen = (
                    hook_name,
                    tuple(list(a) if isinstance(a, list) else a for a in args),
                    clock.now,
                    tuple(jobs.remaining),
                    tuple(jobs._running_since),
                    tuple(jobs._burst_number),
                )
                result = hook(*args)
                log.append((*seen, result))
                return result

            return call

        for hook_name in ALWAYS_BOUND + UNLESS_DEFAULT:
            hook = getattr(policy, hook_name)
            if not callable(hook):  # a fixed time slice
                continue
            if hook_name in UNLESS_DEFAULT and not overrides(policy, hook_name):
                continue
            setattr(policy, hook_name, logged(hook_name, hook))

    policy.reset = logging_reset  # type: ignore[method-assign]
    return policy


@given(
    float_workloads,
    configurations,
    st.sampled_from([0, 0.5]),
    st.sampled_from(engine.TIES),
    CPU_COUNTS,
)
def test_hooks_are_called_alike_and_see_the_same_state(
    cengine, work, configuration, switch, ties, cpus
):
    assert_same_hook_calls(work, configuration, switch, ties, cpus=cpus)


def assert_same_hook_calls(
    work: Workload, configuration: tuple[str, dict[str, Any]], switch: Any, ties: str, cpus: int
) -> None:
    """The compiled loop and the Python loop make the same hook calls, each seeing the same
    state, and end alike."""
    name, options = configuration
    python = "python"
    logs: dict[str, list[tuple[Any, ...]]] = {"c": [], python: []}
    results = outcomes(
        {
            loop: lambda loop=loop: engine.run(
                work,
                instrumented(name, options, logs[loop]),
                engine=loop,
                cpus=cpus,
                context_switch=switch,
                ties=ties,
                max_slices=SMALL_LIMIT,
            )
            for loop in logs
        }
    )
    assert logs["c"] == logs[python]
    assert_same_outcome(results["c"], results[python])


# -- broken policies -----------------------------------------------------------------------------
class Stubborn(Policy):
    """A broken policy: configurable misbehaviour (as in test_engine.py, plus more)."""

    name = "stubborn"

    def __init__(self, fault: str) -> None:
        super().__init__()
        self.fault = fault

    def reset(self, jobs: Any, clock: Any, rng: Any) -> None:
        super().reset(jobs, clock, rng)
        self.queue: deque[int] = deque()
        self.picked = 0

    def on_ready(self, job: int) -> None:
        if self.fault == "raises" and self.clock.now > 0:
            raise ValueError(f"no room for job {job}")
        self.queue.append(job)

    def pick_next(self) -> Any:
        self.picked += 1
        if self.fault == "twice" and self.picked == 2:
            return 0
        if self.fault == "future":
            return len(self.jobs) - 1
        if self.fault == "text":
            return "P1"
        if self.fault == "beyond":
            return 99
        if self.fault == "numpy":
            return np.int64(self.queue.popleft())
        return self.queue.popleft()

    def time_slice(self, job: int) -> Any:
        return {
            "zero": 0,
            "negative": -1.5,
            "nan": math.nan,
            "none": None,
            "huge": 10**400,
            "long": 10.0,
        }.get(self.fault, 1.0)

    def slice_level(self, job: int) -> Any:
        return {"level-float": 1.5, "level-huge": 40_000}.get(self.fault, -1)


class Forgetful(Stubborn):
    def on_ready(self, job: int) -> None:
        if job != 1:
            self.queue.append(job)


class BadPreempt(Stubborn):
    preemptive = True

    def time_slice(self, job: int) -> Any:
        return 10.0

    def preempt(self, running: Any) -> Any:
        if self.fault == "victim":
            return 99
        if self.fault in ("placed", "repick", "nobody"):  # whatever runs, even what it placed
            return running[0]
        return None

    def pick_next(self) -> Any:
        if self.fault == "nobody" and self.picked:
            self.picked += 1
            return None
        return super().pick_next()

    def on_preempted(self, job: int, ran: Any) -> None:
        if self.fault == "repick":  # so that it is picked again at once
            self.queue.appendleft(job)
        else:
            self.queue.append(job)


class BadTimer(Stubborn):
    def next_timer(self) -> Any:
        if self.fault == "timer-text":
            return "soon"
        return 0.5 if self.clock.now >= 1 else 2.0


def run_both(policy_class: type[Stubborn], fault: str, work: Workload, **kwargs: Any) -> str:
    """The one message both loops fail with (asserting they agree)."""
    messages = []
    for loop in ("c", "python"):
        with pytest.raises(SchedsimError) as error:
            engine.run(work, policy_class(fault), engine=loop, **kwargs)
        messages.append((type(error.value), str(error.value)))
    assert messages[0] == messages[1]
    return messages[0][1]


TWO = workload(("A", 0.0, 3.0), ("B", 0.0, 3.0))
LATE = workload(("A", 0.0, 3.0), ("B", 5.0, 3.0))
OVERLAP = workload(("A", 0.0, 3.0), ("B", 1.0, 3.0))


@pytest.mark.parametrize(
    ("policy_class", "fault", "work", "message"),
    [
        (Stubborn, "future", LATE, "policy 'stubborn' picked job 1 at time 0.0, but it has not"),
        (Stubborn, "zero", TWO, "gave job 0 a time slice of 0 at time 0.0; a slice must be > 0"),
        (Stubborn, "negative", TWO, "gave job 0 a time slice of -1.5 at time 0.0"),
        (Stubborn, "nan", TWO, "gave job 0 a time slice of nan at time 0.0"),
        (Stubborn, "none", TWO, "TypeError: '>' not supported between instances of 'NoneType'"),
        (Stubborn, "text", TWO, "picked job 'P1' at time 0.0, but it is not a job of this"),
        (Stubborn, "beyond", TWO, "picked job 99 at time 0.0, but it is not a job of this work"),
        (Stubborn, "raises", OVERLAP, "failed at time 1.0: ValueError: no room for job 1"),
        (Stubborn, "level-float", TWO, "'float' object cannot be interpreted as an integer"),
        (Stubborn, "level-huge", TWO, "signed short integer is greater than maximum"),
        (Forgetful, "ok", TWO, "'stubborn' failed at time 3.0: IndexError: pop from an empty"),
        (BadPreempt, "victim", OVERLAP, "asked to preempt job 99 at time 1.0, which is not"),
        (BadPreempt, "placed", OVERLAP, "job 1 at time 1.0, which it placed on a CPU at this"),
        (BadPreempt, "repick", OVERLAP, "preempted job 0 at time 1.0 and then picked it again"),
        (BadPreempt, "nobody", OVERLAP, "job 0 at time 1.0 and then picked no job for the CPU"),
        (BadTimer, "ok", TWO, "asked for a timer at 0.5, which is not after 1.0"),
        (BadTimer, "timer-text", TWO, "'<' not supported between instances of 'str' and 'float'"),
    ],
)
def test_a_broken_policy_fails_with_the_python_loops_message(
    cengine, policy_class, fault, work, message
):
    assert message in run_both(policy_class, fault, work)


def test_the_slice_limit_stops_both_loops_at_the_same_slice(cengine):
    message = run_both(
        Stubborn, "ok", workload(("A", 0.0, 1000.0), ("B", 0.0, 1000.0)), max_slices=100
    )
    assert message.startswith("the run exceeded 100 slices and timer events at time 99.0")


def test_timer_events_count_against_the_slice_limit_alike(cengine):
    class Ticking(Stubborn):
        def next_timer(self) -> float:
            return self.clock.now + 0.25

        def on_timer(self) -> bool:
            return self.fault == "reslice"

    # Timers every 0.25 and slices of 1: the 10th event is the timer at 2.0, or at 2.25
    # when every timer restarts the running slice (so fewer slices end by then).
    for fault, time in (("ok", "2.0"), ("reslice", "2.25")):
        message = run_both(Ticking, fault, TWO, max_slices=10)
        assert message.startswith(f"the run exceeded 10 slices and timer events at time {time};")


def test_a_rounding_sliver_is_run_with_the_slice_before_it(cengine):
    compiled, python = both(workload(("A", 0.0, 0.4)), "rr", {"quantum": 0.1})
    assert_same_trace(compiled, python)
    assert exact(compiled.slices) == [4]


def test_an_enormous_int_slice_runs_the_burst_to_its_end(cengine):
    """An int too large for a double still compares as the int does: it covers any burst."""
    compiled = engine.run(TWO, Stubborn("huge"), engine="c")
    python = engine.run(TWO, Stubborn("huge"), engine="python")
    assert_same_trace(compiled, python)
    assert exact(compiled.finish) == [3.0, 6.0]


def test_numpy_job_ids_are_accepted(cengine):
    assert_same_trace(
        engine.run(OVERLAP, Stubborn("numpy"), engine="c"),
        engine.run(OVERLAP, Stubborn("numpy"), engine="python"),
    )


def test_a_negative_job_id_is_not_taken_for_another_job(cengine):
    """Python list indexing would read id -1 as the last job; both loops refuse it."""

    class Negative(Stubborn):
        def pick_next(self) -> Any:
            return -1

    message = run_both(Negative, "ok", TWO)
    assert "picked job -1 at time 0.0, but it is not a job of this workload" in message


# -- which loop runs -------------------------------------------------------------------------
@pytest.fixture
def python_loop_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = engine.simulate

    def counting(*args: Any) -> Trace:
        calls.append("python")
        return original(*args)

    monkeypatch.setattr(engine, "simulate", counting)
    monkeypatch.delenv(engine.PURE_PYTHON, raising=False)
    return calls


FLOATS = workload(("A", 0.0, 2.5), ("B", 1.0, [1.5, 2.0, 1.0]))
INTEGERS = workload(("A", 0, 2), ("B", 1, [1, 2, 1]))


def test_auto_runs_float_workloads_compiled_and_integer_ones_in_python(cengine, python_loop_calls):
    engine.run(FLOATS, make_policy("rr", quantum=1))
    assert python_loop_calls == []
    trace = engine.run(INTEGERS, make_policy("rr", quantum=1))
    assert python_loop_calls == ["python"]
    assert all(type(finish) is int for finish in trace.finish)  # exact integer results


def test_the_environment_variable_keeps_auto_in_python(
    cengine, python_loop_calls, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(engine.PURE_PYTHON, "1")
    engine.run(FLOATS, make_policy("rr", quantum=1))
    assert python_loop_calls == ["python"]
    engine.run(FLOATS, make_policy("rr", quantum=1), engine="c")  # an explicit choice wins
    assert python_loop_calls == ["python"]


def test_asking_for_the_compiled_loop_without_it_is_an_option_error(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr(engine, "_cengine", None)
    with pytest.raises(OptionError, match=r"engine 'c': the compiled engine schedsim\._cengine"):
        engine.run(FLOATS, make_policy("fcfs"), engine="c")
    assert_same_trace(
        engine.run(FLOATS, make_policy("rr", quantum=1)),
        engine.run(FLOATS, make_policy("rr", quantum=1), engine="python"),
    )


# -- a large run -----------------------------------------------------------------------------
def poisson_workload(size: int, seed: int) -> Workload:
    """Poisson arrivals at load 0.9 with exponential bursts (mean 10), as the benchmark."""
    rng = np.random.default_rng(seed)
    return Workload(
        pid=[f"P{i}" for i in range(size)],
        arrival=np.cumsum(rng.exponential(1 / 0.09, size)),
        burst_offsets=np.arange(size + 1, dtype=np.int64),
        burst_values=rng.exponential(10.0, size),
        priority=np.zeros(size, dtype=np.int64),
        tickets=np.full(size, 100, dtype=np.int64),
        nice=np.zeros(size, dtype=np.int64),
        name=f"poisson-{size}",
    )


@pytest.mark.parametrize(
    ("name", "options"),
    [("rr", {"quantum": 1}), ("mlfq", {"levels": 3, "quantum": "1,2,4"}), ("srtf", {})],
)
def test_a_hundred_thousand_jobs_finish_alike(cengine, name, options):
    work = poisson_workload(100_000, seed=7)
    compiled, python = both(work, name, options, record_timeline=False)
    assert exact(compiled.finish) == exact(python.finish)
    assert exact(compiled.slices) == exact(python.slices)
    assert np.mean(compiled.finish) == np.mean(python.finish)
    assert sum(compiled.slices) > len(work)  # preemptions or expiries really happened


def test_slice_limit_error_is_a_limit_error(cengine):
    with pytest.raises(LimitError):
        engine.run(FLOATS, make_policy("rr", quantum=0.5), engine="c", max_slices=3)


# -- several CPUs ----------------------------------------------------------------------------------
def run_general_both(
    work: Workload, make: Any, cpus: int, **kwargs: Any
) -> dict[str, Trace | tuple[type, str]]:
    return outcomes(
        {
            loop: lambda loop=loop: engine.run(work, make(), engine=loop, cpus=cpus, **kwargs)
            for loop in ("c", "python")
        }
    )


THREE = workload(("A", 0.0, 3.0), ("B", 0.0, 3.0), ("C", 1.0, 3.0))


@pytest.mark.parametrize(
    ("policy_class", "fault", "message"),
    [
        (Stubborn, "future", "picked job 2 at time 0.0, but it has not arrived"),
        (Stubborn, "zero", "gave job 0 a time slice of 0 at time 0.0; a slice must be > 0"),
        (Stubborn, "nan", "gave job 0 a time slice of nan at time 0.0"),
        (Stubborn, "none", "TypeError: '>' not supported between instances of 'NoneType'"),
        (Stubborn, "text", "picked job 'P1' at time 0.0, but it is not a job of this workload"),
        (Stubborn, "beyond", "picked job 99 at time 0.0, but it is not a job of this workload"),
        (Stubborn, "twice", "picked job 0 at time 0.0, but it is already running"),
        (Stubborn, "raises", "failed at time 1.0: ValueError: no room for job 2"),
        (Stubborn, "level-float", "'float' object cannot be interpreted as an integer"),
        (Forgetful, "ok", "IndexError: pop from an empty deque"),
        (BadPreempt, "victim", "asked to preempt job 99 at time 1.0, which is not running"),
        (BadPreempt, "placed", "at time 1.0, which it placed on a CPU at this same instant"),
        (BadPreempt, "repick", "preempted job 0 at time 1.0 and then picked it again"),
        (BadTimer, "ok", "asked for a timer at 0.5, which is not after 1.0"),
        (BadTimer, "timer-text", "'<' not supported between instances of 'str' and 'float'"),
    ],
)
def test_a_broken_policy_fails_alike_on_two_cpus(cengine, policy_class, fault, message):
    results = run_general_both(THREE, lambda: policy_class(fault), 2)
    assert results["c"] == results["python"]
    assert isinstance(results["c"], tuple) and message in results["c"][1]


def test_numpy_job_ids_and_numpy_victims_are_accepted_on_two_cpus(cengine):
    class NumpyPreempt(BadPreempt):
        def preempt(self, running: Any) -> Any:
            if self.clock.now != 1.0 or getattr(self, "preempted", False):
                return None
            self.preempted = True  # once: then it would be the job just placed
            return np.int64(running[-1])

    results = run_general_both(THREE, lambda: NumpyPreempt("numpy"), 2, record_timeline=True)
    assert isinstance(results["c"], Trace)
    assert_same_outcome(results["c"], results["python"])


@pytest.mark.parametrize(
    ("name", "options"),
    [("rr", {"quantum": 1}), ("mlfq", {"levels": 3, "quantum": "1,2,4"}), ("srtf", {})],
)
def test_a_hundred_thousand_jobs_on_four_cpus_finish_alike(cengine, name, options):
    work = poisson_workload(100_000, seed=7)
    compiled = engine.run(work, make_policy(name, **options), engine="c", cpus=4)
    python = engine.run(work, make_policy(name, **options), engine="python", cpus=4)
    assert_same_trace(compiled, python)
    assert compiled.timeline is not None and len(compiled.timeline) > len(work)


def test_auto_runs_multi_cpu_float_workloads_compiled(cengine, python_loop_calls, monkeypatch):
    engine.run(FLOATS, make_policy("rr", quantum=1), cpus=2)
    assert python_loop_calls == []
    engine.run(INTEGERS, make_policy("rr", quantum=1), cpus=2)  # exact ints: Python
    assert python_loop_calls == ["python"]
    monkeypatch.setenv(engine.PURE_PYTHON, "1")
    engine.run(FLOATS, make_policy("rr", quantum=1), cpus=2)
    assert python_loop_calls == ["python", "python"]


def test_a_small_float_csv_runs_compiled(cengine, tmp_path):
    """The numpy CSV path hands over columns of one parsed block (strided views); the
    workload makes them contiguous, so the compiled loops, which read the arrays in place,
    take them (a CLI run of such a file once failed with 'ndarray is not C-contiguous')."""
    from schedsim.loaders import load_workload

    path = tmp_path / "small.csv"
    path.write_text("pid,arrival,burst,priority\nA,0.5,3.25,1\nB,1.0,2.5,0\nC,1.0,0.75,2\n")
    work = load_workload(path)
    assert all(getattr(work, name).flags["C_CONTIGUOUS"] for name in ("arrival", "burst_values"))
    for cpus in (1, 2):
        compiled = engine.run(work, make_policy("rr", quantum=1), engine="c", cpus=cpus)
        assert_same_trace(
            compiled, engine.run(work, make_policy("rr", quantum=1), engine="python", cpus=cpus)
        )
    strided = np.arange(6.0)[::2]
    assert Workload(
        pid=["A", "B", "C"],
        arrival=strided,
        burst_offsets=np.arange(4),
        burst_values=strided + 1,
        priority=np.zeros(3, dtype=np.int64),
        tickets=np.full(3, 100),
        nice=np.zeros(3, dtype=np.int64),
    ).arrival.flags["C_CONTIGUOUS"]
