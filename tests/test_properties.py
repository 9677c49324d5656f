"""Properties every policy must have, on random workloads full of simultaneous events."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from schedsim import engine, simulate
from schedsim.policies import REGISTRY, make_policy
from tests.helpers import exact
from tests.invariants import check_schedule, finish_times
from tests.strategies import policy_configurations, workloads


@given(
    workloads(),
    policy_configurations(),
    st.integers(1, 3),
    st.sampled_from([0, 0, 1]),
    st.sampled_from(engine.TIES),
)
def test_every_policy_produces_a_valid_schedule(workload, configuration, cpus, switch, ties):
    name, options = configuration
    result = simulate(workload, name, cpus=cpus, context_switch=switch, ties=ties, **options)
    check_schedule(workload, result, cpus)


@given(workloads(), policy_configurations(), st.integers(0, 3))
def test_same_inputs_same_output(workload, configuration, seed):
    name, options = configuration
    first = simulate(workload, name, seed=seed, cpus=2, **options).to_json()
    second = simulate(workload, name, seed=seed, cpus=2, **options).to_json()
    assert first == second


@given(
    workloads(),
    policy_configurations(),
    st.sampled_from([0, 0.0, 1, 0.5]),
    st.sampled_from(engine.TIES),
)
def test_the_fixed_order_pass_matches_the_event_loop(workload, configuration, switch, ties):
    """The fixed-order pass (FCFS on one CPU without I/O) is an optimisation only: identical
    traces, bit for bit; other policies run the same loop either way."""
    name, options = configuration
    kwargs = {"context_switch": switch, "ties": ties}
    fast = engine.run(workload, make_policy(name, **options), engine="auto", **kwargs)
    general = engine.run(workload, make_policy(name, **options), engine="python", **kwargs)
    for name in ("finish", "first_run", "switch_time", "slices"):
        assert exact(getattr(fast, name)) == exact(getattr(general, name)), name
    assert fast.context_switches == general.context_switches
    assert fast.timeline is not None and general.timeline is not None
    assert fast.timeline.arrays().keys() == general.timeline.arrays().keys()
    for name_, column in fast.timeline.arrays().items():
        assert column.tolist() == general.timeline.arrays()[name_].tolist(), name_


@given(workloads(), st.integers(1, 3))
def test_rr_with_a_quantum_longer_than_every_burst_is_fcfs(workload, cpus):
    longest = max(workload.burst_values.tolist())
    rr = simulate(workload, "rr", quantum=longest, cpus=cpus)
    fcfs = simulate(workload, "fcfs", cpus=cpus)
    assert finish_times(rr) == finish_times(fcfs)


@given(workloads(io=False), st.integers(1, 4), st.integers(1, 2))
def test_mlfq_with_one_level_is_rr(workload, quantum, cpus):
    mlfq = simulate(workload, "mlfq", levels=1, quantum=quantum, cpus=cpus)
    rr = simulate(workload, "rr", quantum=quantum, cpus=cpus)
    assert finish_times(mlfq) == finish_times(rr)


@given(workloads(io=False, same_arrival=True))
def test_srtf_with_all_arrivals_at_zero_is_sjf(workload):
    assert finish_times(simulate(workload, "srtf")) == finish_times(simulate(workload, "sjf"))


@given(workloads(max_processes=5), policy_configurations())
def test_with_a_cpu_per_process_nobody_waits(workload, configuration):
    """... unless the policy lets fewer jobs run at once (the GIL, an event loop): then the
    schedule is the one it gives on that many CPUs."""
    name, options = configuration
    result = simulate(workload, name, cpus=len(workload), **options)
    limit = REGISTRY[name].max_running
    if limit is None:
        assert all(abs(waiting) < 1e-9 for waiting in result.jobs["waiting"].tolist())
    else:
        fewer = simulate(workload, name, cpus=min(limit, len(workload)), **options)
        assert finish_times(result) == finish_times(fewer)
        assert result.summary["context_switches"] == fewer.summary["context_switches"]


@given(workloads(max_processes=6, io=False, same_arrival=True))
def test_sjf_minimises_average_waiting_of_jobs_arriving_together(workload):
    """Brute force: no order of the jobs gives a smaller total waiting than SJF."""
    bursts = workload.burst_values.tolist()
    sjf_total = sum(simulate(workload, "sjf").jobs["waiting"].tolist())
    best = min(
        sum(sum(bursts[j] for j in order[:position]) for position in range(len(order)))
        for order in itertools.permutations(range(len(bursts)))
    )
    assert abs(sjf_total - best) < 1e-6


@given(workloads(max_processes=5, io=False), policy_configurations())
def test_srtf_minimises_average_turnaround_on_one_cpu(workload, configuration):
    """SRTF's total turnaround is no larger than any other policy's, nor than any
    non-preemptive order's."""
    srtf = sum(simulate(workload, "srtf").jobs["turnaround"].tolist())
    name, options = configuration
    other = sum(simulate(workload, name, **options).jobs["turnaround"].tolist())
    assert srtf <= other + 1e-6
    arrivals = workload.arrival.tolist()
    bursts = workload.burst_values.tolist()
    for order in itertools.permutations(range(len(bursts))):
        clock, total = 0.0, 0.0
        for job in order:
            clock = max(clock, arrivals[job]) + bursts[job]
            total += clock - arrivals[job]
        assert srtf <= total + 1e-6
