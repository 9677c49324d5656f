"""The limits that keep every input within bounded time and memory.

Any input -- a workload file, an option, a saved result -- either works or is refused with one
``Error:`` line, and each limit is checked before the work it guards (README, "Limits and
guarantees").  The numbers live here, in one module that imports nothing, so that the engine,
the loaders, the charts and the command line all read the same values, and reading them costs
no import of numpy or pydantic.  Where a limit can be overridden, the override is named
beside it.
"""

from __future__ import annotations

# -- times ------------------------------------------------------------------------------------
# Each time (an arrival, a burst, a context-switch cost) is at most MAX_TIME, so it is exact
# both as int64 and as float64 (whose integers are exact up to 2**53).  The last arrival
# plus all bursts together is at most MAX_TOTAL_TIME, so that every time a run reaches, and
# every sum of times, fits in int64 (ten thousand bursts of 10**15 would overflow it).
# Override: none; express the times in a larger unit.
MAX_TIME = 10**15
MAX_TOTAL_TIME = 2**62

# Whole-number attributes (priority, tickets, nice) are stored as int64.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# -- engine and policy options ----------------------------------------------------------------
# Sanity caps on counts a user gives, so that a typo (an extra few zeros) is an error, not
# per-CPU or per-level lists of a billion entries.  The timeline stores CPUs and levels as
# int16, so neither may exceed 32,767 in any case.
MAX_CPUS = 1024
MAX_LEVELS = 64

# Slices (dispatches) and policy timer events per run: a timeline costs about 31 bytes a
# slice, so 20 million is about 620 MB; without one only time is at stake (about a minute
# and a half at 2 million slices a second).  Override: --max-slices / simulate(max_slices=).
DEFAULT_MAX_SLICES_TIMELINE = 20_000_000
DEFAULT_MAX_SLICES = 200_000_000

# -- workload files ---------------------------------------------------------------------------
# YAML and JSON build one Python object per value, so they are meant for hand-written files.
# Override: --max-file-size / max_bytes=, --max-processes / max_processes= (the burst and
# value budgets scale with the process limit).
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
MAX_DOCUMENT_PROCESSES = 200_000
BURSTS_PER_PROCESS = 10  # burst values allowed in all, per allowed process
NODES_PER_PROCESS = 16  # values of any kind allowed in all, per allowed process (+ the bursts)
MAX_KEYS = 64  # keys in one mapping
MAX_DEPTH = 32  # nesting levels

# CSV and NPZ (bulk): the NPZ size is that of its arrays once decompressed, and CSV processes
# are counted from the lines before parsing.  Override: as for YAML and JSON.
MAX_BULK_BYTES = 512 * 1024 * 1024
MAX_BULK_PROCESSES = 10_000_000

# -- periodic tasks ---------------------------------------------------------------------------
# Periodic tasks are expanded into one process per job instance when a workload is loaded, so
# their jobs count against the process limit (--max-processes).  The horizon (--until, or one
# hyperperiod after the last phase by default) is a time like any other: at most MAX_TIME.  A
# hyperperiod beyond it ("hyperperiod explosion": periods such as 997, 991 and 983) is refused
# with the advice to give --until or jobs: N.
MAX_HORIZON = MAX_TIME

# -- charts -----------------------------------------------------------------------------------
# Drawing a PNG costs about 1 ms per row and 10-20 us (and 1 kB of memory) per slice or I/O
# period (hatching is dropped past a few thousand of them: Agg hatches shape by shape, at
# half a millisecond each), so these keep any chart -- image or text -- under about 15
# seconds and half a gigabyte; a chart past them would be unreadable anyway.  SVG and PDF
# write every shape out (about 90 us and 160 bytes each), hence their lower cap.
# Override: none (--gantt-by cpu draws one row per CPU).
MAX_CHART_ROWS = 2_000
MAX_CHART_SLICES = 500_000  # slices and I/O periods
MAX_VECTOR_CHART_SHAPES = 100_000  # shapes in an SVG or PDF chart
MAX_TEXT_CHART_WIDTH = 10_000  # columns: a text chart is held in memory as lines this long
# An HTML report draws every slice as an SVG element in the reader's browser, which stays
# responsive up to a few tens of thousands of them (the page is then a few MB).
MAX_REPORT_SLICES = 50_000
# An explanation (run --explain) is read by a person, instant by instant.
MAX_EXPLAIN_INSTANTS = 20_000

# -- saved results ----------------------------------------------------------------------------
# Result files are refused above this size before reading: parsed JSON takes about five
# times its size in memory, and a chart draws at most MAX_CHART_SLICES slices (about 115 MB
# of JSON).  Override: schedsim gantt --max-file-size.
MAX_RESULT_BYTES = 128 * 2**20

# -- generated workloads ----------------------------------------------------------------------
MAX_GENERATED_PROCESSES = 10_000_000
MAX_GENERATED_IO_BURSTS = 10_000  # I/O bursts per generated process
MAX_GENERATED_BURSTS = 50_000_000  # CPU and I/O bursts in a whole generated workload
# Generated times are rounded to 4 decimals; beyond this, 4 decimal places no longer fit in
# a float64's 15-16 significant digits.
MAX_GENERATED_TIME = 1e11
MAX_GENERATED_TASKS = 10_000  # schedsim generate --periodic

# -- parameter sweeps -------------------------------------------------------------------------
# A sweep keeps one summary (a few kilobytes) per point; beyond this, split the sweep.
MAX_SWEEP_POINTS = 100_000
