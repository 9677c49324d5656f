"""Real execution: the same policies driving real worker processes, beside the simulation.

``schedsim measure`` (and :func:`measure`) runs a workload for real — one worker process per
workload process, burning real CPU and sleeping through real I/O — and lays the measured
schedule beside the simulated one.

Modules
=======

:mod:`~schedsim.real.plan`        the time unit, the cores, the limits — checked up front
:mod:`~schedsim.real.dispatcher`  dispatch mode: our policy decides, against the wall clock
:mod:`~schedsim.real.kernel`      kernel mode: Linux decides; we release and watch
:mod:`~schedsim.real.worker`      the body of a worker process
:mod:`~schedsim.real.safety`      no worker outlives its run (PR_SET_PDEATHSIG, reaping)
:mod:`~schedsim.real.compare`     simulated vs measured: table, JSON, Gantt pair
:mod:`~schedsim.real.measure`     the entry point tying these together

The multiprocessing building blocks, and the job each one does
==============================================================

``Process`` / ``join``
    One worker per workload process, started (and pinned to a core) before time zero so
    that start-up is not measured.  Every worker is joined when the run ends, however it
    ends — normally, by an error, or by Ctrl-C — in a ``finally`` block.
daemon processes
    Workers are ``daemon=True``: should anything escape the ``finally`` block,
    :mod:`multiprocessing` kills and joins them when the parent exits.  (Against a parent
    killed by SIGKILL, which runs no Python code at all, each worker asks the kernel for
    ``PR_SET_PDEATHSIG``; see :mod:`~schedsim.real.safety`.)
``Pipe``
    One duplex pipe per worker: the parent sends ``go`` (start your next CPU burst),
    ``continue`` (cooperative mode: a paused worker may run again) and ``quit``; the
    worker reports every transition with a ``time.monotonic()`` timestamp (started,
    resumed, burst done with the CPU it used, I/O done, statistics).  A pipe and not a
    ``Queue``: a queue's feeder thread would put a second thread in every worker, and a
    pipe per worker lets the parent wait on all of them, and on their process sentinels,
    in one ``select``.
``RawValue`` (a byte of shared memory, no lock)
    Cooperative preemption: each worker has one, set while it may run.  The worker looks at
    it between short chunks of work; the dispatcher clears it to take the CPU away, and sets
    it and sends ``continue`` to give it back.  Not an ``Event``: the parent must never take
    a lock a worker may hold, since a worker killed while holding one (an ``Event``'s
    ``Condition`` lock, or its count of sleepers that ``set`` waits to wake) would block the
    parent for ever; the parent only writes the byte and sends on the pipe.
``Semaphore`` (the counting form of ``Lock``)
    Cooperative preemption: sized to the number of CPUs; a worker holds a slot while it
    runs and takes it without blocking — failing to get one means more workers are running
    than there are CPUs, a dispatcher bug, reported as an error rather than measured.  With
    one CPU it is exactly a ``Lock`` around "being on the CPU".
signals (SIGSTOP / SIGCONT)
    The default preemption on POSIX: the kernel freezes a worker wherever it is, without
    its cooperation, like a real scheduler's preemption.  A worker counts its burst in its
    *own* CPU time, so stopped time does not count.
"""

from __future__ import annotations

from schedsim.real.compare import MeasuredComparison, compare_measured, render_comparison
from schedsim.real.measure import MODES, PREEMPTIONS, Measurement, measure
from schedsim.real.plan import parse_unit

__all__ = [
    "MODES",
    "PREEMPTIONS",
    "MeasuredComparison",
    "Measurement",
    "compare_measured",
    "measure",
    "parse_unit",
    "render_comparison",
]
