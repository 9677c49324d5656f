"""Why the scheduler did what it did: a run explained instant by instant, from the engine's
own events.

An :class:`Explainer` is an observer of :class:`~schedsim.core.Scheduler`: the scheduler
tells it, as they happen, that jobs left a CPU, became ready, were preempted or dispatched,
and that a timer fired; before each decision it asks the policy to describe its ready
structure, and after each pick, preemption or change of level the policy's reason
(``Policy.explain_*`` hooks).  Nothing is simulated twice: the explanation is a record of the
run that produced the result.  Observing needs the Python event loop, which the engine then
uses (``engine.run`` chooses it whenever an observer is attached).

Each instant becomes an :class:`Instant`: what happened (arrivals, I/O completions, slices
ending), the ready structure before the decision, and the decisions with their reasons.
:func:`explain_text` lays them out as a worked solution; :meth:`Explainer.records` as plain
data (``run --explain --format json``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schedsim.core import DONE, ENDED, READY
from schedsim.errors import LimitError
from schedsim.formatting import fmt
from schedsim.limits import MAX_EXPLAIN_INSTANTS
from schedsim.policies.base import overrides
from schedsim.program import CPU as CPU_STEP
from schedsim.program import IO as IO_STEP

if TYPE_CHECKING:
    from schedsim.core import Scheduler
    from schedsim.policies.base import Policy
    from schedsim.result import Result


@dataclass
class Event:
    """Something that happened or was decided at an instant."""

    kind: str  # arrival, io-done, finished, blocked, expired, timer, preempt, run, level, missed
    pid: str | None = None
    text: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.pid is not None:
            out["pid"] = self.pid
        out.update(self.data)
        if self.text:
            out["reason"] = self.text
        return out


DECISIONS = ("run", "preempt")
SNAPSHOTS = ("ready", "running")


@dataclass
class Instant:
    """One instant of the run: in the order they happened, its events, snapshots of the
    ready structure and of the CPUs taken before each decision, and the decisions."""

    time: Any
    log: list[Event] = field(default_factory=list)

    @property
    def events(self) -> list[Event]:
        return [entry for entry in self.log if entry.kind not in (*DECISIONS, *SNAPSHOTS)]

    @property
    def decisions(self) -> list[Event]:
        return [entry for entry in self.log if entry.kind in DECISIONS]

    @property
    def ready(self) -> str | None:
        """The ready structure before the instant's first decision."""
        return next((entry.text for entry in self.log if entry.kind == "ready"), None)

    @property
    def running(self) -> list[dict[str, Any]]:
        """Who held a CPU, and until when, before the instant's first decision."""
        found = next((entry for entry in self.log if entry.kind == "running"), None)
        return list(found.data["jobs"]) if found is not None else []

    def record(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "events": [event.record() for event in self.events],
            "running": self.running,
            "ready": self.ready,
            "decisions": [decision.record() for decision in self.decisions],
        }


class Explainer:
    """The observer: attach it with ``engine.run(..., observer=Explainer())``."""

    def __init__(self, max_instants: int = MAX_EXPLAIN_INSTANTS) -> None:
        self.instants: list[Instant] = []
        self.max_instants = max_instants
        self.scheduler: Scheduler | None = None
        self.policy: Policy | None = None
        self.levels: dict[int, int] = {}
        self.has_levels = False
        self.woken_for: dict[int, str] = {}  # jobs a resource woke at this instant

    # -- called by the scheduler ----------------------------------------------------------------
    def attach(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.policy = scheduler.policy
        self.has_levels = overrides(scheduler.policy, "slice_level")

    def burst_ended(self, cpu: int, job: int, t: Any, io: Any) -> None:
        if io is None:
            self._event(t, Event("finished", self._pid(job), data={"cpu": cpu}))
        else:
            event = Event("blocked", self._pid(job), data={"cpu": cpu, "io": io})
            self._event(t, event)
            self._level_check(t, job)

    def expired(self, cpu: int, job: int, t: Any) -> None:
        scheduler = self._scheduler()
        data = {"cpu": cpu, "slice": scheduler.cpu_slice[cpu], "left": scheduler.remaining[job]}
        self._event(t, Event("expired", self._pid(job), data=data))

    def became_ready(
        self, t: Any, arrivals: Sequence[int], completions: Sequence[int], requeued: Sequence[int]
    ) -> None:
        for job in arrivals:
            self._event(t, Event("arrival", self._pid(job)))
        for job in completions:
            got = self.woken_for.pop(job, None)
            if got is None:
                self._event(t, Event("io-done", self._pid(job)))
            else:
                self._event(t, Event("woken", self._pid(job), got))
        for job in requeued:
            self._level_check(t, job)

    # -- processes that synchronise (schedsim.scripted) -----------------------------------------
    def stepped(self, cpu: int, job: int, t: Any, first: int, outcome: int, io: Any) -> None:
        """``job`` reached the end of a ``cpu`` step and performed the steps from ``first``:
        each is an event, then what it does next (runs on, I/O, waits, finishes)."""
        from schedsim.scripted import FINISHES, STARTS_IO, WAITS

        scheduler: Any = self._scheduler()
        pid = self._pid(job)
        script = scheduler.scripts[job]
        last = scheduler.pc[job]
        for step in script[first:last]:
            if step.kind in (CPU_STEP, IO_STEP):
                continue
            self._event(t, Event("step", pid, self._step_text(step), {"cpu": cpu}))
        if outcome == STARTS_IO:
            self._event(t, Event("blocked", pid, data={"cpu": cpu, "io": io}))
            self._level_check(t, job)
        elif outcome == WAITS:
            waited = self._step_text(script[last])
            alive = [state not in (DONE, ENDED) for state in scheduler.status]
            holders = [self._pid(other) for other in scheduler.sync.waits_on(job, alive)]
            text = f"{waited}" + (f" (it depends on {', '.join(holders)})" if holders else "")
            self._event(t, Event("wait", pid, text, {"cpu": cpu}))
            self._level_check(t, job)
        elif outcome == FINISHES:
            self._event(t, Event("finished", pid, data={"cpu": cpu}))

    def woken(self, jobs: Sequence[int]) -> None:
        scheduler: Any = self._scheduler()
        for job in jobs:
            step = scheduler.scripts[job][scheduler.pc[job]]
            self.woken_for[job] = f"its {self._step_text(step)} went through"

    def priority_changed(self, job: int, priority: int) -> None:
        scheduler: Any = self._scheduler()
        static = scheduler.sync.static[job]
        why = "its own" if priority == static else f"its own is {static}"
        self._event(
            self._now(),
            Event("priority", self._pid(job), f"effective priority {priority} ({why})"),
        )

    def ended(self, job: int, t: Any) -> None:
        self._event(t, Event("ended", self._pid(job), "a daemon whose parent finished"))

    def deadline_missed(self, job: int, t: Any, stopped: bool) -> None:
        what = "the run stops here (--on-miss stop)" if stopped else "ended (--on-miss abort-job)"
        self._event(t, Event("missed", self._pid(job), f"its deadline passed: {what}"))

    def deadlocked(self, t: Any, deadlock: Any) -> None:
        self._event(t, Event("deadlock", None, deadlock.describe()))

    def _step_text(self, step: Any) -> str:
        from schedsim.program import JOIN, STEP_NAMES

        scheduler: Any = self._scheduler()
        name = STEP_NAMES[step.kind]
        if step.kind == JOIN:
            return f"join {self._pid(int(step.value))}"
        return f"{name} {scheduler.program.resources.name_of(step)}"

    def _now(self) -> Any:
        return self._scheduler().clock.now

    def timer_fired(self, t: Any, resliced: bool) -> None:
        policy = self._policy()
        self._event(t, Event("timer", None, policy.explain_timer(), {"resliced": resliced}))
        if self.has_levels:
            for job in list(self.levels):
                self.levels[job] = policy.slice_level(job)

    def deciding(self, t: Any) -> None:
        """Before a decision: who holds a CPU until when (the first time at an instant),
        and the ready structure."""
        instant = self._instant(t)
        scheduler = self._scheduler()
        if not any(entry.kind in SNAPSHOTS for entry in instant.log):
            running = [
                {"cpu": cpu, "pid": self._pid(job), "until": scheduler.cpu_end[cpu]}
                for cpu, job in enumerate(scheduler.cpu_job)
                if job >= 0
            ]
            if running:
                instant.log.append(Event("running", data={"jobs": running}))
        instant.log.append(Event("ready", text=self._ready_text() or ""))

    def preempted(self, cpu: int, victim: int, job: int, t: Any) -> None:
        policy = self._policy()
        self._level_check(t, victim)
        reason = policy.explain_preempt(victim, job)
        self._instant(t).log.append(
            Event("preempt", self._pid(victim), reason, {"cpu": cpu, "by": self._pid(job)})
        )

    def dispatched(self, cpu: int, job: int, t: Any) -> None:
        scheduler = self._scheduler()
        policy = self._policy()
        reason = policy.explain_pick(job)
        data: dict[str, Any] = {"cpu": cpu}
        if scheduler.cpu_start[cpu] != t:
            data["switch"] = scheduler.cpu_start[cpu] - t
        if scheduler.cpu_completes[cpu] and scheduler.cpu_end[cpu] == scheduler.cpu_start[cpu]:
            data["runs"] = 0
            data["until"] = "steps"  # a script that starts with steps: they come first
        elif scheduler.cpu_completes[cpu]:
            data["runs"] = scheduler.remaining[job]
            data["until"] = "end of burst"
        else:
            data["runs"] = scheduler.cpu_slice[cpu]
            data["until"] = "end of slice"
        if self.has_levels:
            level = policy.slice_level(job)
            self.levels[job] = level
            data["level"] = level
        self._instant(t).log.append(Event("run", self._pid(job), reason, data))

    # -- results --------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        return [instant.record() for instant in self.instants]

    # -- helpers --------------------------------------------------------------------------------
    def _level_check(self, t: Any, job: int) -> None:
        if not self.has_levels or job not in self.levels:
            return
        policy = self._policy()
        before, after = self.levels[job], policy.slice_level(job)
        if before != after:
            self.levels[job] = after
            text = policy.explain_level(job, before, after)
            self._event(t, Event("level", self._pid(job), text, {"from": before, "to": after}))

    def _ready_text(self) -> str | None:
        policy = self._policy()
        described = policy.explain_ready()
        if described is not None:
            return described
        scheduler = self._scheduler()
        waiting = [self._pid(job) for job, state in enumerate(scheduler.status) if state == READY]
        return "ready: " + (" ".join(waiting) if waiting else "-")

    def _event(self, t: Any, event: Event) -> None:
        self._instant(t).log.append(event)

    def _instant(self, t: Any) -> Instant:
        if not self.instants or self.instants[-1].time != t:
            if len(self.instants) >= self.max_instants:
                raise LimitError(
                    f"--explain: the run has more than {self.max_instants:,} instants, too many "
                    "to read; explain a smaller workload (or a larger quantum)"
                )
            self.instants.append(Instant(t))
        return self.instants[-1]

    def _pid(self, job: int) -> str:
        return str(self._policy().jobs.pid[job])

    def _policy(self) -> Policy:
        assert self.policy is not None, "the explainer is not attached to a scheduler"
        return self.policy

    def _scheduler(self) -> Scheduler:
        assert self.scheduler is not None, "the explainer is not attached to a scheduler"
        return self.scheduler


def explanation_json(result: Result, explainer: Explainer) -> str:
    """The explanation as one JSON document: the run's identity and its instants."""
    document = {
        "schedsim": result.version,
        "workload": result.workload,
        "policy": result.policy,
        "options": result.options,
        "settings": result.settings,
        "instants": explainer.records(),
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


# -- text ------------------------------------------------------------------------------------
def explain_text(instants: Sequence[Instant], *, cpus: int = 1, width: int = 100) -> str:
    """The explanation as a worked solution: per instant, what happened, the ready
    structure, and each decision with its rule; lines longer than ``width`` continue,
    indented, on the next."""
    lines: list[str] = []
    for instant in instants:
        lines.append(f"t={fmt(instant.time)}")
        log = instant.log
        for index, entry in enumerate(log):
            if entry.kind == "running":
                shown = ", ".join(
                    f"{held['pid']}{_on(held, cpus)} until {fmt(held['until'])}"
                    for held in entry.data["jobs"]
                )
                lines.append(f"  {'running':<9}{shown}")
            elif entry.kind == "ready":
                if _worth_showing(log, index):
                    lines.append(f"  {'ready':<9}{entry.text}")
            elif entry.kind in DECISIONS:
                lines.append("  " + _decision_line(entry, cpus))
            else:
                lines.append("  " + _event_line(entry, cpus))
    return "".join(_wrapped(line, width) for line in lines)


def _worth_showing(log: list[Event], index: int) -> bool:
    """A snapshot of the ready structure is shown before the instant's first decision (or,
    with none, once), and again only where more decisions follow it."""
    earlier = any(entry.kind == "ready" for entry in log[:index])
    for entry in log[index + 1 :]:
        if entry.kind == "ready":
            return False
        if entry.kind in DECISIONS:
            return True
    return not earlier


def _wrapped(line: str, width: int) -> str:
    if len(line) <= width:
        return line + "\n"
    import textwrap

    return (
        "\n".join(textwrap.wrap(line, width, subsequent_indent=" " * 11, break_on_hyphens=False))
        + "\n"
    )


def _on(data: dict[str, Any], cpus: int) -> str:
    return f" on CPU {data['cpu']}" if cpus > 1 and "cpu" in data else ""


def _event_line(event: Event, cpus: int) -> str:
    data = event.data
    if event.kind == "arrival":
        return f"{'arrive':<9}{event.pid}"
    if event.kind == "io-done":
        return f"{'wake':<9}{event.pid} (its I/O is done)"
    if event.kind == "woken":
        return f"{'wake':<9}{event.pid} ({event.text})"
    if event.kind == "step":
        return f"{'step':<9}{event.pid}{_on(data, cpus)}: {event.text}"
    if event.kind == "wait":
        return f"{'wait':<9}{event.pid}{_on(data, cpus)}: {event.text}"
    if event.kind in ("priority", "ended"):
        return f"{event.kind:<9}{event.pid}: {event.text}"
    if event.kind == "deadlock":
        return f"{'deadlock':<9}{event.text}"
    if event.kind == "finished":
        return f"{'finish':<9}{event.pid}{_on(data, cpus)}"
    if event.kind == "blocked":
        return f"{'block':<9}{event.pid}{_on(data, cpus)}: I/O for {fmt(data['io'])}"
    if event.kind == "expired":
        return (
            f"{'expire':<9}{event.pid}{_on(data, cpus)}: its slice of {fmt(data['slice'])} ran "
            f"out, {fmt(data['left'])} left"
        )
    if event.kind == "level":
        return f"{'level':<9}{event.text}"
    if event.kind == "timer":
        return f"{'timer':<9}{event.text}"
    return f"{event.kind:<9}{event.pid or ''} {event.text}".rstrip()


def _decision_line(decision: Event, cpus: int) -> str:
    data = decision.data
    if decision.kind == "preempt":
        return f"{'preempt':<9}{decision.pid}{_on(data, cpus)}: {decision.text}"
    level = f" at L{data['level']}" if data.get("level", -1) >= 0 else ""
    until = {
        "end of burst": f"for {fmt(data['runs'])} (to the end of its burst)",
        "end of slice": f"for {fmt(data['runs'])} (one slice)",
        "steps": "to perform its next steps",
    }[data["until"]]
    switch = f" after a context switch of {fmt(data['switch'])}" if "switch" in data else ""
    return f"{'run':<9}{decision.pid}{_on(data, cpus)}{level} {until}{switch}: {decision.text}"
