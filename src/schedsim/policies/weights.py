"""Load weights from nice values: the Linux kernel's table, shared by ``fair`` and ``eevdf``.

``sched_prio_to_weight`` in ``kernel/sched/core.c`` maps nice -20..19 to a weight; nice 0
is 1024 and each step is about 1.25x, so one nice level is about 10% of CPU between two
competing processes.  Both of schedsim's Linux models charge virtual time as
``ran × 1024 / weight``.
"""

from __future__ import annotations

from schedsim.errors import WorkloadError
from schedsim.policies.base import JobsView

NICE_0_WEIGHT = 1024
NICE_MIN, NICE_MAX = -20, 19

# Linux kernel/sched/core.c, sched_prio_to_weight[40]: the weight of nice -20 ... 19.
NICE_TO_WEIGHT = (
    # -20
    88761, 71755, 56483, 46273, 36291,
    # -15
    29154, 23254, 18705, 14949, 11916,
    # -10
    9548, 7620, 6100, 4904, 3906,
    # -5
    3121, 2501, 1991, 1586, 1277,
    # 0
    1024, 820, 655, 526, 423,
    # 5
    335, 272, 215, 172, 137,
    # 10
    110, 87, 70, 56, 45,
    # 15
    36, 29, 23, 18, 15,
)  # fmt: skip


def nice_to_weight(nice: int) -> int:
    """The kernel's load weight of a nice value (-20..19)."""
    return NICE_TO_WEIGHT[nice - NICE_MIN]


def job_weights(jobs: JobsView, policy: str) -> list[int]:
    """Every job's weight, or a WorkloadError naming each process whose nice is out of range
    (a workload built in Python skips the loaders' checks)."""
    bad = [
        f"process #{job + 1} (pid {jobs.pid[job]}): nice: must be in {NICE_MIN}..{NICE_MAX} "
        f"for policy {policy!r}, got {nice}"
        for job, nice in enumerate(jobs.nice)
        if not NICE_MIN <= nice <= NICE_MAX
    ]
    if bad:
        raise WorkloadError(bad)
    return [nice_to_weight(int(nice)) for nice in jobs.nice]
