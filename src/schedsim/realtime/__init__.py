"""Real-time scheduling: periodic tasks, deadlines, and what a run says about them.

:mod:`~schedsim.realtime.tasks`     periodic, sporadic and aperiodic tasks, expanded into jobs
:mod:`~schedsim.realtime.results`   per job its deadline and miss, per task its response times
:mod:`~schedsim.realtime.analysis`  schedulability tests, and whether the simulation agrees
:mod:`~schedsim.realtime.report`    the tables and lines a run prints
:mod:`~schedsim.realtime.generate`  random task sets (UUniFast, log-uniform periods)

The policies (``edf``, ``rm``, ``dm``, ``llf``) are in :mod:`schedsim.policies`; the deadline
event is the core's (:meth:`schedsim.core.Scheduler.pass_deadlines`); SCHED_DEADLINE runs
are :mod:`schedsim.real.deadline`.
"""
