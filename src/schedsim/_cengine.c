/* The simulator's event loop, compiled.
 *
 * ``simulate(policy_run, cpus, context_switch, arrivals_first, record, max_slices)`` is a
 * line-for-line translation of ``schedsim.engine.simulate`` together with the methods of
 * ``schedsim.core.Scheduler`` it calls, which remain the specification: each function below
 * carries the name of the method it translates, the same hooks are called in the same order
 * with the same arguments, the shared state a policy reads (``remaining``, ``running_since``,
 * ``burst_number``, ``clock.now``) is written at the same moments, and every time is
 * computed with the same IEEE double operations in the same order, so a float workload gives
 * bit-identical results.  It is only used for float workloads: integer workloads keep exact
 * Python-integer arithmetic in the Python loop.
 *
 * What changes is where the bookkeeping lives: the workload is read in place from the run's
 * numpy arrays; the per-job state only the engine reads (status, burst positions, slice
 * counts, context-switch charges) is in C arrays; the trace's per-job columns are numpy
 * arrays written in place; the I/O heap is a C binary heap with the same (io_done, io_start,
 * job) order; the timeline is gathered in C chunks and copied into the Timeline's ``array``
 * columns with one ``frombytes`` per chunk.  A job's id object exists only while the job is
 * in the system.  So a run creates no Python object per job that outlives the job, and its
 * memory stays proportional to the jobs present at once: the cost per job at a million jobs
 * is that at ten thousand.
 *
 * Errors are built by the helpers of ``schedsim.core`` (``bad_pick``, ``bad_slice``, ...), so
 * their wording cannot drift from the Python loop's; the constants (job states, end reasons,
 * the sliver fraction) are read from the Python modules for the same reason.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <structmember.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Slices gathered in C before they are copied into the Timeline's columns. */
#define TIMELINE_CHUNK 8192

static PyObject *str_now;
static PyObject *str_frombytes;

/* -- the I/O heap: (io_done, io_start, job) in lexicographic order, like heapq's tuples -- */

typedef struct {
    double done;
    double start;
    Py_ssize_t job;
} IoEvent;

static inline int
io_less(const IoEvent *a, const IoEvent *b)
{
    if (a->done != b->done) {
        return a->done < b->done;
    }
    if (a->start != b->start) {
        return a->start < b->start;
    }
    return a->job < b->job;
}

/* -- the timeline, gathered in fixed-size chunks -------------------------------------------- */

typedef struct {
    Py_ssize_t used;
    int16_t cpu[TIMELINE_CHUNK];
    int64_t job[TIMELINE_CHUNK];
    double dispatched[TIMELINE_CHUNK];
    double start[TIMELINE_CHUNK];
    double end[TIMELINE_CHUNK];
    int16_t level[TIMELINE_CHUNK];
    int8_t reason[TIMELINE_CHUNK];
} TimelineChunk;

/* Timeline.COLUMNS, with the array typecode and item size each must have. */
static const char *const COLUMN_NAMES[7] = {
    "cpu", "job", "dispatched", "start", "end", "level", "reason"};
static const char *const COLUMN_TYPECODES[7] = {"h", "q", "d", "d", "d", "h", "b"};

/* -- the run ---------------------------------------------------------------------------------- */

typedef struct {
    /* Borrowed from the caller (kept alive by it for the whole call). */
    PyObject *policy_run;
    PyObject *context_switch;
    PyObject *max_slices;
    /* Owned references. */
    PyObject *core;           /* schedsim.core, for its error helpers */
    PyObject *numpy;          /* for the trace's arrays */
    PyObject *policy;
    PyObject *clock;
    PyObject *remaining;      /* list shared with the policy */
    PyObject *running_since;  /* list shared with the policy */
    PyObject *burst_numbers;  /* list shared with the policy */
    PyObject *on_ready;
    PyObject *pick_next;
    PyObject *time_slice;     /* NULL when the policy set a fixed slice */
    PyObject *on_expired;
    PyObject *on_preempted;
    PyObject *on_burst_end;   /* NULL when not overridden */
    PyObject *preempt;        /* NULL for a non-preemptive policy */
    PyObject *next_timer;     /* NULL when not overridden */
    PyObject *on_timer;
    PyObject *slice_level;    /* NULL when not overridden or not recording */
    PyObject *timeline;       /* Timeline, or NULL when not recording */
    PyObject *columns[7];     /* its array columns */
    PyObject *io_periods;     /* list, or NULL when not recording */
    /* The workload, read in place from the run's numpy arrays (checked once). */
    Py_buffer values_view, offsets_view, order_view, arrivals_view;
    const double *values;         /* CPU, I/O, CPU, ... burst values of every job */
    const int64_t *offsets;       /* job j's bursts are values[offsets[j]:offsets[j + 1]] */
    const int64_t *arrival_order; /* the jobs in order of arrival: a permutation of 0..n-1 */
    const double *arrival_times;  /* their arrival times */
    Py_ssize_t *burst_pos;        /* each job's current burst: an index into values */
    /* The trace's per-job columns: numpy arrays written in place as the run goes, so a run
     * leaves no Python object per job behind. */
    PyObject *first_run;      /* float64 */
    PyObject *finish;         /* float64 */
    PyObject *slice_counts;   /* int64 */
    Py_buffer first_run_view, finish_view, slices_view;
    double *first_run_at;
    double *finish_at;
    PyObject *now;            /* float: the current instant, as clock.now holds it */
    PyMemberDef *now_slot;    /* the clock's ``now`` slot, or NULL to use setattr */
    PyObject *zero;           /* int 0 */
    PyObject *one;            /* int 1 */
    PyObject **ids;           /* ids[j] is the int j while job j is in the system, else NULL */
    /* Constants, read from the Python modules so they cannot drift. */
    int NEW, READY, RUNNING, BLOCKED_IO, DONE;
    int FINISHED, BLOCKED, EXPIRED, PREEMPTED, RESLICED;
    double sliver;
    /* Per-job state: what only the engine reads stays in the state's lists; what changes
     * lives here (the shared lists are written alongside, where the Python loop writes). */
    Py_ssize_t n;
    unsigned char *status;
    int64_t *slices;          /* the data of slice_counts */
    Py_ssize_t *last_cpu;     /* the CPU each job ran on last, -1 if none */
    /* switch_time: nothing for an int context_switch of 0 (all stay int 0); the number of
     * charges for another int; for a float, whether charged and the float sum. */
    long long *charges;
    unsigned char *charged;
    double *switch_sum;
    IoEvent *heap;
    Py_ssize_t heap_len;
    Py_ssize_t heap_cap;
    TimelineChunk *chunk;
    /* The CPUs: Scheduler.cpu_* */
    int cpus;
    Py_ssize_t *cpu_job;      /* running job, -1 when idle */
    double *cpu_end;          /* when its slice ends (INF when idle) */
    double *cpu_start;        /* when the job started executing (after any switch) */
    double *cpu_dispatched;   /* when it was dispatched */
    double *cpu_slice;        /* the slice it was granted */
    unsigned char *cpu_completes;
    Py_ssize_t *cpu_last;     /* the job it ran last */
    PyObject **cpu_level;     /* slice_level() of the running slice, NULL for -1 */
    Py_ssize_t *placed;       /* jobs placed by the preemption step of this instant */
    /* Scheduler counters and flags. */
    Py_ssize_t ready;
    Py_ssize_t done;
    long long switches;
    long long budget;         /* slices and timer events left; never 0 without a limit */
    Py_ssize_t *expired;      /* jobs whose slice expired at this instant */
    int expired_count;
    int preemption_due;
    int arrivals_first;
    int record;
    /* Options. */
    double cs;                /* context_switch as a double */
    int cs_is_int;
    double fixed_slice;
    double t;                 /* the value of now */
} Sim;

static int
io_push(Sim *s, double done, double start, Py_ssize_t job)
{
    if (s->heap_len == s->heap_cap) {
        Py_ssize_t capacity = s->heap_cap ? s->heap_cap * 2 : 64;
        if (capacity > s->n) {
            capacity = s->n; /* a job is in the heap at most once */
        }
        if (capacity <= s->heap_len) {
            PyErr_SetString(PyExc_RuntimeError, "I/O heap overflow");
            return -1;
        }
        IoEvent *grown = PyMem_Resize(s->heap, IoEvent, (size_t)capacity);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->heap = grown;
        s->heap_cap = capacity;
    }
    IoEvent item = {done, start, job};
    Py_ssize_t i = s->heap_len++;
    while (i > 0) {
        Py_ssize_t parent = (i - 1) / 2;
        if (!io_less(&item, &s->heap[parent])) {
            break;
        }
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = item;
    return 0;
}

static Py_ssize_t
io_pop(Sim *s)
{
    IoEvent *heap = s->heap;
    Py_ssize_t job = heap[0].job;
    IoEvent item = heap[--s->heap_len];
    Py_ssize_t size = s->heap_len;
    Py_ssize_t i = 0;
    for (;;) {
        Py_ssize_t child = 2 * i + 1;
        if (child >= size) {
            break;
        }
        if (child + 1 < size && io_less(&heap[child + 1], &heap[child])) {
            child++;
        }
        if (!io_less(&heap[child], &item)) {
            break;
        }
        heap[i] = heap[child];
        i = child;
    }
    if (size > 0) {
        heap[i] = item;
    }
    return job;
}

/* -- small helpers ----------------------------------------------------------------------------- */

/* A number a policy returned (a slice, a timer) as a double.  Python ints too large for a
 * double become +-inf, which compares with every finite double exactly as the int does. */
static int
number_as_double(PyObject *value, double *out)
{
    if (PyFloat_Check(value)) {
        *out = PyFloat_AS_DOUBLE(value);
        return 0;
    }
    if (PyLong_Check(value)) {
        double converted = PyLong_AsDouble(value);
        if (converted == -1.0 && PyErr_Occurred()) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
                return -1;
            }
            PyErr_Clear();
            int sign = 0;
            (void)PyLong_AsLongAndOverflow(value, &sign);
            converted = sign < 0 ? -HUGE_VAL : HUGE_VAL;
        }
        *out = converted;
        return 0;
    }
    double converted = PyFloat_AsDouble(value);
    if (converted == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    *out = converted;
    return 0;
}


/* Raise the exception instance a helper of schedsim.core built: ``raise bad_pick(...)``. */
static void
raise_built(PyObject *error)
{
    if (error == NULL) {
        return; /* the helper itself failed: its exception stands */
    }
    PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    Py_DECREF(error);
}

/* ``raise core.<helper>(*args)`` with the given argument tuple (stolen; NULL when building
 * it failed, whose exception then stands). */
static void
raise_from_helper(Sim *s, const char *helper, PyObject *args)
{
    if (args == NULL) {
        return;
    }
    PyObject *function = PyObject_GetAttrString(s->core, helper);
    if (function == NULL) {
        Py_DECREF(args);
        return;
    }
    PyObject *error = PyObject_Call(function, args, NULL);
    Py_DECREF(function);
    Py_DECREF(args);
    raise_built(error);
}

/* A float for ``value``, sharing the current instant's object when it is that value. */
static inline PyObject *
time_object(Sim *s, double value)
{
    if (memcmp(&value, &s->t, sizeof(double)) == 0) {
        Py_INCREF(s->now);
        return s->now;
    }
    return PyFloat_FromDouble(value);
}

/* ``clock.now = t``: every instant begins with this, before any hook runs.  A clock whose
 * ``now`` is a slot (``SimulatedClock``) is written through the slot's member definition,
 * found once, which is what ``setattr`` ends up doing after looking the name up. */
static inline int
set_now(Sim *s, double t)
{
    PyObject *now = PyFloat_FromDouble(t);
    if (now == NULL) {
        return -1;
    }
    Py_SETREF(s->now, now);
    s->t = t;
    if (s->now_slot != NULL) {
        return PyMember_SetOne((char *)s->clock, s->now_slot, now);
    }
    return PyObject_SetAttr(s->clock, str_now, now);
}

/* The member definition of the clock's ``now`` slot, when its type has one and nothing
 * overrides how attributes are set; NULL otherwise (``setattr`` is then used). */
static PyMemberDef *
now_slot(PyObject *clock)
{
    PyTypeObject *type = Py_TYPE(clock);
    if (type->tp_setattro != PyObject_GenericSetAttr) {
        return NULL;
    }
    PyObject *descriptor = _PyType_Lookup(type, str_now);
    if (descriptor == NULL || Py_TYPE(descriptor) != &PyMemberDescr_Type) {
        return NULL;
    }
    PyMemberDef *member = ((PyMemberDescrObject *)descriptor)->d_member;
    return member->type == T_OBJECT_EX && !(member->flags & READONLY) ? member : NULL;
}

/* ``list[index] = value`` (value stolen). */
static inline int
list_store(PyObject *list, Py_ssize_t index, PyObject *value)
{
    if (value == NULL) {
        return -1;
    }
    return PyList_SetItem(list, index, value);
}

/* The workload's arrays, checked when the run starts and never exposed to policies. */
static inline double
value_at(Sim *s, Py_ssize_t position)
{
    return s->values[position];
}

/* ``arrival_times[cursor]``, infinite past the end (the Python loop's two sentinels). */
static inline double
arrival_at(Sim *s, Py_ssize_t cursor)
{
    return cursor < s->n ? s->arrival_times[cursor] : HUGE_VAL;
}

/* The job arriving at ``cursor``, which enters the system: its id object is made now and
 * dropped when it finishes, so ids live only as long as their jobs (checked: no error). */
static inline Py_ssize_t
arriving_job(Sim *s, Py_ssize_t cursor)
{
    Py_ssize_t job = (Py_ssize_t)s->arrival_order[cursor];
    if (s->ids[job] == NULL) {
        s->ids[job] = PyLong_FromSsize_t(job);
        if (s->ids[job] == NULL) {
            return -1;
        }
    }
    return job;
}

static inline Py_ssize_t
burst_position(Sim *s, Py_ssize_t job)
{
    return s->burst_pos[job];
}

static inline Py_ssize_t
burst_end_of(Sim *s, Py_ssize_t job)
{
    return (Py_ssize_t)s->offsets[job + 1];
}

/* ``remaining[job]``, read from the shared list as the Python loop reads it. */
static inline int
get_remaining(Sim *s, Py_ssize_t job, double *out)
{
    PyObject *item = PyList_GetItem(s->remaining, job);
    if (item == NULL) {
        return -1;
    }
    if (PyFloat_CheckExact(item)) {
        *out = PyFloat_AS_DOUBLE(item);
        return 0;
    }
    return number_as_double(item, out);
}

static inline int
set_remaining(Sim *s, Py_ssize_t job, double value)
{
    return list_store(s->remaining, job, PyFloat_FromDouble(value));
}

/* ``remaining[job] = values[burst_pos[job]]``. */
static inline int
start_burst(Sim *s, Py_ssize_t job)
{
    return list_store(s->remaining, job, PyFloat_FromDouble(s->values[s->burst_pos[job]]));
}

/* ``ran = remaining[job]; remaining[job] = 0``: the burst's last slice ran what was left. */
static inline PyObject *
take_remaining(Sim *s, Py_ssize_t job)
{
    PyObject *ran = PyList_GetItem(s->remaining, job);
    if (ran == NULL) {
        return NULL;
    }
    Py_INCREF(ran);
    if (list_store(s->remaining, job, Py_NewRef(s->zero)) < 0) {
        Py_DECREF(ran);
        return NULL;
    }
    return ran;
}

static inline int
set_running_since(Sim *s, Py_ssize_t job, double since)
{
    return list_store(s->running_since, job, time_object(s, since));
}

static inline int
clear_running_since(Sim *s, Py_ssize_t job)
{
    Py_INCREF(Py_None);
    return list_store(s->running_since, job, Py_None);
}

/* ``burst_number[job] += 1`` on the shared list. */
static int
bump_burst_number(Sim *s, Py_ssize_t job)
{
    PyObject *number = PyList_GetItem(s->burst_numbers, job);
    if (number == NULL) {
        return -1;
    }
    return list_store(s->burst_numbers, job, PyNumber_Add(number, s->one));
}

/* ``hook(job)``, result discarded. */
static inline int
call_job(PyObject *hook, PyObject *job)
{
    PyObject *result = PyObject_CallOneArg(hook, job);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* ``hook(job, ran)``, result discarded; ``ran`` is stolen. */
static inline int
call_job_ran(PyObject *hook, PyObject *job, PyObject *ran)
{
    if (ran == NULL) {
        return -1;
    }
    PyObject *arguments[3] = {NULL, job, ran};
    PyObject *result =
        PyObject_Vectorcall(hook, arguments + 1, 2 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    Py_DECREF(ran);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* ``granted = time_slice(job)`` (or the fixed slice) and ``if not granted > 0: raise``. */
static int
grant(Sim *s, Py_ssize_t job, double *granted)
{
    if (s->time_slice == NULL) {
        *granted = s->fixed_slice;
        return 0; /* checked when the run started */
    }
    PyObject *value = PyObject_CallOneArg(s->time_slice, s->ids[job]);
    if (value == NULL) {
        return -1;
    }
    int positive;
    double converted = 0.0;
    if (PyFloat_Check(value) || PyLong_Check(value)) {
        if (number_as_double(value, &converted) < 0) {
            Py_DECREF(value);
            return -1;
        }
        positive = converted > 0;
    }
    else {
        /* Any other type: the comparison Python makes, with its errors. */
        positive = PyObject_RichCompareBool(value, s->zero, Py_GT);
        if (positive < 0 || (positive && number_as_double(value, &converted) < 0)) {
            Py_DECREF(value);
            return -1;
        }
    }
    if (!positive) {
        raise_from_helper(s, "bad_slice",
                          PyTuple_Pack(4, s->policy, s->ids[job], s->now, value));
        Py_DECREF(value);
        return -1;
    }
    Py_DECREF(value);
    *granted = converted;
    return 0;
}

/* ``upcoming = next_timer(); timer_at = INF if upcoming is None else upcoming`` and, unless
 * ``first``, ``if timer_at <= t: raise _bad_timer(...)``.  For a value that is neither an int
 * nor a float, the comparison Python makes first (``<`` with infinity at the start, ``<=``
 * with t later) runs on the object itself, so its errors are Python's. */
static int
ask_timer(Sim *s, double *timer_at, int first)
{
    PyObject *upcoming = PyObject_CallNoArgs(s->next_timer);
    if (upcoming == NULL) {
        return -1;
    }
    if (upcoming == Py_None) {
        Py_DECREF(upcoming);
        *timer_at = HUGE_VAL;
        return 0;
    }
    double value;
    if (!PyFloat_Check(upcoming) && !PyLong_Check(upcoming)) {
        PyObject *other = first ? PyFloat_FromDouble(HUGE_VAL) : (Py_INCREF(s->now), s->now);
        int compared =
            other == NULL ? -1 : PyObject_RichCompareBool(upcoming, other, first ? Py_LT : Py_LE);
        Py_XDECREF(other);
        if (compared < 0) {
            Py_DECREF(upcoming);
            return -1;
        }
    }
    if (number_as_double(upcoming, &value) < 0) {
        Py_DECREF(upcoming);
        return -1;
    }
    if (!first && value <= s->t) {
        raise_from_helper(s, "bad_timer", PyTuple_Pack(3, s->policy, upcoming, s->now));
        Py_DECREF(upcoming);
        return -1;
    }
    Py_DECREF(upcoming);
    *timer_at = value;
    return 0;
}

/* A job id a policy returned, as an index; -1 for anything that is not an integer (a bool
 * is not), and -1 too for an integer beyond the index range (no job has it).  As
 * ``schedsim.core._as_job_id`` followed by the range check. */
static Py_ssize_t
job_index(PyObject *value)
{
    Py_ssize_t index;
    if (PyLong_CheckExact(value)) {
        index = PyLong_AsSsize_t(value);
    }
    else if (PyBool_Check(value) || !PyIndex_Check(value)) {
        return -1;
    }
    else {
        index = PyNumber_AsSsize_t(value, NULL); /* clipped: still out of range */
    }
    if (index == -1 && PyErr_Occurred()) {
        PyErr_Clear(); /* too large for an index: no job has it */
        return -1;
    }
    return index;
}

/* -- the timeline ---------------------------------------------------------------------------- */

static int
timeline_flush(Sim *s)
{
    TimelineChunk *chunk = s->chunk;
    Py_ssize_t used = chunk->used;
    if (used == 0) {
        return 0;
    }
    char *data[7] = {
        (char *)chunk->cpu,   (char *)chunk->job,   (char *)chunk->dispatched, (char *)chunk->start,
        (char *)chunk->end,   (char *)chunk->level, (char *)chunk->reason,
    };
    const Py_ssize_t sizes[7] = {2, 8, 8, 8, 8, 2, 1};
    for (int column = 0; column < 7; column++) {
        PyObject *view = PyMemoryView_FromMemory(data[column], used * sizes[column], PyBUF_READ);
        if (view == NULL) {
            return -1;
        }
        PyObject *result = PyObject_CallMethodOneArg(s->columns[column], str_frombytes, view);
        Py_DECREF(view);
        if (result == NULL) {
            return -1;
        }
        Py_DECREF(result);
    }
    chunk->used = 0;
    return 0;
}

/* ``timeline.append(cpu, job, dispatched, start, end, level, reason)``; the level (NULL for
 * -1) is converted here, as ``array('h').append`` would, with its errors. */
static int
timeline_put(Sim *s, int cpu, PyObject *level_object, Py_ssize_t job, double dispatched,
             double start, double end, int reason)
{
    long level = -1;
    if (level_object != NULL) {
        level = PyLong_AsLong(level_object);
        if (level == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (level < INT16_MIN) {
            PyErr_SetString(PyExc_OverflowError, "signed short integer is less than minimum");
            return -1;
        }
        if (level > INT16_MAX) {
            PyErr_SetString(PyExc_OverflowError, "signed short integer is greater than maximum");
            return -1;
        }
    }
    TimelineChunk *chunk = s->chunk;
    Py_ssize_t i = chunk->used;
    chunk->cpu[i] = (int16_t)cpu;
    chunk->job[i] = (int64_t)job;
    chunk->dispatched[i] = dispatched;
    chunk->start[i] = start;
    chunk->end[i] = end;
    chunk->level[i] = (int16_t)level;
    chunk->reason[i] = (int8_t)reason;
    chunk->used = i + 1;
    if (chunk->used == TIMELINE_CHUNK) {
        return timeline_flush(s);
    }
    return 0;
}

/* The one CPU's slice: ``timeline.append(0, job, ..., level, reason)``. */
/* -- setup ------------------------------------------------------------------------------------ */

static PyObject *
get_list(PyObject *owner, const char *name, Py_ssize_t length)
{
    PyObject *value = PyObject_GetAttrString(owner, name);
    if (value == NULL) {
        return NULL;
    }
    if (!PyList_CheckExact(value) || (length >= 0 && PyList_GET_SIZE(value) != length)) {
        PyErr_Format(PyExc_TypeError, "policy_run.%s must be a list (of one item per job)", name);
        Py_DECREF(value);
        return NULL;
    }
    return value;
}

static int
get_int_constant(PyObject *module, const char *name, int *out)
{
    PyObject *value = PyObject_GetAttrString(module, name);
    if (value == NULL) {
        return -1;
    }
    long converted = PyLong_AsLong(value);
    Py_DECREF(value);
    if (converted == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (converted < 0 || converted > 127) {
        PyErr_Format(PyExc_ValueError, "constant %s out of range", name);
        return -1;
    }
    *out = (int)converted;
    return 0;
}

/* ``owner.<name>``: a callable, or NULL for None (a hook the policy does not have). */
static int
optional_attribute(PyObject *owner, const char *name, PyObject **out)
{
    PyObject *value = PyObject_GetAttrString(owner, name);
    if (value == NULL) {
        return -1;
    }
    if (value == Py_None) {
        Py_DECREF(value);
        *out = NULL;
        return 0;
    }
    *out = value;
    return 0;
}

/* ``policy_run.<name>`` as a one-dimensional, C-contiguous array of ``length`` (any length when
 * negative) 8-byte items: float64 for ``kind`` 'f', int64 for 'i'.  The buffer stays held in
 * ``view`` for the whole run, so the array cannot be resized under the loop. */
static int
get_array(PyObject *owner, const char *name, char kind, Py_ssize_t length, Py_buffer *view)
{
    PyObject *value = PyObject_GetAttrString(owner, name);
    if (value == NULL) {
        return -1;
    }
    int got = PyObject_GetBuffer(value, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT);
    Py_DECREF(value);
    if (got < 0) {
        return -1;
    }
    const char *format = view->format != NULL ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<') {
        format++;
    }
    int ok = view->ndim == 1 && view->itemsize == 8 && format[0] != '\0' && format[1] == '\0' &&
             (kind == 'f' ? format[0] == 'd' : (format[0] == 'l' || format[0] == 'q')) &&
             (length < 0 || view->len == length * 8);
    if (!ok) {
        PyBuffer_Release(view);
        if (kind == 'f') {
            PyErr_Format(PyExc_TypeError,
                         "the compiled engine runs float workloads only: policy_run.%s must be a "
                         "float64 array%s",
                         name, length < 0 ? "" : " of one item per job");
        }
        else {
            PyErr_Format(PyExc_TypeError, "policy_run.%s must be an int64 array of %zd items", name,
                         length);
        }
        return -1;
    }
    return 0;
}

/* ``numpy.zeros(n, dtype)``, with its buffer held in ``view`` for writing in place. */
static PyObject *
new_array(Sim *s, Py_ssize_t n, const char *dtype, Py_buffer *view)
{
    PyObject *array = PyObject_CallMethod(s->numpy, "zeros", "ns", n, dtype);
    if (array == NULL) {
        return NULL;
    }
    if (PyObject_GetBuffer(array, view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) < 0) {
        Py_DECREF(array);
        return NULL;
    }
    return array;
}

/* Per-job state: every job NEW at its first burst; the offsets must describe odd-length
 * bursts within the values, and the arrival order must be a permutation. */
static int
check_workload(Sim *s)
{
    Py_ssize_t n = s->n;
    Py_ssize_t n_values = s->values_view.len / (Py_ssize_t)sizeof(double);
    s->status = PyMem_Calloc((size_t)n + 1, 1);
    s->burst_pos = PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
    s->last_cpu = PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
    s->ids = PyMem_Calloc((size_t)n + 1, sizeof(PyObject *));
    unsigned char *seen = PyMem_Calloc((size_t)n + 1, 1);
    int result = -1;
    if (s->status == NULL || s->burst_pos == NULL || s->last_cpu == NULL || s->ids == NULL ||
        seen == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        s->status[i] = (unsigned char)s->NEW;
        s->last_cpu[i] = -1;
        /* Bursts alternate CPU, I/O, CPU: an odd count within the values. */
        int64_t start = s->offsets[i], end = s->offsets[i + 1];
        if (start < 0 || end > n_values || start >= end || (end - start) % 2 != 1) {
            PyErr_Format(PyExc_ValueError,
                         "process #%zd: bursts %lld..%lld are not an odd-length range of the %zd "
                         "burst values",
                         i, (long long)start, (long long)end, n_values);
            goto done;
        }
        s->burst_pos[i] = (Py_ssize_t)start;
        int64_t job = s->arrival_order[i];
        if (job < 0 || job >= n || seen[job]) {
            PyErr_SetString(PyExc_ValueError, "policy_run.arrival_order is not a permutation");
            goto done;
        }
        seen[job] = 1;
    }
    result = 0;
done:
    PyMem_Free(seen);
    return result;
}

static int
setup_switch_charges(Sim *s)
{
    size_t n = (size_t)s->n + 1;
    if (!s->cs_is_int) {
        s->charged = PyMem_Calloc(n, 1);
        s->switch_sum = PyMem_Calloc(n, sizeof(double));
        if (s->charged == NULL || s->switch_sum == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    else if (s->cs != 0) {
        s->charges = PyMem_Calloc(n, sizeof(long long));
        if (s->charges == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}

/* The CPUs, all idle, and the instant's scratch arrays (at most one entry per CPU). */
static int
setup_cpus(Sim *s, int cpus)
{
    size_t k = (size_t)cpus;
    s->cpus = cpus;
    s->cpu_job = PyMem_Calloc(k, sizeof(Py_ssize_t));
    s->cpu_end = PyMem_Calloc(k, sizeof(double));
    s->cpu_start = PyMem_Calloc(k, sizeof(double));
    s->cpu_dispatched = PyMem_Calloc(k, sizeof(double));
    s->cpu_slice = PyMem_Calloc(k, sizeof(double));
    s->cpu_completes = PyMem_Calloc(k, 1);
    s->cpu_last = PyMem_Calloc(k, sizeof(Py_ssize_t));
    s->cpu_level = PyMem_Calloc(k, sizeof(PyObject *));
    s->placed = PyMem_Calloc(k, sizeof(Py_ssize_t));
    s->expired = PyMem_Calloc(k, sizeof(Py_ssize_t));
    if (s->cpu_job == NULL || s->cpu_end == NULL || s->cpu_start == NULL ||
        s->cpu_dispatched == NULL || s->cpu_slice == NULL || s->cpu_completes == NULL ||
        s->cpu_last == NULL || s->cpu_level == NULL || s->placed == NULL || s->expired == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int cpu = 0; cpu < cpus; cpu++) {
        s->cpu_job[cpu] = -1;
        s->cpu_end[cpu] = HUGE_VAL;
        s->cpu_last[cpu] = -1;
    }
    return 0;
}

/* Everything the run needs, read from the PolicyRun (``policy_run``) and checked once. */
static int
sim_setup(Sim *s, int cpus)
{
    PyObject *trace_module = NULL;
    int result = -1;

    s->core = PyImport_ImportModule("schedsim.core");
    s->numpy = PyImport_ImportModule("numpy");
    trace_module = PyImport_ImportModule("schedsim.trace");
    if (s->core == NULL || s->numpy == NULL || trace_module == NULL) {
        goto done;
    }
    if (get_int_constant(s->core, "NEW", &s->NEW) < 0 ||
        get_int_constant(s->core, "READY", &s->READY) < 0 ||
        get_int_constant(s->core, "RUNNING", &s->RUNNING) < 0 ||
        get_int_constant(s->core, "BLOCKED_IO", &s->BLOCKED_IO) < 0 ||
        get_int_constant(s->core, "DONE", &s->DONE) < 0 ||
        get_int_constant(trace_module, "FINISHED", &s->FINISHED) < 0 ||
        get_int_constant(trace_module, "BLOCKED", &s->BLOCKED) < 0 ||
        get_int_constant(trace_module, "EXPIRED", &s->EXPIRED) < 0 ||
        get_int_constant(trace_module, "PREEMPTED", &s->PREEMPTED) < 0 ||
        get_int_constant(trace_module, "RESLICED", &s->RESLICED) < 0) {
        goto done;
    }
    {
        PyObject *sliver = PyObject_GetAttrString(s->core, "SLIVER");
        if (sliver == NULL) {
            goto done;
        }
        s->sliver = PyFloat_AsDouble(sliver);
        Py_DECREF(sliver);
        if (s->sliver == -1.0 && PyErr_Occurred()) {
            goto done;
        }
    }
    s->zero = PyLong_FromLong(0);
    s->one = PyLong_FromLong(1);
    if (s->zero == NULL || s->one == NULL) {
        goto done;
    }

    /* The run's options. */
    s->cs = PyFloat_AsDouble(s->context_switch);
    if (s->cs == -1.0 && PyErr_Occurred()) {
        goto done;
    }
    s->cs_is_int = PyLong_Check(s->context_switch);

    /* The policy's side: the shared lists and the hooks, as the PolicyRun resolved them. */
    {
        PyObject *n = PyObject_GetAttrString(s->policy_run, "n");
        if (n == NULL) {
            goto done;
        }
        s->n = PyLong_AsSsize_t(n);
        Py_DECREF(n);
        if (s->n == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (s->n < 0 || s->n > PY_SSIZE_T_MAX / 64) {
            PyErr_SetString(PyExc_ValueError, "policy_run.n out of range");
            goto done;
        }
    }
    Py_ssize_t n = s->n;
    PyObject *run = s->policy_run;
    if ((s->policy = PyObject_GetAttrString(run, "policy")) == NULL ||
        (s->clock = PyObject_GetAttrString(run, "clock")) == NULL ||
        (s->now_slot = now_slot(s->clock), 0) ||
        (s->remaining = get_list(run, "remaining", n)) == NULL ||
        (s->running_since = get_list(run, "running_since", n)) == NULL ||
        (s->burst_numbers = get_list(run, "burst_number", n)) == NULL ||
        (s->on_ready = PyObject_GetAttrString(run, "on_ready")) == NULL ||
        (s->pick_next = PyObject_GetAttrString(run, "pick_next")) == NULL ||
        optional_attribute(run, "time_slice", &s->time_slice) < 0 ||
        (s->on_expired = PyObject_GetAttrString(run, "on_expired")) == NULL ||
        (s->on_preempted = PyObject_GetAttrString(run, "on_preempted")) == NULL ||
        optional_attribute(run, "on_burst_end", &s->on_burst_end) < 0 ||
        optional_attribute(run, "preempt", &s->preempt) < 0 ||
        optional_attribute(run, "next_timer", &s->next_timer) < 0 ||
        (s->on_timer = PyObject_GetAttrString(run, "on_timer")) == NULL ||
        optional_attribute(run, "slice_level", &s->slice_level) < 0) {
        goto done;
    }
    if (s->time_slice == NULL) {
        PyObject *fixed = PyObject_GetAttrString(run, "fixed_slice");
        if (fixed == NULL) {
            goto done;
        }
        int converted = number_as_double(fixed, &s->fixed_slice);
        Py_DECREF(fixed);
        if (converted < 0) {
            goto done;
        }
        if (!(s->fixed_slice > 0)) {
            PyErr_SetString(PyExc_ValueError, "policy_run.fixed_slice must be > 0");
            goto done;
        }
    }

    /* The workload's arrays, only the engine reads: checked once, then read in place. */
    if (get_array(run, "burst_values", 'f', -1, &s->values_view) < 0 ||
        get_array(run, "burst_offsets", 'i', n + 1, &s->offsets_view) < 0 ||
        get_array(run, "arrival_order", 'i', n, &s->order_view) < 0 ||
        get_array(run, "arrival_times", 'f', n, &s->arrivals_view) < 0) {
        goto done;
    }
    s->values = s->values_view.buf;
    s->offsets = s->offsets_view.buf;
    s->arrival_order = s->order_view.buf;
    s->arrival_times = s->arrivals_view.buf;
    if (check_workload(s) < 0) {
        goto done;
    }
    if (setup_switch_charges(s) < 0 || setup_cpus(s, cpus) < 0) {
        goto done;
    }

    /* The trace's per-job columns. */
    if ((s->first_run = new_array(s, n, "float64", &s->first_run_view)) == NULL ||
        (s->finish = new_array(s, n, "float64", &s->finish_view)) == NULL ||
        (s->slice_counts = new_array(s, n, "int64", &s->slices_view)) == NULL) {
        goto done;
    }
    s->first_run_at = s->first_run_view.buf;
    s->finish_at = s->finish_view.buf;
    s->slices = s->slices_view.buf;
    s->now = PyFloat_FromDouble(0.0);
    if (s->now == NULL) {
        goto done;
    }
    s->t = 0.0;
    result = 0;

done:
    Py_XDECREF(trace_module);
    return result;
}

/* The Timeline and its columns, checked to be the arrays the chunks are copied into. */
static int
sim_setup_timeline(Sim *s)
{
    PyObject *trace_module = PyImport_ImportModule("schedsim.trace");
    if (trace_module == NULL) {
        return -1;
    }
    PyObject *timeline_class = PyObject_GetAttrString(trace_module, "Timeline");
    Py_DECREF(trace_module);
    if (timeline_class == NULL) {
        return -1;
    }
    s->timeline = PyObject_CallNoArgs(timeline_class);
    Py_DECREF(timeline_class);
    if (s->timeline == NULL) {
        return -1;
    }
    for (int column = 0; column < 7; column++) {
        s->columns[column] = PyObject_GetAttrString(s->timeline, COLUMN_NAMES[column]);
        if (s->columns[column] == NULL) {
            return -1;
        }
        PyObject *typecode = PyObject_GetAttrString(s->columns[column], "typecode");
        if (typecode == NULL) {
            return -1;
        }
        int same = PyUnicode_Check(typecode) &&
                   PyUnicode_CompareWithASCIIString(typecode, COLUMN_TYPECODES[column]) == 0;
        Py_DECREF(typecode);
        if (!same) {
            PyErr_Format(PyExc_TypeError, "Timeline.%s must be an array('%s')",
                         COLUMN_NAMES[column], COLUMN_TYPECODES[column]);
            return -1;
        }
    }
    s->chunk = PyMem_Malloc(sizeof(TimelineChunk));
    if (s->chunk == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    s->chunk->used = 0;
    s->io_periods = PyList_New(0);
    if (s->io_periods == NULL) {
        return -1;
    }
    return 0;
}

static void
sim_free(Sim *s)
{
    PyObject **owned[] = {
        &s->core,         &s->numpy,        &s->policy,     &s->clock,       &s->remaining,
        &s->running_since, &s->burst_numbers, &s->on_ready, &s->pick_next,   &s->time_slice,
        &s->on_expired,   &s->on_preempted, &s->on_burst_end, &s->preempt,   &s->next_timer,
        &s->on_timer,     &s->slice_level,  &s->timeline,   &s->io_periods,  &s->first_run,
        &s->finish,       &s->slice_counts, &s->now,        &s->zero,        &s->one,
    };
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        Py_CLEAR(*owned[i]);
    }
    for (int column = 0; column < 7; column++) {
        Py_CLEAR(s->columns[column]);
    }
    PyBuffer_Release(&s->first_run_view);
    PyBuffer_Release(&s->finish_view);
    PyBuffer_Release(&s->slices_view);
    PyBuffer_Release(&s->values_view);
    PyBuffer_Release(&s->offsets_view);
    PyBuffer_Release(&s->order_view);
    PyBuffer_Release(&s->arrivals_view);
    if (s->ids != NULL) {
        for (Py_ssize_t i = 0; i < s->n; i++) {
            Py_XDECREF(s->ids[i]);
        }
    }
    if (s->cpu_level != NULL) {
        for (int cpu = 0; cpu < s->cpus; cpu++) {
            Py_XDECREF(s->cpu_level[cpu]);
        }
    }
    void *memory[] = {
        s->ids,        s->burst_pos,    s->status,      s->last_cpu,     s->charges,
        s->charged,    s->switch_sum,   s->heap,        s->chunk,        s->cpu_job,
        s->cpu_end,    s->cpu_start,    s->cpu_dispatched, s->cpu_slice, s->cpu_completes,
        s->cpu_last,   s->cpu_level,    s->placed,      s->expired,
    };
    for (size_t i = 0; i < sizeof(memory) / sizeof(memory[0]); i++) {
        PyMem_Free(memory[i]);
    }
}

/* -- the result ------------------------------------------------------------------------------- */

/* switch_time as a float64 array: 0 for a job never charged; otherwise the sum of its
 * charges, count x context_switch for an int context_switch (the exact product, rounded
 * once, as the Python loop's int becomes in the metrics) and the float sum, added in the
 * same order, for a float one. */
static PyObject *
switch_time_array(Sim *s)
{
    Py_buffer view;
    PyObject *array = new_array(s, s->n, "float64", &view);
    if (array == NULL) {
        return NULL;
    }
    double *out = view.buf;
    for (Py_ssize_t i = 0; i < s->n; i++) {
        if (s->charged != NULL) {
            out[i] = s->charged[i] ? s->switch_sum[i] : 0.0;
        }
        else if (s->charges != NULL) {
            out[i] = (double)s->charges[i] * s->cs;
        }
    }
    PyBuffer_Release(&view);
    return array;
}

static PyObject *
build_trace(Sim *s, long long switches)
{
    PyObject *trace_module = NULL, *trace_class = NULL, *keywords = NULL, *extra = NULL;
    PyObject *empty = NULL, *result = NULL, *item = NULL;

    if (s->timeline != NULL && timeline_flush(s) < 0) {
        return NULL;
    }
    trace_module = PyImport_ImportModule("schedsim.trace");
    if (trace_module == NULL) {
        goto done;
    }
    trace_class = PyObject_GetAttrString(trace_module, "Trace");
    keywords = PyDict_New();
    extra = PyDict_New();
    empty = PyTuple_New(0);
    if (trace_class == NULL || keywords == NULL || extra == NULL || empty == NULL) {
        goto done;
    }
#define PUT(name, expression)                                        \
    do {                                                             \
        item = (expression);                                         \
        if (item == NULL || PyDict_SetItemString(keywords, name, item) < 0) { \
            goto done;                                               \
        }                                                            \
        Py_CLEAR(item);                                              \
    } while (0)
    PUT("first_run", Py_NewRef(s->first_run));
    PUT("finish", Py_NewRef(s->finish));
    PUT("slices", Py_NewRef(s->slice_counts));
    PUT("switch_time", switch_time_array(s));
    PUT("context_switches", PyLong_FromLongLong(switches));
    PUT("timeline", Py_NewRef(s->timeline != NULL ? s->timeline : Py_None));
#undef PUT
    if (s->io_periods != NULL && PyList_GET_SIZE(s->io_periods) > 0 &&
        PyDict_SetItemString(extra, "io_periods", s->io_periods) < 0) {
        goto done;
    }
    if (PyDict_SetItemString(keywords, "extra", extra) < 0) {
        goto done;
    }
    result = PyObject_Call(trace_class, empty, keywords);
done:
    Py_XDECREF(item);
    Py_XDECREF(trace_module);
    Py_XDECREF(trace_class);
    Py_XDECREF(keywords);
    Py_XDECREF(extra);
    Py_XDECREF(empty);
    return result;
}

/* -- the Scheduler's rules ----------------------------------------------------------------------- */

/* The slice that ended on ``cpu`` at ``end``: ``Scheduler.schedule_recorder``'s record. */
static inline int
record_slice(Sim *s, int cpu, Py_ssize_t job, double end, int reason)
{
    if (!s->record) {
        return 0;
    }
    double start = s->cpu_start[cpu];
    return timeline_put(s, cpu, s->cpu_level[cpu], job, s->cpu_dispatched[cpu],
                        start < end ? start : end, end, reason);
}

/* ``running_since[job] = None``, the CPU idle. */
static inline int
vacate(Sim *s, int cpu, Py_ssize_t job)
{
    s->cpu_job[cpu] = -1;
    s->cpu_end[cpu] = HUGE_VAL;
    return clear_running_since(s, job);
}

/* ``events += 1``, raising at the limit: Scheduler._count_event. */
static inline int
count_event(Sim *s)
{
    if (--s->budget == 0) {
        raise_from_helper(s, "too_many_slices", PyTuple_Pack(2, s->max_slices, s->now));
        return -1;
    }
    return 0;
}

/* Scheduler.end_burst, then the loop's push of the I/O completion (``io_heap``,
 * ``io_periods``). */
static int
end_burst(Sim *s, int cpu, double t)
{
    Py_ssize_t job = s->cpu_job[cpu];
    if (vacate(s, cpu, job) < 0) {
        return -1;
    }
    PyObject *ran = take_remaining(s, job);
    if (ran == NULL) {
        return -1;
    }
    Py_ssize_t position = s->burst_pos[job] + 1;
    int blocks = position < (Py_ssize_t)s->offsets[job + 1];
    double io = 0.0;
    int reason;
    if (blocks) {
        s->status[job] = (unsigned char)s->BLOCKED_IO;
        s->burst_pos[job] = position + 1;
        io = s->values[position];
        reason = s->BLOCKED;
    }
    else {
        s->status[job] = (unsigned char)s->DONE;
        s->finish_at[job] = t;
        s->done++;
        reason = s->FINISHED;
    }
    if (s->on_burst_end != NULL) {
        if (call_job_ran(s->on_burst_end, s->ids[job], ran) < 0) {
            return -1;
        }
    }
    else {
        Py_DECREF(ran);
    }
    if (record_slice(s, cpu, job, t, reason) < 0) {
        return -1;
    }
    if (!blocks) {
        Py_CLEAR(s->ids[job]); /* its last hook has run */
        return 0;
    }
    double io_done = t + io;
    if (io_push(s, io_done, t, job) < 0) {
        return -1;
    }
    if (s->record) {
        PyObject *period = Py_BuildValue("(OON)", s->ids[job], s->now, PyFloat_FromDouble(io_done));
        if (period == NULL || PyList_Append(s->io_periods, period) < 0) {
            Py_XDECREF(period);
            return -1;
        }
        Py_DECREF(period);
    }
    return 0;
}

/* Scheduler.expire: the slice ran out with work left; the job goes back to the policy in
 * step 2. */
static int
expire(Sim *s, int cpu, double t)
{
    Py_ssize_t job = s->cpu_job[cpu];
    double left;
    if (vacate(s, cpu, job) < 0 || get_remaining(s, job, &left) < 0 ||
        set_remaining(s, job, left - s->cpu_slice[cpu]) < 0) {
        return -1;
    }
    s->status[job] = (unsigned char)s->READY;
    s->expired[s->expired_count++] = job;
    return record_slice(s, cpu, job, t, s->EXPIRED);
}

/* Scheduler.release. */
static inline int
release(Sim *s, int cpu, double t)
{
    return s->cpu_completes[cpu] ? end_burst(s, cpu, t) : expire(s, cpu, t);
}

/* Scheduler._start_burst. */
static inline int
start_burst_ready(Sim *s, Py_ssize_t job)
{
    if (start_burst(s, job) < 0) {
        return -1;
    }
    s->status[job] = (unsigned char)s->READY;
    if (call_job(s->on_ready, s->ids[job]) < 0) {
        return -1;
    }
    s->ready++;
    s->preemption_due = 1;
    return 0;
}

/* Scheduler._requeue_expired. */
static int
requeue_expired(Sim *s)
{
    for (int i = 0; i < s->expired_count; i++) {
        if (call_job(s->on_expired, s->ids[s->expired[i]]) < 0) {
            return -1;
        }
    }
    s->ready += s->expired_count;
    s->expired_count = 0;
    s->preemption_due = 1;
    return 0;
}

/* The loop's gathering of the arrivals and I/O completions at ``t``, and
 * Scheduler.make_ready. */
static int
make_ready(Sim *s, double t, Py_ssize_t *cursor)
{
    if (s->expired_count && !s->arrivals_first && requeue_expired(s) < 0) {
        return -1;
    }
    while (arrival_at(s, *cursor) == t) {
        Py_ssize_t job = arriving_job(s, *cursor);
        if (job < 0) {
            return -1;
        }
        (*cursor)++;
        if (start_burst_ready(s, job) < 0) {
            return -1;
        }
    }
    while (s->heap_len && s->heap[0].done == t) {
        Py_ssize_t job = io_pop(s);
        if (bump_burst_number(s, job) < 0 || start_burst_ready(s, job) < 0) {
            return -1;
        }
    }
    if (s->expired_count && requeue_expired(s) < 0) {
        return -1;
    }
    return 0;
}

/* Scheduler._grant: the policy's slice from ``start``, and the sliver rule. */
static int
grant_slice(Sim *s, int cpu, Py_ssize_t job, double start)
{
    double granted, left;
    if (grant(s, job, &granted) < 0 || get_remaining(s, job, &left) < 0) {
        return -1;
    }
    if (granted >= left || left - granted <= s->sliver * left) {
        s->cpu_end[cpu] = start + left;
        s->cpu_completes[cpu] = 1;
    }
    else {
        s->cpu_end[cpu] = start + granted;
        s->cpu_completes[cpu] = 0;
    }
    s->cpu_slice[cpu] = granted;
    if (set_running_since(s, job, start) < 0) {
        return -1;
    }
    if (s->slice_level != NULL) {
        PyObject *level = PyObject_CallOneArg(s->slice_level, s->ids[job]);
        if (level == NULL) {
            return -1;
        }
        Py_XSETREF(s->cpu_level[cpu], level);
    }
    return 0;
}

/* Scheduler.fire_timer and Scheduler._reslice. */
static int
fire_timer(Sim *s, double t)
{
    if (count_event(s) < 0) {
        return -1;
    }
    s->preemption_due = 1;
    PyObject *restart = PyObject_CallNoArgs(s->on_timer);
    if (restart == NULL) {
        return -1;
    }
    int truth = PyObject_IsTrue(restart);
    Py_DECREF(restart);
    if (truth <= 0) {
        return truth;
    }
    for (int cpu = 0; cpu < s->cpus; cpu++) {
        Py_ssize_t job = s->cpu_job[cpu];
        if (job < 0) {
            continue;
        }
        double ran = t - s->cpu_start[cpu];
        if (ran > 0) {
            double left;
            if (get_remaining(s, job, &left) < 0 || set_remaining(s, job, left - ran) < 0 ||
                record_slice(s, cpu, job, t, s->RESLICED) < 0) {
                return -1;
            }
            s->cpu_dispatched[cpu] = t;
            s->cpu_start[cpu] = t;
        }
        if (grant_slice(s, cpu, job, s->cpu_start[cpu]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Scheduler._picked: ``pick_next()``, which must name a ready job or be None (then NOBODY;
 * -1 with an error set otherwise). */
#define NOBODY (-2)

static Py_ssize_t
picked(Sim *s)
{
    PyObject *value = PyObject_CallNoArgs(s->pick_next);
    if (value == NULL) {
        return -1;
    }
    if (value == Py_None) {
        Py_DECREF(value);
        return NOBODY;
    }
    Py_ssize_t job = job_index(value);
    int status = job >= 0 && job < s->n ? s->status[job] : -1;
    if (status != s->READY) {
        PyObject *code = PyLong_FromLong(status);
        if (code != NULL) {
            raise_from_helper(s, "bad_pick", PyTuple_Pack(4, s->policy, value, s->now, code));
            Py_DECREF(code);
        }
        Py_DECREF(value);
        return -1;
    }
    Py_DECREF(value);
    return job;
}

/* Scheduler._dispatch: a context switch unless the CPU ran the job last, then its slice. */
static int
dispatch(Sim *s, int cpu, Py_ssize_t job, double t)
{
    double start;
    s->status[job] = (unsigned char)s->RUNNING;
    if (s->cpu_last[cpu] != job) {
        s->switches++;
        start = t + s->cs;
        if (s->charged != NULL) {
            s->charged[job] = 1;
            s->switch_sum[job] += s->cs;
        }
        else if (s->charges != NULL) {
            s->charges[job]++;
        }
    }
    else {
        start = t;
    }
    if (s->slices[job] == 0) {
        s->first_run_at[job] = start;
    }
    s->cpu_job[cpu] = job;
    s->cpu_dispatched[cpu] = t;
    s->cpu_start[cpu] = start;
    s->cpu_last[cpu] = job;
    s->last_cpu[job] = cpu;
    if (grant_slice(s, cpu, job, start) < 0) {
        return -1;
    }
    s->slices[job]++;
    return count_event(s);
}

/* A new list of the running jobs, in CPU order (what ``preempt`` is shown), or NULL. */
static PyObject *
running_list(Sim *s, Py_ssize_t count)
{
    PyObject *running = PyList_New(count);
    if (running == NULL) {
        return NULL;
    }
    Py_ssize_t i = 0;
    for (int cpu = 0; cpu < s->cpus; cpu++) {
        if (s->cpu_job[cpu] >= 0) {
            PyList_SET_ITEM(running, i++, Py_NewRef(s->ids[s->cpu_job[cpu]]));
        }
    }
    return running;
}

/* Scheduler._victim: the job ``preempt()`` named must run and not have been placed at this
 * instant.  Its index, or -1 with the error set. */
static Py_ssize_t
victim_of(Sim *s, PyObject *named, Py_ssize_t placed_count)
{
    Py_ssize_t victim = job_index(named);
    int running = 0, placed = 0;
    for (int cpu = 0; victim >= 0 && cpu < s->cpus; cpu++) {
        running |= s->cpu_job[cpu] == victim;
    }
    for (Py_ssize_t i = 0; victim >= 0 && i < placed_count; i++) {
        placed |= s->placed[i] == victim;
    }
    if (running && !placed) {
        return victim;
    }
    raise_from_helper(s, "bad_victim",
                      Py_BuildValue("(OOOO)", s->policy, named, s->now, placed ? Py_True : Py_False));
    return -1;
}

/* Scheduler._preempt. */
static int
preempt_step(Sim *s, double t)
{
    Py_ssize_t placed_count = 0;
    for (;;) {
        Py_ssize_t free_cpus = 0;
        for (int cpu = 0; cpu < s->cpus; cpu++) {
            free_cpus += s->cpu_job[cpu] == -1;
        }
        if (s->ready <= free_cpus || free_cpus == s->cpus) {
            return 0;
        }
        PyObject *running = running_list(s, s->cpus - free_cpus);
        if (running == NULL) {
            return -1;
        }
        PyObject *named = PyObject_CallOneArg(s->preempt, running);
        Py_DECREF(running);
        if (named == NULL) {
            return -1;
        }
        if (named == Py_None) {
            Py_DECREF(named);
            return 0;
        }
        Py_ssize_t victim = victim_of(s, named, placed_count);
        Py_DECREF(named);
        if (victim < 0) {
            return -1;
        }
        int cpu = (int)s->last_cpu[victim];
        double ran = t - s->cpu_start[cpu];
        int ran_is_int = 0;
        if (ran < 0) { /* preempted while the context switch was still in progress */
            ran = 0;
            ran_is_int = 1; /* the Python loop passes the int 0 */
        }
        double left;
        if (get_remaining(s, victim, &left) < 0) {
            return -1;
        }
        left = left - ran;
        if ((left > 0 && set_remaining(s, victim, left) < 0) ||
            record_slice(s, cpu, victim, t, s->PREEMPTED) < 0 || vacate(s, cpu, victim) < 0) {
            return -1;
        }
        s->status[victim] = (unsigned char)s->READY;
        if (call_job_ran(s->on_preempted, s->ids[victim],
                         ran_is_int ? Py_NewRef(s->zero) : PyFloat_FromDouble(ran)) < 0) {
            return -1;
        }
        Py_ssize_t job = picked(s);
        if (job == -1) {
            return -1;
        }
        if (job == NOBODY || job == victim) {
            raise_from_helper(s, "picked_again",
                              PyTuple_Pack(4, s->policy, s->ids[victim], s->now,
                                           job == NOBODY ? Py_None : s->ids[job]));
            return -1;
        }
        if (dispatch(s, cpu, job, t) < 0) {
            return -1;
        }
        s->placed[placed_count++] = job;
    }
}

/* Scheduler.decide: preemption when something happened at this instant, then dispatch. */
static int
decide(Sim *s, double t)
{
    if (s->preempt != NULL && s->preemption_due && s->ready && preempt_step(s, t) < 0) {
        return -1;
    }
    s->preemption_due = 0;
    while (s->ready) {
        int cpu = -1;
        for (int k = 0; k < s->cpus; k++) {
            if (s->cpu_job[k] == -1) {
                cpu = k;
                break;
            }
        }
        if (cpu < 0) {
            break;
        }
        Py_ssize_t job = picked(s);
        if (job == -1) {
            return -1;
        }
        if (job == NOBODY) { /* the policy leaves the free CPUs idle for now */
            break;
        }
        s->ready--;
        Py_ssize_t before = s->last_cpu[job];
        if (before >= 0 && s->cpu_job[before] == -1) {
            cpu = (int)before;
        }
        if (dispatch(s, cpu, job, t) < 0) {
            return -1;
        }
    }
    return 0;
}

/* -- the loop: schedsim.engine.simulate ------------------------------------------------------ */

static PyObject *
simulate_loop(Sim *s)
{
    const double INF = HUGE_VAL;
    Py_ssize_t cursor = 0;
    double timer_at = INF;
    if (s->next_timer != NULL && ask_timer(s, &timer_at, 1) < 0) {
        return NULL;
    }
    while (s->done < s->n) {
        double t = arrival_at(s, cursor); /* the next instant: the earliest event */
        for (int cpu = 0; cpu < s->cpus; cpu++) {
            if (s->cpu_end[cpu] < t) {
                t = s->cpu_end[cpu];
            }
        }
        if (s->heap_len && s->heap[0].done < t) {
            t = s->heap[0].done;
        }
        if (timer_at < t) {
            t = timer_at;
        }
        if (t == INF) {
            raise_from_helper(s, "stuck", Py_BuildValue("(Onn)", s->policy, s->ready,
                                                        s->n - s->done));
            return NULL;
        }
        if (set_now(s, t) < 0) {
            return NULL;
        }
        for (int cpu = 0; cpu < s->cpus; cpu++) { /* 1. CPUs release */
            if (s->cpu_end[cpu] == t && release(s, cpu, t) < 0) {
                return NULL;
            }
        }
        if (make_ready(s, t, &cursor) < 0) { /* 2. jobs become ready, then timers */
            return NULL;
        }
        if (timer_at == t && fire_timer(s, t) < 0) {
            return NULL;
        }
        if (decide(s, t) < 0) { /* 3. preemption, 4. dispatch */
            return NULL;
        }
        if (s->next_timer != NULL && ask_timer(s, &timer_at, 0) < 0) {
            return NULL;
        }
    }
    return build_trace(s, s->switches);
}

PyDoc_STRVAR(simulate_doc,
             "simulate(policy_run, cpus, context_switch, arrivals_first, record, max_slices)\n"
             "--\n\n"
             "schedsim.engine.simulate for a float workload, compiled: identical results.");

static PyObject *
simulate(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError, "simulate() takes 6 arguments (%zd given)", nargs);
        return NULL;
    }
    long cpus = PyLong_AsLong(args[1]);
    if (cpus == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (cpus < 1 || cpus > INT16_MAX) {
        PyErr_Format(PyExc_ValueError, "simulate(): cpus must be from 1 to %d", INT16_MAX);
        return NULL;
    }
    Sim sim;
    memset(&sim, 0, sizeof(sim));
    sim.policy_run = args[0];
    sim.context_switch = args[2];
    sim.max_slices = args[5];
    sim.arrivals_first = PyObject_IsTrue(args[3]);
    sim.record = PyObject_IsTrue(args[4]);
    if (sim.arrivals_first < 0 || sim.record < 0) {
        return NULL;
    }
    int overflow = 0;
    sim.budget = PyLong_AsLongLongAndOverflow(args[5], &overflow);
    if (sim.budget == -1 && !overflow && PyErr_Occurred()) {
        return NULL;
    }
    if (overflow || sim.budget <= 0) {
        sim.budget = -1; /* a budget that never reaches 0 */
    }
    PyObject *result = NULL;
    if (sim_setup(&sim, (int)cpus) == 0 && (!sim.record || sim_setup_timeline(&sim) == 0)) {
        result = simulate_loop(&sim);
    }
    sim_free(&sim);
    return result;
}

/* -- the fixed-order pass ------------------------------------------------------------------- */

PyDoc_STRVAR(fixed_order_times_doc,
             "fixed_order_times(arrivals, bursts, context_switch, dispatched, starts, ends)\n--\n\n"
             "The loop of schedsim.engine._fixed_order_times for float64 arrays, compiled:\n"
             "fills ``starts`` and ``ends`` (and ``dispatched`` unless it is None) in place.");

/* One buffer argument: a one-dimensional C-contiguous float64 array of ``n`` items (any
 * length when ``n`` is negative), writable when asked. */
static int
double_buffer(PyObject *object, Py_ssize_t n, int writable, Py_buffer *view, const char *what)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(object, view, flags) < 0) {
        return -1;
    }
    const char *format = view->format != NULL ? view->format : "B";
    if (*format == '@' || *format == '=' || *format == '<') {
        format++;
    }
    if (view->ndim != 1 || view->itemsize != 8 || strcmp(format, "d") != 0 ||
        (n >= 0 && view->len != n * 8)) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "fixed_order_times: %s must be a float64 array%s", what,
                     n >= 0 ? " as long as arrivals" : "");
        return -1;
    }
    return 0;
}

static PyObject *
fixed_order_times(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError, "fixed_order_times() takes 6 arguments (%zd given)",
                     nargs);
        return NULL;
    }
    Py_buffer views[5];
    memset(views, 0, sizeof(views));
    PyObject *result = NULL;
    double cs = PyFloat_AsDouble(args[2]);
    if (cs == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    if (double_buffer(args[0], -1, 0, &views[0], "arrivals") < 0) {
        return NULL;
    }
    Py_ssize_t n = views[0].len / 8;
    int sending = args[3] != Py_None;
    if (double_buffer(args[1], n, 0, &views[1], "bursts") < 0 ||
        (sending && double_buffer(args[3], n, 1, &views[2], "dispatched") < 0) ||
        double_buffer(args[4], n, 1, &views[3], "starts") < 0 ||
        double_buffer(args[5], n, 1, &views[4], "ends") < 0) {
        goto done;
    }
    {
        const double *arrivals = views[0].buf;
        const double *bursts = views[1].buf;
        double *sent = views[2].buf;
        double *starts = views[3].buf;
        double *ends = views[4].buf;
        const int charging = cs != 0;
        double now = -HUGE_VAL;
        /* The same double operations in the same order as the Python loop. */
        for (Py_ssize_t i = 0; i < n; i++) {
            double arrived = arrivals[i];
            if (arrived > now) {
                now = arrived;
            }
            if (sending) {
                sent[i] = now;
            }
            if (charging) {
                now = now + cs;
            }
            starts[i] = now;
            now = now + bursts[i];
            ends[i] = now;
        }
    }
    result = Py_NewRef(Py_None);
done:
    for (int i = 0; i < 5; i++) {
        PyBuffer_Release(&views[i]);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"simulate", (PyCFunction)(void (*)(void))simulate, METH_FASTCALL, simulate_doc},
    {"fixed_order_times", (PyCFunction)(void (*)(void))fixed_order_times, METH_FASTCALL,
     fixed_order_times_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT,
    "schedsim._cengine",
    "The simulator's event loop, compiled (used for float workloads).",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__cengine(void)
{
    str_now = PyUnicode_InternFromString("now");
    str_frombytes = PyUnicode_InternFromString("frombytes");
    if (str_now == NULL || str_frombytes == NULL) {
        return NULL;
    }
    return PyModule_Create(&module_definition);
}
