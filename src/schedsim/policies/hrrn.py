"""Highest response ratio next (Brinch Hansen; Stallings, *Operating Systems: Internals and
Design Principles*, §9.2).

SJF favours short jobs so strongly that a long one can starve.  HRRN picks, whenever a CPU
frees up, the ready job with the highest response ratio

    ratio = (waiting + burst) / burst

where ``waiting`` is how long the job has been ready (since it arrived or came back from
I/O) and ``burst`` is its next CPU burst.  A short job starts with a high ratio, and a long
job's ratio keeps growing while it waits, so it cannot wait forever.  Non-preemptive.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from schedsim.clock import Clock
from schedsim.formatting import fmt
from schedsim.policies.base import JobsView, Policy, Time

INF = math.inf


class HRRN(Policy):
    """Highest (waiting + burst) / burst first; ties go to the job ready earlier, then to
    file order.

    Ratios are compared by cross-multiplying (``w1·b2`` vs ``w2·b1``), so integer workloads
    tie exactly instead of through rounded divisions.  The ready jobs live in a
    :class:`RatioTournament`, so a pick costs O(log n) rather than a scan of every ready job.
    """

    name = "hrrn"
    title = "highest response ratio next, non-preemptive"

    def reset(self, jobs: JobsView, clock: Clock, rng: np.random.Generator) -> None:
        super().reset(jobs, clock, rng)
        self.ready = RatioTournament()

    def on_ready(self, job: int) -> None:
        self.ready.add(job, self.clock.now, self.jobs.remaining[job])

    def on_removed(self, job: int) -> None:
        self.ready.remove(job, self.clock.now)

    def explain_ready(self) -> str:
        """Every ready job's ratio now (kept for the picks of this instant, which do not
        change them)."""
        now = self.clock.now
        remaining = self.jobs.remaining
        self.explained = {
            job: (now - since, remaining[job]) for job, since in self._waiting_since().items()
        }
        ordered = sorted(self.explained.items(), key=lambda item: _ratio_key(*item[1]))
        shown = ", ".join(f"{self.pid(job)} {_ratio(*pair)}" for job, pair in ordered)
        return f"response ratios: {shown or '-'}"

    def _waiting_since(self) -> dict[int, Time]:
        """Each ready job and the time it became ready."""
        return self.ready.since

    def explain_pick(self, job: int) -> str:
        waiting, burst = getattr(self, "explained", {}).get(job, (0, 1))
        return f"highest response ratio (waiting + burst) / burst = {_ratio(waiting, burst)}"

    def pick_next(self) -> int:
        return self.ready.pop_best(self.clock.now)


class RatioTournament:
    """The ready jobs of HRRN, best response ratio first, at a clock that only moves forward.

    A job's ratio minus one, ``(now - since) / burst``, is a straight line in ``now`` with
    slope ``1 / burst``: which of two jobs leads changes as time passes, but at most once
    (the one with the shorter burst overtakes the other for good), so no heap on a fixed key
    stays valid.  A *kinetic tournament* does: a complete binary tree over the jobs' slots
    whose every node holds the better of its two children's winners at the current time,
    and a *certificate* -- the earliest time at which the loser could overtake the winner.
    Before answering at time ``now`` the tree re-plays only the nodes whose certificate has
    come due (a heap of certificates finds them), bottom up; adding and removing a job
    replays one leaf-to-root path.  Each costs O(log n) comparisons, and each pair of jobs
    changes its order at most once, so a whole run costs O(n log² n) instead of the O(n²)
    of a scan.

    Every comparison is the one a scan would make -- ``waiting_a * burst_b`` against
    ``waiting_b * burst_a`` in the run's own arithmetic, ties to the job ready earlier, then
    to the lower job id -- so the winner is the job a scan of the ready jobs would pick.
    A certificate is only a hint of when to look again: it is computed on the safe side
    (early), and a node whose order has not yet changed when it is looked at is looked at
    again once the clock has moved on; a certificate that came late would leave a stale
    winner, so the margin is generous (see :meth:`_certificate`).
    """

    def __init__(self) -> None:
        self.since: dict[int, Time] = {}
        self.burst: dict[int, Time] = {}
        self.slot_of: dict[int, int] = {}
        self.size = 2  # leaves (slots); the tree's nodes are 1 .. 2*size-1
        self.free: list[int] = [1, 0]  # the lowest free slot last
        self.winner: list[int] = [-1] * 4
        self.version: list[int] = [0] * 4
        self.due: list[tuple[float, int, int]] = []  # (certificate, node, version)
        self.now: Time = 0

    def __len__(self) -> int:
        return len(self.slot_of)

    # -- the comparison a scan makes ------------------------------------------------------------
    def _beats(self, first: int, second: int) -> bool:
        """Whether ``first`` has the higher ratio at ``self.now`` (ties: ready earlier, then
        the lower job id)."""
        now = self.now
        since_first, since_second = self.since[first], self.since[second]
        left = (now - since_first) * self.burst[second]
        right = (now - since_second) * self.burst[first]
        return left > right or (left == right and (since_first, first) < (since_second, second))

    def _certificate(self, winner: int, loser: int) -> float:
        """A time no later than the first at which ``loser`` may beat ``winner``.

        Only a loser with a shorter burst gains on the winner; the lines cross at
        ``t* = (since_l·b_w − since_w·b_l) / (b_w − b_l)``.  Rounding in the comparison can
        move the crossing by about ``4·ε·(|t*| + max since)·max(b) / (b_w − b_l)``; the
        certificate is ``t*`` less eight times that, and never later than the crossing
        computed here (a node looked at too early is simply looked at again)."""
        burst_winner, burst_loser = self.burst[winner], self.burst[loser]
        if not burst_loser < burst_winner:
            return INF  # equal or slower growth: the order never changes
        since_winner, since_loser = float(self.since[winner]), float(self.since[loser])
        gap = float(burst_winner) - float(burst_loser)
        crossing = (since_loser * float(burst_winner) - since_winner * float(burst_loser)) / gap
        scale = abs(crossing) + abs(since_winner) + abs(since_loser) + 1.0
        margin = 32 * 2.220446049250313e-16 * scale * float(burst_winner) / gap
        return crossing - margin

    # -- the tree ---------------------------------------------------------------------------------
    def _replay(self, node: int) -> bool:
        """Recompute ``node`` from its children; True when its winner changed."""
        left, right = self.winner[2 * node], self.winner[2 * node + 1]
        if left < 0 or right < 0:
            best, certificate = (right if left < 0 else left), INF
        elif self._beats(left, right):
            best, certificate = left, self._certificate(left, right)
        else:
            best, certificate = right, self._certificate(right, left)
        self.version[node] += 1
        if certificate <= self.now:  # due already, yet unchanged: look again when time moves
            certificate = _after(self.now)
        if certificate < INF:
            heapq.heappush(self.due, (certificate, node, self.version[node]))
        changed = best != self.winner[node]
        self.winner[node] = best
        return changed

    def _climb(self, node: int) -> None:
        """Replay ``node`` and its ancestors, stopping where nothing changes above."""
        while node >= 1:
            changed = self._replay(node)
            if not changed and node != 1:
                # the winner stayed; the ancestors' comparisons are unchanged
                return
            node //= 2

    def _grow(self) -> None:
        """Double the number of slots, keeping every job in its slot."""
        old_size, old_winner = self.size, self.winner
        self.size *= 2
        self.winner = [-1] * (2 * self.size)
        self.version = [0] * (2 * self.size)
        self.due = []
        for slot in range(old_size):
            self.winner[self.size + slot] = old_winner[old_size + slot]
        self.free.extend(range(self.size - 1, old_size - 1, -1))
        for node in range(self.size - 1, 0, -1):
            self._replay(node)

    def _advance(self, now: Time) -> None:
        """Bring every node up to date at ``now``: replay, deepest first, each node whose
        certificate has come due."""
        self.now = now
        due = self.due
        stale: list[int] = []
        while due and due[0][0] <= now:
            _, node, version = heapq.heappop(due)
            if version == self.version[node]:
                stale.append(node)
        for node in sorted(stale, reverse=True):  # a deeper node has a larger number
            self._climb(node)
        if len(due) > 8 * self.size:  # drop superseded certificates
            self.due = [entry for entry in due if entry[2] == self.version[entry[1]]]
            heapq.heapify(self.due)

    # -- what HRRN asks --------------------------------------------------------------------------
    def add(self, job: int, now: Time, burst: Time) -> None:
        """``job`` became ready at ``now`` with ``burst`` to run."""
        self._advance(now)
        if not self.free:
            self._grow()
        slot = self.free.pop()
        self.since[job] = now
        self.burst[job] = burst
        self.slot_of[job] = slot
        self.winner[self.size + slot] = job
        self._climb((self.size + slot) // 2)

    def pop_best(self, now: Time) -> int:
        """Remove and return the job with the highest ratio at ``now``."""
        self._advance(now)
        job = self.winner[1]
        self.remove(job, now)
        return job

    def remove(self, job: int, now: Time) -> None:
        """Take ``job`` out (it was picked, or left the system without running)."""
        self._advance(now)
        slot = self.slot_of.pop(job)
        self.winner[self.size + slot] = -1
        self.free.append(slot)
        del self.since[job], self.burst[job]
        self._climb((self.size + slot) // 2)


def _after(now: Time) -> float:
    """The smallest float later than ``now`` (an int ``now`` may round down as a float)."""
    later = float(now)
    while later <= now:
        later = math.nextafter(later, INF)
    return later


def _ratio(waiting: Time, burst: Time) -> str:
    """``(4 + 3) / 3 = 2.333`` for an explanation."""
    if burst <= 0:  # a script that starts with steps: no CPU before them
        return f"({fmt(waiting)} + 0) / 0: steps first"
    return f"({fmt(waiting)} + {fmt(burst)}) / {fmt(burst)} = {fmt((waiting + burst) / burst)}"


def _ratio_key(waiting: Time, burst: Time) -> float:
    return -float("inf") if burst <= 0 else -(waiting + burst) / burst
