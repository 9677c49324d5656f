/* The event loops of schedsim.engine, compiled.
 *
 * ``run_single(state, context_switch, arrivals_first, record, max_slices)`` is a line-for-line
 * translation of ``schedsim.engine._run_single`` (and ``run_general(state, cpus, ...)`` of
 * ``_run_general``, further down), which remains the specification: the same
 * hooks are called in the same order with the same arguments, the shared state a policy
 * reads (``remaining``, ``running_since``, ``burst_number``, ``clock.now``) is written at the
 * same moments, and every time is computed with the same IEEE double operations in the same
 * order, so a float workload gives bit-identical results.  It is only used for float
 * workloads: integer workloads keep exact Python-integer arithmetic in the Python loop.
 *
 * What changes is where the bookkeeping lives: the workload is read in place from the
 * state's numpy arrays; the per-job state only the engine reads (status, burst positions,
 * slice counts, context-switch charges) is in C arrays; the trace's per-job columns are
 * numpy arrays written in place; the I/O heap is a C binary heap with the same (io_done,
 * io_start, job) order; the timeline is gathered in C chunks and copied into the Timeline's
 * ``array`` columns with one ``frombytes`` per chunk.  A job's id object exists only while
 * the job is in the system.  So a run creates no Python object per job that outlives the
 * job, and its memory stays proportional to the jobs present at once: the cost per job at
 * a million jobs is that at ten thousand.
 * Error messages come from the engine's own helpers (``_bad_pick``, ``_bad_slice``, ...), so
 * they cannot drift from the Python loop's.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Slices gathered in C before they are copied into the Timeline's columns. */
#define TIMELINE_CHUNK 8192

/* Interned attribute names, created once at import. */
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
    /* Borrowed from the caller's state (kept alive by it for the whole call). */
    PyObject *state;
    PyObject *context_switch;
    PyObject *max_slices;
    /* Owned references. */
    PyObject *engine;         /* schedsim.engine, for its error helpers */
    PyObject *numpy;          /* for the trace's arrays */
    PyObject *policy_error;   /* schedsim.errors.PolicyError */
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
    PyObject *running;        /* the one-element list preempt() sees */
    PyObject *timeline;       /* Timeline, or NULL when not recording */
    PyObject *columns[7];     /* its array columns */
    PyObject *io_periods;     /* list, or NULL when not recording */
    /* The workload, read in place from the state's numpy arrays (checked once). */
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
    PyObject *level;          /* the running slice's slice_level(), NULL for -1 */
    PyObject *zero;           /* int 0 */
    PyObject *one;            /* int 1 */
    PyObject **ids;           /* ids[j] is the int j while job j is in the system, else NULL */
    /* Engine constants, read from the Python modules so they cannot drift. */
    int NEW, READY, RUNNING, BLOCKED_IO, DONE;
    int FINISHED, BLOCKED, EXPIRED, PREEMPTED, RESLICED;
    double sliver;
    /* Per-job state: what only the engine reads stays in the state's lists; what changes
     * lives here (the shared lists are written alongside, where the Python loop writes). */
    Py_ssize_t n;
    Py_ssize_t n_values;
    unsigned char *status;
    int64_t *slices;          /* the data of slice_counts */
    /* switch_time: nothing for an int context_switch of 0 (all stay int 0); the number of
     * charges for another int; for a float, whether charged and the float sum. */
    long long *charges;
    unsigned char *charged;
    double *switch_sum;
    IoEvent *heap;
    Py_ssize_t heap_len;
    Py_ssize_t heap_cap;
    TimelineChunk *chunk;
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


/* Raise the exception instance an engine helper built: ``raise _bad_pick(...)``. */
static void
raise_built(PyObject *error)
{
    if (error == NULL) {
        return; /* the helper itself failed: its exception stands */
    }
    PyErr_SetObject((PyObject *)Py_TYPE(error), error);
    Py_DECREF(error);
}

/* ``raise engine.<helper>(*args)`` with the given argument tuple (stolen; NULL when building
 * it failed, whose exception then stands). */
static void
raise_from_helper(Sim *s, const char *helper, PyObject *args)
{
    if (args == NULL) {
        return;
    }
    PyObject *function = PyObject_GetAttrString(s->engine, helper);
    if (function == NULL) {
        Py_DECREF(args);
        return;
    }
    PyObject *error = PyObject_Call(function, args, NULL);
    Py_DECREF(function);
    Py_DECREF(args);
    raise_built(error);
}

/* ``raise PolicyError(f"policy {policy.name!r} " + rest)``; ``rest`` is a format for
 * PyUnicode_FromFormatV. */
static void
raise_policy_error(Sim *s, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    PyObject *rest = PyUnicode_FromFormatV(format, arguments);
    va_end(arguments);
    if (rest == NULL) {
        return;
    }
    PyObject *name = PyObject_GetAttrString(s->policy, "name");
    if (name == NULL) {
        Py_DECREF(rest);
        return;
    }
    PyObject *message = PyUnicode_FromFormat("policy %R %U", name, rest);
    Py_DECREF(name);
    Py_DECREF(rest);
    if (message != NULL) {
        PyErr_SetObject(s->policy_error, message);
        Py_DECREF(message);
    }
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

/* ``clock.now = t``: every instant begins with this, before any hook runs. */
static inline int
set_now(Sim *s, double t)
{
    PyObject *now = PyFloat_FromDouble(t);
    if (now == NULL) {
        return -1;
    }
    Py_SETREF(s->now, now);
    s->t = t;
    return PyObject_SetAttr(s->clock, str_now, now);
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
        raise_from_helper(s, "_bad_slice",
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
        raise_from_helper(s, "_bad_timer", PyTuple_Pack(3, s->policy, upcoming, s->now));
        Py_DECREF(upcoming);
        return -1;
    }
    Py_DECREF(upcoming);
    *timer_at = value;
    return 0;
}

/* ``job = pick_next()`` and ``if status[job] != READY: raise _bad_pick(...)``.  Returns the
 * job's index, or -1 with an exception set; ``*picked`` receives the returned object (a new
 * reference) for messages that quote it. */
static Py_ssize_t pick_check(Sim *s, PyObject *job);

static Py_ssize_t
pick(Sim *s, PyObject **picked)
{
    PyObject *job = PyObject_CallNoArgs(s->pick_next);
    *picked = job;
    if (job == NULL) {
        return -1;
    }
    return pick_check(s, job);
}

/* ``if status[job] != READY or job < 0: raise _bad_pick(...)`` for an object pick_next
 * returned, with the errors Python's list indexing gives; its index, or -1 with an
 * exception set. */
static Py_ssize_t
pick_check(Sim *s, PyObject *job)
{
    Py_ssize_t index;
    if (PyLong_CheckExact(job)) {
        index = PyLong_AsSsize_t(job);
        if (index == -1 && PyErr_Occurred()) {
            /* What indexing a list with it raises. */
            PyErr_Clear();
            PyErr_SetString(PyExc_IndexError, "cannot fit 'int' into an index-sized integer");
            return -1;
        }
    }
    else if (PyIndex_Check(job)) {
        index = PyNumber_AsSsize_t(job, PyExc_IndexError);
        if (index == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "list indices must be integers or slices, not %.200s",
                     Py_TYPE(job)->tp_name);
        return -1;
    }
    if (index < -s->n || index >= s->n) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    /* A negative id is no job: it is reported as not ready (the Python loop's list indexing
     * would take it for job n + id). */
    int status = index < 0 ? -1 : s->status[index];
    if (status != s->READY) {
        PyObject *code = PyLong_FromLong(status);
        if (code != NULL) {
            raise_from_helper(s, "_bad_pick", PyTuple_Pack(4, s->policy, job, s->now, code));
            Py_DECREF(code);
        }
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
static inline int
timeline_append(Sim *s, Py_ssize_t job, double dispatched, double start, double end, int reason)
{
    return timeline_put(s, 0, s->level, job, dispatched, start, end, reason);
}

/* ``level = slice_level(job)`` when recording. */
static inline int
take_level(Sim *s, Py_ssize_t job)
{
    if (s->slice_level == NULL) {
        return 0;
    }
    PyObject *level = PyObject_CallOneArg(s->slice_level, s->ids[job]);
    if (level == NULL) {
        return -1;
    }
    Py_XSETREF(s->level, level);
    return 0;
}

/* -- setup ------------------------------------------------------------------------------------ */

static PyObject *
get_list(PyObject *owner, const char *name, Py_ssize_t length)
{
    PyObject *value = PyObject_GetAttrString(owner, name);
    if (value == NULL) {
        return NULL;
    }
    if (!PyList_CheckExact(value) || (length >= 0 && PyList_GET_SIZE(value) != length)) {
        PyErr_Format(PyExc_TypeError, "state.%s must be a list (of one item per job)", name);
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

/* A hook the engine calls only when the policy overrides it: ``state.hook(name)``. */
static int
optional_hook(Sim *s, const char *name, PyObject **out)
{
    PyObject *hook = PyObject_CallMethod(s->state, "hook", "s", name);
    if (hook == NULL) {
        return -1;
    }
    if (hook == Py_None) {
        Py_DECREF(hook);
        *out = NULL;
        return 0;
    }
    *out = hook;
    return 0;
}

/* ``state.<name>`` as a one-dimensional, C-contiguous array of ``length`` (any length when
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
                         "the compiled engine runs float workloads only: state.%s must be a "
                         "float64 array%s",
                         name, length < 0 ? "" : " of one item per job");
        }
        else {
            PyErr_Format(PyExc_TypeError, "state.%s must be an int64 array of %zd items", name,
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

static int
sim_setup(Sim *s)
{
    PyObject *trace_module = NULL;
    PyObject *errors = NULL;
    PyObject *hooks = NULL;
    int result = -1;

    s->engine = PyImport_ImportModule("schedsim.engine");
    s->numpy = PyImport_ImportModule("numpy");
    if (s->numpy == NULL) {
        goto done;
    }
    trace_module = PyImport_ImportModule("schedsim.trace");
    errors = PyImport_ImportModule("schedsim.errors");
    if (s->engine == NULL || trace_module == NULL || errors == NULL) {
        goto done;
    }
    s->policy_error = PyObject_GetAttrString(errors, "PolicyError");
    if (s->policy_error == NULL) {
        goto done;
    }
    if (get_int_constant(s->engine, "NEW", &s->NEW) < 0 ||
        get_int_constant(s->engine, "READY", &s->READY) < 0 ||
        get_int_constant(s->engine, "RUNNING", &s->RUNNING) < 0 ||
        get_int_constant(s->engine, "BLOCKED_IO", &s->BLOCKED_IO) < 0 ||
        get_int_constant(s->engine, "DONE", &s->DONE) < 0 ||
        get_int_constant(trace_module, "FINISHED", &s->FINISHED) < 0 ||
        get_int_constant(trace_module, "BLOCKED", &s->BLOCKED) < 0 ||
        get_int_constant(trace_module, "EXPIRED", &s->EXPIRED) < 0 ||
        get_int_constant(trace_module, "PREEMPTED", &s->PREEMPTED) < 0 ||
        get_int_constant(trace_module, "RESLICED", &s->RESLICED) < 0) {
        goto done;
    }
    {
        PyObject *sliver = PyObject_GetAttrString(s->engine, "SLIVER");
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

    /* Per-job state from the engine's _State. */
    {
        PyObject *n = PyObject_GetAttrString(s->state, "n");
        if (n == NULL) {
            goto done;
        }
        s->n = PyLong_AsSsize_t(n);
        Py_DECREF(n);
        if (s->n == -1 && PyErr_Occurred()) {
            goto done;
        }
        if (s->n < 0 || s->n > PY_SSIZE_T_MAX / 64) {
            PyErr_SetString(PyExc_ValueError, "state.n out of range");
            goto done;
        }
    }
    Py_ssize_t n = s->n;
    s->policy = PyObject_GetAttrString(s->state, "policy");
    s->clock = PyObject_GetAttrString(s->state, "clock");
    if (s->policy == NULL || s->clock == NULL) {
        goto done;
    }
    if ((s->remaining = get_list(s->state, "remaining", n)) == NULL ||
        (s->running_since = get_list(s->state, "running_since", n)) == NULL ||
        (s->burst_numbers = get_list(s->state, "burst_number", n)) == NULL) {
        goto done;
    }

    /* The workload's arrays, only the engine reads: checked once, then read in place. */
    Py_ssize_t n_values;
    if (get_array(s->state, "burst_values", 'f', -1, &s->values_view) < 0 ||
        get_array(s->state, "burst_offsets", 'i', n + 1, &s->offsets_view) < 0 ||
        get_array(s->state, "arrival_order", 'i', n, &s->order_view) < 0 ||
        get_array(s->state, "arrival_times", 'f', n, &s->arrivals_view) < 0) {
        goto done;
    }
    s->values = s->values_view.buf;
    s->offsets = s->offsets_view.buf;
    s->arrival_order = s->order_view.buf;
    s->arrival_times = s->arrivals_view.buf;
    n_values = s->values_view.len / (Py_ssize_t)sizeof(double);

    s->status = PyMem_Calloc((size_t)n + 1, 1);
    s->burst_pos = PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
    s->ids = PyMem_Calloc((size_t)n + 1, sizeof(PyObject *));
    unsigned char *seen = PyMem_Calloc((size_t)n + 1, 1);
    if (s->status == NULL || s->burst_pos == NULL || s->ids == NULL || seen == NULL) {
        PyMem_Free(seen);
        PyErr_NoMemory();
        goto done;
    }
    if (!s->cs_is_int) {
        s->charged = PyMem_Calloc((size_t)n + 1, 1);
        s->switch_sum = PyMem_Calloc((size_t)n + 1, sizeof(double));
        if (s->charged == NULL || s->switch_sum == NULL) {
            PyErr_NoMemory();
            PyMem_Free(seen);
            goto done;
        }
    }
    else if (s->cs != 0) {
        s->charges = PyMem_Calloc((size_t)n + 1, sizeof(long long));
        if (s->charges == NULL) {
            PyErr_NoMemory();
            PyMem_Free(seen);
            goto done;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        s->status[i] = (unsigned char)s->NEW;
        /* Bursts alternate CPU, I/O, CPU: an odd count within the values. */
        int64_t start = s->offsets[i], end = s->offsets[i + 1];
        if (start < 0 || end > n_values || start >= end || (end - start) % 2 != 1) {
            PyErr_Format(PyExc_ValueError,
                         "process #%zd: bursts %lld..%lld are not an odd-length range of the %zd "
                         "burst values",
                         i, (long long)start, (long long)end, n_values);
            PyMem_Free(seen);
            goto done;
        }
        s->burst_pos[i] = (Py_ssize_t)start;
        int64_t job = s->arrival_order[i];
        if (job < 0 || job >= n || seen[job]) {
            PyErr_SetString(PyExc_ValueError, "state.arrival_order is not a permutation");
            PyMem_Free(seen);
            goto done;
        }
        seen[job] = 1;
    }
    PyMem_Free(seen);

    /* The trace's per-job columns. */
    if ((s->first_run = new_array(s, n, "float64", &s->first_run_view)) == NULL ||
        (s->finish = new_array(s, n, "float64", &s->finish_view)) == NULL ||
        (s->slice_counts = new_array(s, n, "int64", &s->slices_view)) == NULL) {
        goto done;
    }
    s->first_run_at = s->first_run_view.buf;
    s->finish_at = s->finish_view.buf;
    s->slices = s->slices_view.buf;

    /* The hooks, looked up in the order the Python loop looks them up. */
    if ((s->on_ready = PyObject_GetAttrString(s->policy, "on_ready")) == NULL ||
        (s->pick_next = PyObject_GetAttrString(s->policy, "pick_next")) == NULL) {
        goto done;
    }
    hooks = PyObject_CallMethod(s->state, "slice_hook", NULL);
    if (hooks == NULL) {
        goto done;
    }
    if (!PyTuple_Check(hooks) || PyTuple_GET_SIZE(hooks) != 2) {
        PyErr_SetString(PyExc_TypeError, "state.slice_hook() must return a pair");
        goto done;
    }
    if (PyTuple_GET_ITEM(hooks, 0) != Py_None) {
        s->time_slice = Py_NewRef(PyTuple_GET_ITEM(hooks, 0));
    }
    else if (number_as_double(PyTuple_GET_ITEM(hooks, 1), &s->fixed_slice) < 0) {
        goto done;
    }
    else if (!(s->fixed_slice > 0)) {
        PyErr_SetString(PyExc_ValueError, "state.slice_hook() gave a fixed slice <= 0");
        goto done;
    }
    if ((s->on_expired = PyObject_GetAttrString(s->policy, "on_expired")) == NULL ||
        (s->on_preempted = PyObject_GetAttrString(s->policy, "on_preempted")) == NULL ||
        optional_hook(s, "on_burst_end", &s->on_burst_end) < 0) {
        goto done;
    }
    {
        PyObject *preemptive = PyObject_GetAttrString(s->policy, "preemptive");
        if (preemptive == NULL) {
            goto done;
        }
        int truth = PyObject_IsTrue(preemptive);
        Py_DECREF(preemptive);
        if (truth < 0) {
            goto done;
        }
        if (truth && (s->preempt = PyObject_GetAttrString(s->policy, "preempt")) == NULL) {
            goto done;
        }
    }
    if (optional_hook(s, "next_timer", &s->next_timer) < 0 ||
        (s->on_timer = PyObject_GetAttrString(s->policy, "on_timer")) == NULL) {
        goto done;
    }
    s->running = PyList_New(1);
    if (s->running == NULL) {
        goto done;
    }
    PyList_SET_ITEM(s->running, 0, PyLong_FromLong(-1));
    if (PyList_GET_ITEM(s->running, 0) == NULL) {
        goto done;
    }
    s->now = PyFloat_FromDouble(0.0);
    if (s->now == NULL) {
        goto done;
    }
    s->t = 0.0;
    result = 0;

done:
    Py_XDECREF(trace_module);
    Py_XDECREF(errors);
    Py_XDECREF(hooks);
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
    Py_XDECREF(s->engine);
    Py_XDECREF(s->policy_error);
    Py_XDECREF(s->policy);
    Py_XDECREF(s->clock);
    Py_XDECREF(s->remaining);
    Py_XDECREF(s->running_since);
    Py_XDECREF(s->burst_numbers);
    Py_XDECREF(s->on_ready);
    Py_XDECREF(s->pick_next);
    Py_XDECREF(s->time_slice);
    Py_XDECREF(s->on_expired);
    Py_XDECREF(s->on_preempted);
    Py_XDECREF(s->on_burst_end);
    Py_XDECREF(s->preempt);
    Py_XDECREF(s->next_timer);
    Py_XDECREF(s->on_timer);
    Py_XDECREF(s->slice_level);
    Py_XDECREF(s->running);
    Py_XDECREF(s->timeline);
    for (int column = 0; column < 7; column++) {
        Py_XDECREF(s->columns[column]);
    }
    Py_XDECREF(s->io_periods);
    PyBuffer_Release(&s->first_run_view);
    PyBuffer_Release(&s->finish_view);
    PyBuffer_Release(&s->slices_view);
    Py_XDECREF(s->first_run);
    Py_XDECREF(s->finish);
    Py_XDECREF(s->slice_counts);
    PyBuffer_Release(&s->values_view);
    PyBuffer_Release(&s->offsets_view);
    PyBuffer_Release(&s->order_view);
    PyBuffer_Release(&s->arrivals_view);
    PyMem_Free(s->burst_pos);
    Py_XDECREF(s->numpy);
    Py_XDECREF(s->now);
    Py_XDECREF(s->level);
    Py_XDECREF(s->zero);
    Py_XDECREF(s->one);
    if (s->ids != NULL) {
        for (Py_ssize_t i = 0; i < s->n; i++) {
            Py_XDECREF(s->ids[i]);
        }
        PyMem_Free(s->ids);
    }
    PyMem_Free(s->status);
    PyMem_Free(s->charges);
    PyMem_Free(s->charged);
    PyMem_Free(s->switch_sum);
    PyMem_Free(s->heap);
    PyMem_Free(s->chunk);
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

/* -- the loop ------------------------------------------------------------------------------- */

/* The CPU burst ``job`` was running ended at ``t``: it blocks for its next I/O burst
 * (``*io_done`` says until when) or, after its last burst, finishes (``*io_done`` INF).
 * Returns the slice's end reason (BLOCKED or FINISHED), or -1 with an exception set. */
static int
end_burst(Sim *s, Py_ssize_t job, double t, int record, double *io_done)
{
    Py_ssize_t position = burst_position(s, job) + 1;
    if (position >= burst_end_of(s, job)) {
        s->status[job] = (unsigned char)s->DONE;
        s->finish_at[job] = t;
        *io_done = HUGE_VAL;
        return s->FINISHED;
    }
    s->status[job] = (unsigned char)s->BLOCKED_IO;
    s->burst_pos[job] = position + 1;
    *io_done = t + value_at(s, position);
    if (io_push(s, *io_done, t, job) < 0) {
        return -1;
    }
    if (record) {
        PyObject *period =
            Py_BuildValue("(OON)", s->ids[job], s->now, PyFloat_FromDouble(*io_done));
        if (period == NULL || PyList_Append(s->io_periods, period) < 0) {
            Py_XDECREF(period);
            return -1;
        }
        Py_DECREF(period);
    }
    return s->BLOCKED;
}

/* ``on_burst_end(job, ran)`` if the policy has it; ``*ran`` (owned) is consumed. */
static int
finish_burst(Sim *s, Py_ssize_t job, PyObject **ran)
{
    PyObject *value = *ran;
    *ran = NULL;
    if (s->on_burst_end == NULL) {
        Py_DECREF(value);
        return 0;
    }
    return call_job_ran(s->on_burst_end, s->ids[job], value);
}

/* Charge a context switch to ``job``: ``switch_time[job] += context_switch``. */
static inline void
charge_switch(Sim *s, Py_ssize_t job)
{
    if (s->charged != NULL) {
        s->charged[job] = 1;
        s->switch_sum[job] += s->cs;
    }
    else if (s->charges != NULL) {
        s->charges[job]++;
    }
}

static PyObject *
run_loop(Sim *s, int arrivals_first, int record, long long budget)
{
    const Py_ssize_t n = s->n;
    const double INF = HUGE_VAL;
    const double cs = s->cs;
    const int charging = cs != 0;
    const double sliver = s->sliver;
    const int READY = s->READY;
    const int RUNNING = s->RUNNING;
    unsigned char *const status = s->status;
    PyObject **const ids = s->ids;
    PyObject *picked = NULL;
    PyObject *ran_object = NULL; /* what the last slice of a burst ran, for on_burst_end */

    Py_ssize_t ready = 0, done = 0, cursor = 0;
    long long switches = 0;
    /* The CPU: running job (-1 idle), its slice, and the job it ran last. */
    Py_ssize_t cur = -1;
    double cur_end = INF;
    double cur_start = 0;
    double cur_dispatched = 0;
    double granted = 0;
    int completes = 0;
    Py_ssize_t last = -1;
    double t = 0;
    double timer_at = INF;
    Py_ssize_t job;
    double left;

    if (s->next_timer != NULL && ask_timer(s, &timer_at, 1) < 0) {
        goto fail;
    }

    while (done < n) {
        double t_arrival = arrival_at(s, cursor);
        double t_other = s->heap_len ? s->heap[0].done : INF;
        if (timer_at < t_other) {
            t_other = timer_at;
        }
        double t_next = t_arrival < t_other ? t_arrival : t_other;

        /* -- until the next outside event, only the CPU acts ------------------------------ */
        while (cur_end < t_next) {
            t = cur_end;
            if (set_now(s, t) < 0) {
                goto fail;
            }
            job = cur;
            if (clear_running_since(s, job) < 0) {
                goto fail;
            }
            if (completes) {
                if ((ran_object = take_remaining(s, job)) == NULL) {
                    goto fail;
                }
                double io_done;
                int reason = end_burst(s, job, t, record, &io_done);
                if (reason < 0) {
                    goto fail;
                }
                if (reason == s->FINISHED) {
                    done++;
                }
                else if (io_done < t_next) {
                    t_next = io_done;
                }
                if (record && timeline_append(s, job, cur_dispatched, cur_start, t, reason) < 0) {
                    goto fail;
                }
                if (finish_burst(s, job, &ran_object) < 0) {
                    goto fail;
                }
                if (status[job] == s->DONE) {
                    Py_CLEAR(ids[job]); /* its last hook has run */
                }
            }
            else {
                if (get_remaining(s, job, &left) < 0 || set_remaining(s, job, left - granted) < 0) {
                    goto fail;
                }
                status[job] = (unsigned char)READY;
                if (record && timeline_append(s, job, cur_dispatched, cur_start, t, s->EXPIRED) < 0) {
                    goto fail;
                }
                if (call_job(s->on_expired, ids[job]) < 0) {
                    goto fail;
                }
                ready++;
            }
            if (ready) {
                job = pick(s, &picked);
                if (job < 0) {
                    goto fail;
                }
                Py_CLEAR(picked);
                ready--;
                status[job] = (unsigned char)RUNNING;
                if (grant(s, job, &granted) < 0) {
                    goto fail;
                }
                if (job != last) {
                    switches++;
                    last = job;
                    if (charging) {
                        cur_start = t + cs;
                        charge_switch(s, job);
                    }
                    else {
                        cur_start = t;
                    }
                }
                else {
                    cur_start = t;
                }
                if (s->slices[job] == 0) {
                    s->first_run_at[job] = cur_start;
                }
                if (get_remaining(s, job, &left) < 0) {
                    goto fail;
                }
                if (granted >= left || left - granted <= sliver * left) {
                    cur_end = cur_start + left;
                    completes = 1;
                }
                else {
                    cur_end = cur_start + granted;
                    completes = 0;
                }
                cur = job;
                cur_dispatched = t;
                if (set_running_since(s, job, cur_start) < 0 || take_level(s, job) < 0) {
                    goto fail;
                }
                s->slices[job]++;
                if (--budget == 0) {
                    goto too_many_slices;
                }
            }
            else {
                cur = -1;
                cur_end = INF;
            }
            if (s->next_timer != NULL) {
                if (ask_timer(s, &timer_at, 0) < 0) {
                    goto fail;
                }
                if (timer_at < t_next) {
                    t_next = timer_at;
                }
            }
        }
        if (done == n) {
            break;
        }

        /* -- the next instant involves an outside event --------------------------------- */
        t_arrival = arrival_at(s, cursor);
        t_other = s->heap_len ? s->heap[0].done : INF;
        if (timer_at < t_other) {
            t_other = timer_at;
        }
        if (t_arrival < cur_end && t_arrival < t_other && arrival_at(s, cursor + 1) != t_arrival) {
            /* One process arrives, and nothing else happens at this time. */
            t = t_arrival;
            if (set_now(s, t) < 0) {
                goto fail;
            }
            job = arriving_job(s, cursor);
            if (job < 0) {
                goto fail;
            }
            cursor++;
            if (start_burst(s, job) < 0) {
                goto fail;
            }
            status[job] = (unsigned char)READY;
            if (call_job(s->on_ready, ids[job]) < 0) {
                goto fail;
            }
            ready++;
        }
        else {
            /* The general instant: several events at t, I/O completions, timers. */
            t = cur_end;
            if (t_arrival < t) {
                t = t_arrival;
            }
            if (t_other < t) {
                t = t_other;
            }
            if (t == INF) {
                raise_from_helper(s, "_stuck",
                                  Py_BuildValue("(Onn)", s->policy, ready, n - done));
                goto fail;
            }
            if (set_now(s, t) < 0) {
                goto fail;
            }
            Py_ssize_t expired = -1;
            if (cur_end == t) { /* 1. the CPU releases */
                int reason;
                job = cur;
                if (clear_running_since(s, job) < 0) {
                    goto fail;
                }
                cur = -1;
                cur_end = INF;
                if (completes) {
                    if ((ran_object = take_remaining(s, job)) == NULL) {
                        goto fail;
                    }
                    double io_done;
                    reason = end_burst(s, job, t, record, &io_done);
                    if (reason < 0) {
                        goto fail;
                    }
                    if (reason == s->FINISHED) {
                        done++;
                    }
                    if (finish_burst(s, job, &ran_object) < 0) {
                        goto fail;
                    }
                    if (status[job] == s->DONE) {
                        Py_CLEAR(ids[job]); /* its last hook has run */
                    }
                }
                else {
                    if (get_remaining(s, job, &left) < 0 ||
                        set_remaining(s, job, left - granted) < 0) {
                        goto fail;
                    }
                    status[job] = (unsigned char)READY;
                    expired = job;
                    reason = s->EXPIRED;
                }
                if (record && timeline_append(s, job, cur_dispatched, cur_start, t, reason) < 0) {
                    goto fail;
                }
            }
            /* 2. jobs become ready */
            if (expired >= 0 && !arrivals_first) {
                if (call_job(s->on_expired, ids[expired]) < 0) {
                    goto fail;
                }
                ready++;
            }
            while (arrival_at(s, cursor) == t) {
                job = arriving_job(s, cursor);
                if (job < 0) {
                    goto fail;
                }
                cursor++;
                if (start_burst(s, job) < 0) {
                    goto fail;
                }
                status[job] = (unsigned char)READY;
                if (call_job(s->on_ready, ids[job]) < 0) {
                    goto fail;
                }
                ready++;
            }
            while (s->heap_len && s->heap[0].done == t) {
                job = io_pop(s);
                if (start_burst(s, job) < 0) {
                    goto fail;
                }
                if (bump_burst_number(s, job) < 0) {
                    goto fail;
                }
                status[job] = (unsigned char)READY;
                if (call_job(s->on_ready, ids[job]) < 0) {
                    goto fail;
                }
                ready++;
            }
            if (expired >= 0 && arrivals_first) {
                if (call_job(s->on_expired, ids[expired]) < 0) {
                    goto fail;
                }
                ready++;
            }
            if (timer_at == t) {
                if (--budget == 0) { /* timer events count against the limit like slices */
                    goto too_many_slices;
                }
                PyObject *restart = PyObject_CallNoArgs(s->on_timer);
                if (restart == NULL) {
                    goto fail;
                }
                int truth = PyObject_IsTrue(restart);
                Py_DECREF(restart);
                if (truth < 0) {
                    goto fail;
                }
                if (truth && cur >= 0) { /* restart the running slice now */
                    double ran = t - cur_start;
                    if (ran > 0) {
                        if (get_remaining(s, cur, &left) < 0 ||
                            set_remaining(s, cur, left - ran) < 0) {
                            goto fail;
                        }
                        if (record &&
                            timeline_append(s, cur, cur_dispatched, cur_start, t, s->RESLICED) <
                                0) {
                            goto fail;
                        }
                        cur_dispatched = t;
                        cur_start = t;
                    }
                    if (grant(s, cur, &granted) < 0) {
                        goto fail;
                    }
                    if (get_remaining(s, cur, &left) < 0) {
                        goto fail;
                    }
                    completes = granted >= left || left - granted <= sliver * left;
                    cur_end = cur_start + (completes ? left : granted);
                    if (set_running_since(s, cur, cur_start) < 0 || take_level(s, cur) < 0) {
                        goto fail;
                    }
                }
            }
        }

        /* -- 3. preemption (something became ready at t) -------------------------------- */
        Py_ssize_t victim_now = -1;
        if (s->preempt != NULL && cur >= 0 && ready) {
            Py_INCREF(ids[cur]);
            if (PyList_SetItem(s->running, 0, ids[cur]) < 0) {
                goto fail;
            }
            PyObject *victim = PyObject_CallOneArg(s->preempt, s->running);
            if (victim == NULL) {
                goto fail;
            }
            if (victim != Py_None) {
                int other = PyObject_RichCompareBool(victim, ids[cur], Py_NE);
                if (other != 0) {
                    if (other > 0) {
                        raise_policy_error(
                            s, "asked to preempt job %R at time %S, which is not running", victim,
                            s->now);
                    }
                    Py_DECREF(victim);
                    goto fail;
                }
                Py_DECREF(victim);
                double ran = t - cur_start;
                int ran_is_int = 0;
                if (ran < 0) { /* preempted while the context switch was still in progress */
                    ran = 0;
                    ran_is_int = 1; /* the Python loop passes the int 0 */
                }
                if (get_remaining(s, cur, &left) < 0) {
                    goto fail;
                }
                left = left - ran;
                if (left > 0 && set_remaining(s, cur, left) < 0) {
                    goto fail;
                }
                if (record && timeline_append(s, cur, cur_dispatched, t < cur_start ? t : cur_start,
                                              t, s->PREEMPTED) < 0) {
                    goto fail;
                }
                if (clear_running_since(s, cur) < 0) {
                    goto fail;
                }
                status[cur] = (unsigned char)READY;
                victim_now = cur;
                cur = -1;
                cur_end = INF;
                if (call_job_ran(s->on_preempted, ids[victim_now],
                                 ran_is_int ? Py_NewRef(s->zero) : PyFloat_FromDouble(ran)) < 0) {
                    goto fail;
                }
                ready++;
            }
            else {
                Py_DECREF(victim);
            }
        }

        /* -- 4. dispatch ------------------------------------------------------------------ */
        if (cur < 0 && ready) {
            job = pick(s, &picked);
            if (job < 0) {
                goto fail;
            }
            if (job == victim_now) {
                raise_policy_error(s, "preempted job %S at time %S and then picked it again",
                                   picked, s->now);
                goto fail;
            }
            ready--;
            status[job] = (unsigned char)RUNNING;
            if (grant(s, job, &granted) < 0) {
                goto fail;
            }
            if (job != last) {
                switches++;
                last = job;
                cur_start = t + cs;
                charge_switch(s, job);
            }
            else {
                cur_start = t;
            }
            if (s->slices[job] == 0) {
                s->first_run_at[job] = cur_start;
            }
            if (get_remaining(s, job, &left) < 0) {
                goto fail;
            }
            completes = granted >= left || left - granted <= sliver * left;
            cur_end = cur_start + (completes ? left : granted);
            cur = job;
            cur_dispatched = t;
            if (set_running_since(s, job, cur_start) < 0 || take_level(s, job) < 0) {
                goto fail;
            }
            s->slices[job]++;
            if (--budget == 0) {
                goto too_many_slices;
            }
            if (victim_now >= 0) { /* the policy may not preempt the job it just placed */
                Py_INCREF(ids[job]);
                if (PyList_SetItem(s->running, 0, ids[job]) < 0) {
                    goto fail;
                }
                PyObject *again = PyObject_CallOneArg(s->preempt, s->running);
                if (again == NULL) {
                    goto fail;
                }
                int placed_again = again != Py_None;
                Py_DECREF(again);
                if (placed_again) {
                    raise_policy_error(s,
                                       "asked to preempt job %S at time %S, which it placed on "
                                       "a CPU at this same instant",
                                       picked, s->now);
                    goto fail;
                }
            }
            Py_CLEAR(picked);
        }

        if (s->next_timer != NULL && ask_timer(s, &timer_at, 0) < 0) {
            goto fail;
        }
    }

    return build_trace(s, switches);

too_many_slices:
    raise_from_helper(s, "_too_many_slices", PyTuple_Pack(2, s->max_slices, s->now));
fail:
    Py_XDECREF(picked);
    Py_XDECREF(ran_object);
    return NULL;
}

PyDoc_STRVAR(run_single_doc,
             "run_single(state, context_switch, arrivals_first, record, max_slices)\n--\n\n"
             "schedsim.engine._run_single for a float workload, compiled: identical results.");

/* The arguments both loops take after their own: ``context_switch, arrivals_first, record,
 * max_slices`` (``args[0..3]``) into ``sim`` (zeroed first) and the flags; the budget is
 * max_slices if > 0 else -1, a budget that never reaches 0. */
static int
loop_arguments(PyObject *state, PyObject *const *args, Sim *sim, int *arrivals_first,
               int *record, long long *budget)
{
    *arrivals_first = PyObject_IsTrue(args[1]);
    *record = PyObject_IsTrue(args[2]);
    if (*arrivals_first < 0 || *record < 0) {
        return -1;
    }
    int overflow = 0;
    *budget = PyLong_AsLongLongAndOverflow(args[3], &overflow);
    if (*budget == -1 && !overflow && PyErr_Occurred()) {
        return -1;
    }
    if (overflow || *budget <= 0) {
        *budget = -1;
    }
    memset(sim, 0, sizeof(*sim));
    sim->state = state;
    sim->context_switch = args[0];
    sim->max_slices = args[3];
    return 0;
}

static PyObject *
run_single(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "run_single() takes 5 arguments (%zd given)", nargs);
        return NULL;
    }
    Sim sim;
    int arrivals_first, record;
    long long budget;
    if (loop_arguments(args[0], args + 1, &sim, &arrivals_first, &record, &budget) < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    if (sim_setup(&sim) == 0 &&
        (!record || optional_hook(&sim, "slice_level", &sim.slice_level) == 0) &&
        (!record || sim_setup_timeline(&sim) == 0)) {
        result = run_loop(&sim, arrivals_first, record, budget);
    }
    sim_free(&sim);
    return result;
}

/* -- the multi-CPU loop ------------------------------------------------------------------------ *
 *
 * ``run_general(state, cpus, context_switch, arrivals_first, record, max_slices)`` translates
 * ``schedsim.engine._run_general`` as ``run_single`` translates ``_run_single``: the same
 * hooks in the same order with the same arguments, the shared state written at the same
 * moments, the same double operations in the same order.  Per-CPU state lives in C arrays. */

typedef struct {
    int cpus;
    Py_ssize_t *job;        /* running job, -1 when idle */
    double *end;            /* when its slice ends (INF when idle) */
    double *start;          /* when the job started executing (after any switch) */
    double *dispatched;     /* when it was dispatched */
    double *slice;          /* the slice it was granted */
    unsigned char *completes;
    Py_ssize_t *last;       /* the job it ran last */
    PyObject **level;       /* slice_level() of the running slice, NULL for -1 */
    Py_ssize_t *last_cpu;   /* per job: the CPU it ran on last, -1 if none */
} Cpus;

static void
cpus_free(Cpus *c)
{
    if (c->level != NULL) {
        for (int cpu = 0; cpu < c->cpus; cpu++) {
            Py_XDECREF(c->level[cpu]);
        }
    }
    PyMem_Free(c->job);
    PyMem_Free(c->end);
    PyMem_Free(c->start);
    PyMem_Free(c->dispatched);
    PyMem_Free(c->slice);
    PyMem_Free(c->completes);
    PyMem_Free(c->last);
    PyMem_Free(c->level);
    PyMem_Free(c->last_cpu);
}

static int
cpus_setup(Cpus *c, int cpus, Py_ssize_t n)
{
    size_t k = (size_t)cpus;
    c->cpus = cpus;
    c->job = PyMem_Calloc(k, sizeof(Py_ssize_t));
    c->end = PyMem_Calloc(k, sizeof(double));
    c->start = PyMem_Calloc(k, sizeof(double));
    c->dispatched = PyMem_Calloc(k, sizeof(double));
    c->slice = PyMem_Calloc(k, sizeof(double));
    c->completes = PyMem_Calloc(k, 1);
    c->last = PyMem_Calloc(k, sizeof(Py_ssize_t));
    c->level = PyMem_Calloc(k, sizeof(PyObject *));
    c->last_cpu = PyMem_Calloc((size_t)n + 1, sizeof(Py_ssize_t));
    if (c->job == NULL || c->end == NULL || c->start == NULL || c->dispatched == NULL ||
        c->slice == NULL || c->completes == NULL || c->last == NULL || c->level == NULL ||
        c->last_cpu == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int cpu = 0; cpu < cpus; cpu++) {
        c->job[cpu] = -1;
        c->end[cpu] = HUGE_VAL;
        c->last[cpu] = -1;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        c->last_cpu[j] = -1;
    }
    return 0;
}

/* ``level = slice_level(job)`` for one CPU (the general loop asks even when not recording). */
static inline int
take_cpu_level(Sim *s, Cpus *c, int cpu, Py_ssize_t job)
{
    if (s->slice_level == NULL) {
        return 0;
    }
    PyObject *level = PyObject_CallOneArg(s->slice_level, s->ids[job]);
    if (level == NULL) {
        return -1;
    }
    Py_XSETREF(c->level[cpu], level);
    return 0;
}

/* ``dispatch(cpu, job, now)`` of the Python loop. */
static int
general_dispatch(Sim *s, Cpus *c, int cpu, Py_ssize_t job, double now, long long *switches,
                 long long *budget)
{
    double granted, left, start;
    s->status[job] = (unsigned char)s->RUNNING;
    if (grant(s, job, &granted) < 0) {
        return -1;
    }
    if (c->last[cpu] != job) {
        (*switches)++;
        start = now + s->cs;
        charge_switch(s, job);
    }
    else {
        start = now;
    }
    if (s->slices[job] == 0) {
        s->first_run_at[job] = start;
    }
    if (get_remaining(s, job, &left) < 0) {
        return -1;
    }
    if (granted >= left || left - granted <= s->sliver * left) {
        c->end[cpu] = start + left;
        c->completes[cpu] = 1;
    }
    else {
        c->end[cpu] = start + granted;
        c->completes[cpu] = 0;
    }
    c->job[cpu] = job;
    c->start[cpu] = start;
    c->dispatched[cpu] = now;
    c->slice[cpu] = granted;
    c->last[cpu] = job;
    c->last_cpu[job] = cpu;
    if (set_running_since(s, job, start) < 0 || take_cpu_level(s, c, cpu, job) < 0) {
        return -1;
    }
    s->slices[job]++;
    if (--(*budget) == 0) {
        raise_from_helper(s, "_too_many_slices", PyTuple_Pack(2, s->max_slices, s->now));
        return -1;
    }
    return 0;
}

/* ``reslice(now)``: restart the slice of every running job (the policy asked for it). */
static int
general_reslice(Sim *s, Cpus *c, double now, int record)
{
    double left, granted;
    for (int cpu = 0; cpu < c->cpus; cpu++) {
        Py_ssize_t job = c->job[cpu];
        if (job < 0) {
            continue;
        }
        double ran = now - c->start[cpu];
        if (ran > 0) {
            if (get_remaining(s, job, &left) < 0 || set_remaining(s, job, left - ran) < 0) {
                return -1;
            }
            if (record && timeline_put(s, cpu, c->level[cpu], job, c->dispatched[cpu],
                                       c->start[cpu], now, s->RESLICED) < 0) {
                return -1;
            }
            c->dispatched[cpu] = now;
            c->start[cpu] = now;
        }
        if (grant(s, job, &granted) < 0 || get_remaining(s, job, &left) < 0) {
            return -1;
        }
        double start = c->start[cpu];
        int completes = granted >= left || left - granted <= s->sliver * left;
        c->completes[cpu] = (unsigned char)completes;
        c->end[cpu] = start + (completes ? left : granted);
        c->slice[cpu] = granted;
        if (set_running_since(s, job, start) < 0 || take_cpu_level(s, c, cpu, job) < 0) {
            return -1;
        }
    }
    return 0;
}

/* ``cpu = last_cpu[victim]`` for the object preempt() returned (already known to equal a
 * running job): its index, with Python's list-indexing errors for other types. */
static Py_ssize_t
victim_index(Sim *s, PyObject *victim)
{
    Py_ssize_t index;
    if (PyLong_Check(victim) || PyIndex_Check(victim)) {
        index = PyNumber_AsSsize_t(victim, PyExc_IndexError);
        if (index == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "list indices must be integers or slices, not %.200s",
                     Py_TYPE(victim)->tp_name);
        return -1;
    }
    if (index < 0) {
        index += s->n;
    }
    if (index < 0 || index >= s->n) {
        PyErr_SetString(PyExc_IndexError, "list index out of range");
        return -1;
    }
    return index;
}

/* The Python loop's preemption step: while more jobs are ready than CPUs are free, ask
 * preempt() for a victim, take it off its CPU and put the policy's next pick there. */
static int
general_preempt(Sim *s, Cpus *c, double t, Py_ssize_t ready, long long *switches,
                long long *budget, int record)
{
    int free_cpus = 0;
    for (int cpu = 0; cpu < c->cpus; cpu++) {
        free_cpus += c->job[cpu] == -1;
    }
    PyObject *placed = PySet_New(NULL);
    PyObject *running = NULL, *victim = NULL, *picked = NULL;
    int result = -1;
    if (placed == NULL) {
        return -1;
    }
    while (ready > free_cpus) {
        Py_CLEAR(running);
        running = PyList_New(0);
        if (running == NULL) {
            goto done;
        }
        for (int cpu = 0; cpu < c->cpus; cpu++) {
            if (c->job[cpu] >= 0 && PyList_Append(running, s->ids[c->job[cpu]]) < 0) {
                goto done;
            }
        }
        if (PyList_GET_SIZE(running) == 0) {
            break;
        }
        Py_CLEAR(victim);
        victim = PyObject_CallOneArg(s->preempt, running);
        if (victim == NULL) {
            goto done;
        }
        if (victim == Py_None) {
            break;
        }
        int is_running = PySequence_Contains(running, victim);
        if (is_running < 0) {
            goto done;
        }
        int was_placed = is_running ? PySet_Contains(placed, victim) : 0;
        if (was_placed < 0) {
            goto done;
        }
        if (!is_running || was_placed) {
            if (!was_placed) { /* the message asks again, as the Python loop does */
                was_placed = PySet_Contains(placed, victim);
                if (was_placed < 0) {
                    goto done;
                }
            }
            raise_policy_error(s, "asked to preempt job %R at time %S, %s", victim, s->now,
                               was_placed ? "which it placed on a CPU at this same instant"
                                          : "which is not running");
            goto done;
        }
        Py_ssize_t gone = victim_index(s, victim);
        if (gone < 0) {
            goto done;
        }
        int cpu = (int)c->last_cpu[gone];
        double ran = t - c->start[cpu];
        int ran_is_int = 0;
        if (ran < 0) { /* preempted while the context switch was still in progress */
            ran = 0;
            ran_is_int = 1; /* the Python loop passes the int 0 */
        }
        double left;
        if (get_remaining(s, gone, &left) < 0) {
            goto done;
        }
        left = left - ran;
        if (left > 0 && set_remaining(s, gone, left) < 0) {
            goto done;
        }
        if (record && timeline_put(s, cpu, c->level[cpu], gone, c->dispatched[cpu],
                                   t < c->start[cpu] ? t : c->start[cpu], t, s->PREEMPTED) < 0) {
            goto done;
        }
        if (clear_running_since(s, gone) < 0) {
            goto done;
        }
        s->status[gone] = (unsigned char)s->READY;
        c->job[cpu] = -1;
        c->end[cpu] = HUGE_VAL;
        if (call_job_ran(s->on_preempted, victim,
                         ran_is_int ? Py_NewRef(s->zero) : PyFloat_FromDouble(ran)) < 0) {
            goto done;
        }
        Py_CLEAR(picked);
        picked = PyObject_CallNoArgs(s->pick_next);
        if (picked == NULL) {
            goto done;
        }
        int again = PyObject_RichCompareBool(picked, victim, Py_EQ);
        if (again < 0) {
            goto done;
        }
        if (again) {
            raise_policy_error(s, "preempted job %S at time %S and then picked it again", victim,
                               s->now);
            goto done;
        }
        Py_ssize_t job = pick_check(s, picked);
        if (job < 0) {
            goto done;
        }
        if (general_dispatch(s, c, cpu, job, t, switches, budget) < 0) {
            goto done;
        }
        if (PySet_Add(placed, picked) < 0) {
            goto done;
        }
    }
    result = 0;
done:
    Py_XDECREF(placed);
    Py_XDECREF(running);
    Py_XDECREF(victim);
    Py_XDECREF(picked);
    return result;
}

static PyObject *
run_general_loop(Sim *s, Cpus *c, int arrivals_first, int record, long long budget)
{
    const Py_ssize_t n = s->n;
    const int cpus = c->cpus;
    const double INF = HUGE_VAL;
    unsigned char *const status = s->status;
    PyObject **const ids = s->ids;
    PyObject *ran_object = NULL;
    Py_ssize_t *expired = PyMem_Calloc((size_t)cpus, sizeof(Py_ssize_t));
    Py_ssize_t ready = 0, done = 0, cursor = 0;
    long long switches = 0;
    double timer_at = INF;
    double left;

    if (expired == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (s->next_timer != NULL && ask_timer(s, &timer_at, 1) < 0) {
        goto fail;
    }
    while (done < n) {
        /* -- the next instant -------------------------------------------------------------- */
        double t = arrival_at(s, cursor);
        for (int cpu = 0; cpu < cpus; cpu++) {
            if (c->end[cpu] < t) {
                t = c->end[cpu];
            }
        }
        if (s->heap_len && s->heap[0].done < t) {
            t = s->heap[0].done;
        }
        if (timer_at < t) {
            t = timer_at;
        }
        if (t == INF) {
            raise_from_helper(s, "_stuck", Py_BuildValue("(Onn)", s->policy, ready, n - done));
            goto fail;
        }
        if (set_now(s, t) < 0) {
            goto fail;
        }

        /* -- 1. CPUs release ------------------------------------------------------------- */
        int expired_count = 0;
        for (int cpu = 0; cpu < cpus; cpu++) {
            if (c->end[cpu] != t) {
                continue;
            }
            Py_ssize_t job = c->job[cpu];
            int reason;
            if (clear_running_since(s, job) < 0) {
                goto fail;
            }
            c->job[cpu] = -1;
            c->end[cpu] = INF;
            if (c->completes[cpu]) {
                if ((ran_object = take_remaining(s, job)) == NULL) {
                    goto fail;
                }
                double io_done;
                reason = end_burst(s, job, t, record, &io_done);
                if (reason < 0) {
                    goto fail;
                }
                if (reason == s->FINISHED) {
                    done++;
                }
                if (finish_burst(s, job, &ran_object) < 0) {
                    goto fail;
                }
            }
            else {
                if (get_remaining(s, job, &left) < 0 ||
                    set_remaining(s, job, left - c->slice[cpu]) < 0) {
                    goto fail;
                }
                status[job] = (unsigned char)s->READY;
                expired[expired_count++] = job;
                reason = s->EXPIRED;
            }
            if (record && timeline_put(s, cpu, c->level[cpu], job, c->dispatched[cpu],
                                       c->start[cpu], t, reason) < 0) {
                goto fail;
            }
            if (status[job] == s->DONE) {
                Py_CLEAR(ids[job]); /* its last hook has run */
            }
        }

        /* -- 2. jobs become ready ------------------------------------------------------- */
        int became_ready = 0;
        if (expired_count && !arrivals_first) {
            for (int i = 0; i < expired_count; i++) {
                if (call_job(s->on_expired, ids[expired[i]]) < 0) {
                    goto fail;
                }
            }
            ready += expired_count;
            became_ready = 1;
        }
        while (cursor < n && arrival_at(s, cursor) == t) {
            Py_ssize_t job = arriving_job(s, cursor);
            if (job < 0) {
                goto fail;
            }
            cursor++;
            if (start_burst(s, job) < 0) {
                goto fail;
            }
            status[job] = (unsigned char)s->READY;
            if (call_job(s->on_ready, ids[job]) < 0) {
                goto fail;
            }
            ready++;
            became_ready = 1;
        }
        while (s->heap_len && s->heap[0].done == t) {
            Py_ssize_t job = io_pop(s);
            if (start_burst(s, job) < 0 || bump_burst_number(s, job) < 0) {
                goto fail;
            }
            status[job] = (unsigned char)s->READY;
            if (call_job(s->on_ready, ids[job]) < 0) {
                goto fail;
            }
            ready++;
            became_ready = 1;
        }
        if (expired_count && arrivals_first) {
            for (int i = 0; i < expired_count; i++) {
                if (call_job(s->on_expired, ids[expired[i]]) < 0) {
                    goto fail;
                }
            }
            ready += expired_count;
            became_ready = 1;
        }
        if (timer_at == t) {
            if (--budget == 0) { /* timer events count against the limit like slices */
                raise_from_helper(s, "_too_many_slices", PyTuple_Pack(2, s->max_slices, s->now));
                goto fail;
            }
            PyObject *restart = PyObject_CallNoArgs(s->on_timer);
            if (restart == NULL) {
                goto fail;
            }
            int truth = PyObject_IsTrue(restart);
            Py_DECREF(restart);
            if (truth < 0 || (truth && general_reslice(s, c, t, record) < 0)) {
                goto fail;
            }
            became_ready = 1;
        }

        /* -- 3. preemption ----------------------------------------------------------------- */
        if (s->preempt != NULL && became_ready && ready &&
            general_preempt(s, c, t, ready, &switches, &budget, record) < 0) {
            goto fail;
        }

        /* -- 4. dispatch ------------------------------------------------------------------- */
        while (ready) {
            int cpu = -1;
            for (int k = 0; k < cpus; k++) {
                if (c->job[k] == -1) {
                    cpu = k;
                    break;
                }
            }
            if (cpu < 0) {
                break;
            }
            PyObject *picked = NULL;
            Py_ssize_t job = pick(s, &picked);
            Py_XDECREF(picked);
            if (job < 0) {
                goto fail;
            }
            ready--;
            Py_ssize_t before = c->last_cpu[job];
            if (before >= 0 && c->job[before] == -1) {
                cpu = (int)before;
            }
            if (general_dispatch(s, c, cpu, job, t, &switches, &budget) < 0) {
                goto fail;
            }
        }

        if (s->next_timer != NULL && ask_timer(s, &timer_at, 0) < 0) {
            goto fail;
        }
    }
    PyMem_Free(expired);
    return build_trace(s, switches);

fail:
    PyMem_Free(expired);
    Py_XDECREF(ran_object);
    return NULL;
}

PyDoc_STRVAR(run_general_doc,
             "run_general(state, cpus, context_switch, arrivals_first, record, max_slices)\n--\n\n"
             "schedsim.engine._run_general for a float workload, compiled: identical results.");

static PyObject *
run_general(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 6) {
        PyErr_Format(PyExc_TypeError, "run_general() takes 6 arguments (%zd given)", nargs);
        return NULL;
    }
    long cpus = PyLong_AsLong(args[1]);
    if (cpus == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (cpus < 1 || cpus > INT16_MAX) {
        PyErr_Format(PyExc_ValueError, "run_general(): cpus must be from 1 to %d", INT16_MAX);
        return NULL;
    }
    Sim sim;
    int arrivals_first, record;
    long long budget;
    if (loop_arguments(args[0], args + 2, &sim, &arrivals_first, &record, &budget) < 0) {
        return NULL;
    }
    Cpus c;
    memset(&c, 0, sizeof(c));
    PyObject *result = NULL;
    if (sim_setup(&sim) == 0 && optional_hook(&sim, "slice_level", &sim.slice_level) == 0 &&
        (!record || sim_setup_timeline(&sim) == 0) && cpus_setup(&c, (int)cpus, sim.n) == 0) {
        result = run_general_loop(&sim, &c, arrivals_first, record, budget);
    }
    cpus_free(&c);
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

/* -- MLFQCore: the ready structure and accounting of schedsim.policies.mlfq, compiled --------- *
 *
 * The Python hooks in ``schedsim/policies/mlfq.py`` are the specification: each method here
 * does what the hook of the same name does, with the same double operations in the same
 * order, so a float workload gives bit-identical schedules.  MLFQ binds its hooks to these
 * methods for float workloads (integer workloads keep exact Python-integer arithmetic).
 *
 * Each level's queue is a singly linked list threaded through one ``next`` array (a job is in
 * at most one queue at a time), so a boost merges the queues by splicing and memory does not
 * grow with the number of levels. */

#define MLFQ_MAX_LEVELS 64
/* A remainder this close (relative to the quantum) to a quantum boundary is the boundary, and
 * use this close below an allotment reaches it: float sums such as 0.1 + 0.2 + ... land a few
 * ulps off, and a slice of a few ulps would end at the instant it starts. */
#define MLFQ_TOLERANCE 1e-9
#define MLFQ_SEEN 1
#define MLFQ_QUEUED 2

typedef struct {
    PyObject_HEAD
    Py_ssize_t n;
    int levels;
    int bottom;
    int io_resets;
    double quanta[MLFQ_MAX_LEVELS];
    double allotments[MLFQ_MAX_LEVELS];
    double thresholds[MLFQ_MAX_LEVELS]; /* allotment * (1 - tolerance) */
    Py_ssize_t head[MLFQ_MAX_LEVELS];   /* -1 for an empty queue */
    Py_ssize_t tail[MLFQ_MAX_LEVELS];
    Py_ssize_t length[MLFQ_MAX_LEVELS];
    Py_ssize_t *next;                   /* the job behind each queued job, -1 at a tail */
    unsigned char *level;
    unsigned char *flags;               /* MLFQ_SEEN | MLFQ_QUEUED */
    double *used;
    double *granted;
} MLFQCore;

/* Python's float ``x % w`` (fmod, with the result taking the divisor's sign). */
static inline double
python_float_mod(double x, double w)
{
    double mod = fmod(x, w);
    if (mod != 0.0) {
        if ((w < 0) != (mod < 0)) {
            mod += w;
        }
    }
    else {
        mod = copysign(0.0, w);
    }
    return mod;
}

/* The job id ``value`` as an index, or -1 with IndexError/TypeError set. */
static inline Py_ssize_t
core_job(MLFQCore *core, PyObject *value)
{
    Py_ssize_t job = PyNumber_AsSsize_t(value, PyExc_IndexError);
    if (job == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (job < 0 || job >= core->n) {
        PyErr_Format(PyExc_IndexError, "MLFQCore: job %zd out of range (%zd jobs)", job,
                     core->n);
        return -1;
    }
    return job;
}

static inline int
core_ran(PyObject *value, double *out)
{
    double ran = PyFloat_AsDouble(value);
    if (ran == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    *out = ran;
    return 0;
}

static inline int
core_check_not_queued(MLFQCore *core, Py_ssize_t job)
{
    if (core->flags[job] & MLFQ_QUEUED) {
        PyErr_Format(PyExc_ValueError, "MLFQCore: job %zd is already in a ready queue", job);
        return -1;
    }
    return 0;
}

static inline void
core_append(MLFQCore *core, int level, Py_ssize_t job)
{
    core->next[job] = -1;
    if (core->tail[level] < 0) {
        core->head[level] = job;
    }
    else {
        core->next[core->tail[level]] = job;
    }
    core->tail[level] = job;
    core->length[level]++;
    core->flags[job] |= MLFQ_QUEUED;
}

static inline void
core_append_left(MLFQCore *core, int level, Py_ssize_t job)
{
    core->next[job] = core->head[level];
    if (core->head[level] < 0) {
        core->tail[level] = job;
    }
    core->head[level] = job;
    core->length[level]++;
    core->flags[job] |= MLFQ_QUEUED;
}

/* ``_charge``: add ``ran`` to the job's use at its level; move it down at its allotment. */
static inline int
core_charge(MLFQCore *core, Py_ssize_t job, double ran)
{
    int level = core->level[job];
    double used = core->used[job] + ran;
    if (level < core->bottom && used >= core->thresholds[level]) {
        level += 1;
        core->level[job] = (unsigned char)level;
        used = 0.0;
    }
    core->used[job] = used;
    return level;
}

static void
core_free_arrays(MLFQCore *core)
{
    PyMem_Free(core->next);
    PyMem_Free(core->level);
    PyMem_Free(core->flags);
    PyMem_Free(core->used);
    PyMem_Free(core->granted);
    core->next = NULL;
    core->level = NULL;
    core->flags = NULL;
    core->used = NULL;
    core->granted = NULL;
}

static void
core_dealloc(MLFQCore *core)
{
    core_free_arrays(core);
    Py_TYPE(core)->tp_free((PyObject *)core);
}

/* Read a sequence of positive numbers (inf allowed) into ``out``; returns its length. */
static Py_ssize_t
core_read_times(PyObject *values, const char *what, double *out)
{
    PyObject *items = PySequence_Fast(values, "MLFQCore: quanta and allotments must be sequences");
    if (items == NULL) {
        return -1;
    }
    Py_ssize_t size = PySequence_Fast_GET_SIZE(items);
    if (size < 1 || size > MLFQ_MAX_LEVELS) {
        PyErr_Format(PyExc_ValueError, "MLFQCore: %s: expected 1 to %d values, got %zd", what,
                     MLFQ_MAX_LEVELS, size);
        Py_DECREF(items);
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        double value = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(items, i));
        if (value == -1.0 && PyErr_Occurred()) {
            Py_DECREF(items);
            return -1;
        }
        if (!(value > 0)) {
            PyErr_Format(PyExc_ValueError, "MLFQCore: %s: level %zd must be > 0", what, i);
            Py_DECREF(items);
            return -1;
        }
        out[i] = value;
    }
    Py_DECREF(items);
    return size;
}

static PyObject *
core_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"jobs", "quanta", "allotments", "io_resets", NULL};
    Py_ssize_t n;
    PyObject *quanta;
    PyObject *allotments;
    int io_resets = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nOO|p:MLFQCore", keywords, &n, &quanta,
                                     &allotments, &io_resets)) {
        return NULL;
    }
    if (n < 0) {
        PyErr_Format(PyExc_ValueError, "MLFQCore: jobs must be >= 0, got %zd", n);
        return NULL;
    }
    MLFQCore *core = (MLFQCore *)type->tp_alloc(type, 0);
    if (core == NULL) {
        return NULL;
    }
    Py_ssize_t levels = core_read_times(quanta, "quanta", core->quanta);
    if (levels < 0) {
        Py_DECREF(core);
        return NULL;
    }
    Py_ssize_t allotment_levels = core_read_times(allotments, "allotments", core->allotments);
    if (allotment_levels < 0) {
        Py_DECREF(core);
        return NULL;
    }
    if (allotment_levels != levels) {
        PyErr_Format(PyExc_ValueError,
                     "MLFQCore: %zd quanta but %zd allotments (one of each per level)", levels,
                     allotment_levels);
        Py_DECREF(core);
        return NULL;
    }
    core->n = n;
    core->levels = (int)levels;
    core->bottom = (int)levels - 1;
    core->io_resets = io_resets;
    for (int level = 0; level < core->levels; level++) {
        core->thresholds[level] = core->allotments[level] * (1.0 - MLFQ_TOLERANCE);
        core->head[level] = -1;
        core->tail[level] = -1;
        core->length[level] = 0;
    }
    size_t count = n > 0 ? (size_t)n : 1;
    core->next = PyMem_New(Py_ssize_t, count);
    core->level = PyMem_Calloc(count, 1);
    core->flags = PyMem_Calloc(count, 1);
    core->used = PyMem_Calloc(count, sizeof(double));
    core->granted = PyMem_Calloc(count, sizeof(double));
    if (core->next == NULL || core->level == NULL || core->flags == NULL || core->used == NULL ||
        core->granted == NULL) {
        Py_DECREF(core);
        return PyErr_NoMemory();
    }
    return (PyObject *)core;
}

PyDoc_STRVAR(core_on_ready_doc,
             "on_ready(job)\n--\n\nA new job enters the top level; one back from I/O keeps "
             "its level and accounting.");

static PyObject *
core_on_ready(MLFQCore *core, PyObject *argument)
{
    Py_ssize_t job = core_job(core, argument);
    if (job < 0 || core_check_not_queued(core, job) < 0) {
        return NULL;
    }
    if (core->flags[job] & MLFQ_SEEN) {
        core_append(core, core->level[job], job);
    }
    else {
        core->flags[job] |= MLFQ_SEEN;
        core_append(core, 0, job);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(core_pick_next_doc,
             "pick_next()\n--\n\nRemove and return the head of the highest non-empty queue.");

static PyObject *
core_pick_next(MLFQCore *core, PyObject *Py_UNUSED(ignored))
{
    for (int level = 0; level < core->levels; level++) {
        Py_ssize_t job = core->head[level];
        if (job >= 0) {
            Py_ssize_t behind = core->next[job];
            core->head[level] = behind;
            if (behind < 0) {
                core->tail[level] = -1;
            }
            core->length[level]--;
            core->flags[job] &= (unsigned char)~MLFQ_QUEUED;
            return PyLong_FromSsize_t(job);
        }
    }
    PyErr_SetString(PyExc_IndexError, "pick_next called with no ready job");
    return NULL;
}

PyDoc_STRVAR(core_time_slice_doc,
             "time_slice(job)\n--\n\nUp to the next multiple of the level's quantum, but not "
             "past its allotment.");

static PyObject *
core_time_slice(MLFQCore *core, PyObject *argument)
{
    Py_ssize_t job = core_job(core, argument);
    if (job < 0) {
        return NULL;
    }
    int current = core->level[job];
    double spent = core->used[job];
    double quantum = core->quanta[current];
    double granted;
    if (quantum != HUGE_VAL) {
        double remainder = python_float_mod(spent, quantum);
        granted = quantum - remainder;
        if (remainder < quantum * MLFQ_TOLERANCE || granted < quantum * MLFQ_TOLERANCE) {
            granted = quantum;
        }
    }
    else {
        granted = HUGE_VAL;
    }
    if (current < core->bottom) {
        double to_allotment = core->allotments[current] - spent;
        if (to_allotment < granted) {
            granted = to_allotment;
        }
    }
    core->granted[job] = granted;
    return PyFloat_FromDouble(granted);
}

PyDoc_STRVAR(core_on_expired_doc,
             "on_expired(job)\n--\n\nThe whole slice was used: charge it and go to the tail.");

static PyObject *
core_on_expired(MLFQCore *core, PyObject *argument)
{
    Py_ssize_t job = core_job(core, argument);
    if (job < 0 || core_check_not_queued(core, job) < 0) {
        return NULL;
    }
    int level = core_charge(core, job, core->granted[job]);
    core_append(core, level, job);
    Py_RETURN_NONE;
}

static int
core_job_ran(MLFQCore *core, PyObject *const *args, Py_ssize_t nargs, const char *name,
             Py_ssize_t *job, double *ran)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "%s() takes 2 arguments (%zd given)", name, nargs);
        return -1;
    }
    *job = core_job(core, args[0]);
    if (*job < 0) {
        return -1;
    }
    return core_ran(args[1], ran);
}

PyDoc_STRVAR(core_on_preempted_doc,
             "on_preempted(job, ran)\n--\n\nCharge ``ran``; the job goes back to the head of "
             "its queue.");

static PyObject *
core_on_preempted(MLFQCore *core, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t job;
    double ran;
    if (core_job_ran(core, args, nargs, "on_preempted", &job, &ran) < 0 ||
        core_check_not_queued(core, job) < 0) {
        return NULL;
    }
    int level = core_charge(core, job, ran);
    core_append_left(core, level, job);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(core_on_burst_end_doc,
             "on_burst_end(job, ran)\n--\n\nCharge ``ran`` (with io_resets, a slice left early "
             "resets the accounting instead).");

static PyObject *
core_on_burst_end(MLFQCore *core, PyObject *const *args, Py_ssize_t nargs)
{
    Py_ssize_t job;
    double ran;
    if (core_job_ran(core, args, nargs, "on_burst_end", &job, &ran) < 0) {
        return NULL;
    }
    if (core->io_resets && ran < core->granted[job]) {
        core->used[job] = 0.0;
    }
    else {
        core_charge(core, job, ran);
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(core_preempt_doc,
             "preempt(running)\n--\n\nThe running job (lowest level, then highest id) if a "
             "higher level has a ready job, else None.");

static PyObject *
core_preempt(MLFQCore *core, PyObject *running)
{
    int best = -1;
    for (int level = 0; level < core->levels; level++) {
        if (core->head[level] >= 0) {
            best = level;
            break;
        }
    }
    if (best < 0) {
        Py_RETURN_NONE;
    }
    PyObject *items = PySequence_Fast(running, "preempt: running must be a sequence");
    if (items == NULL) {
        return NULL;
    }
    Py_ssize_t size = PySequence_Fast_GET_SIZE(items);
    PyObject *victim = NULL;
    Py_ssize_t victim_job = -1;
    if (size == 0) {
        PyErr_SetString(PyExc_ValueError, "preempt: no running job");
        Py_DECREF(items);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(items, i);
        Py_ssize_t job = core_job(core, item);
        if (job < 0) {
            Py_DECREF(items);
            return NULL;
        }
        if (victim == NULL || core->level[job] > core->level[victim_job] ||
            (core->level[job] == core->level[victim_job] && job > victim_job)) {
            victim = item;
            victim_job = job;
        }
    }
    PyObject *result = core->level[victim_job] > best ? victim : Py_None;
    Py_INCREF(result);
    Py_DECREF(items);
    return result;
}

PyDoc_STRVAR(core_boost_doc,
             "boost()\n--\n\nEvery job to the top level with fresh accounting; queued jobs "
             "join the top queue behind those there, higher levels first.");

static PyObject *
core_boost(MLFQCore *core, PyObject *Py_UNUSED(ignored))
{
    for (int level = 1; level < core->levels; level++) {
        if (core->head[level] < 0) {
            continue;
        }
        if (core->tail[0] < 0) {
            core->head[0] = core->head[level];
        }
        else {
            core->next[core->tail[0]] = core->head[level];
        }
        core->tail[0] = core->tail[level];
        core->length[0] += core->length[level];
        core->head[level] = -1;
        core->tail[level] = -1;
        core->length[level] = 0;
    }
    if (core->n > 0) {
        memset(core->level, 0, (size_t)core->n);
    }
    for (Py_ssize_t job = 0; job < core->n; job++) {
        core->used[job] = 0.0;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(core_slice_level_doc, "slice_level(job)\n--\n\nThe level ``job`` is at.");

static PyObject *
core_slice_level(MLFQCore *core, PyObject *argument)
{
    Py_ssize_t job = core_job(core, argument);
    if (job < 0) {
        return NULL;
    }
    return PyLong_FromLong(core->level[job]);
}

PyDoc_STRVAR(core_used_of_doc,
             "used_of(job)\n--\n\nThe CPU time ``job`` has used at its level so far.");

static PyObject *
core_used_of(MLFQCore *core, PyObject *argument)
{
    Py_ssize_t job = core_job(core, argument);
    if (job < 0) {
        return NULL;
    }
    return PyFloat_FromDouble(core->used[job]);
}

PyDoc_STRVAR(core_queue_lengths_doc,
             "queue_lengths()\n--\n\nThe number of ready jobs at each level, top first.");

static PyObject *
core_queue_lengths(MLFQCore *core, PyObject *Py_UNUSED(ignored))
{
    PyObject *lengths = PyList_New(core->levels);
    if (lengths == NULL) {
        return NULL;
    }
    for (int level = 0; level < core->levels; level++) {
        PyObject *length = PyLong_FromSsize_t(core->length[level]);
        if (length == NULL) {
            Py_DECREF(lengths);
            return NULL;
        }
        PyList_SET_ITEM(lengths, level, length);
    }
    return lengths;
}

PyDoc_STRVAR(core_queue_doc,
             "queue(level)\n--\n\nThe jobs ready at ``level``, head first (for tests).");

static PyObject *
core_queue(MLFQCore *core, PyObject *argument)
{
    long level = PyLong_AsLong(argument);
    if (level == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (level < 0 || level >= core->levels) {
        PyErr_Format(PyExc_IndexError, "MLFQCore: level %ld out of range (%d levels)", level,
                     core->levels);
        return NULL;
    }
    PyObject *jobs = PyList_New(0);
    if (jobs == NULL) {
        return NULL;
    }
    for (Py_ssize_t job = core->head[level]; job >= 0; job = core->next[job]) {
        PyObject *id = PyLong_FromSsize_t(job);
        if (id == NULL || PyList_Append(jobs, id) < 0) {
            Py_XDECREF(id);
            Py_DECREF(jobs);
            return NULL;
        }
        Py_DECREF(id);
    }
    return jobs;
}

static PyMethodDef core_methods[] = {
    {"on_ready", (PyCFunction)core_on_ready, METH_O, core_on_ready_doc},
    {"pick_next", (PyCFunction)core_pick_next, METH_NOARGS, core_pick_next_doc},
    {"time_slice", (PyCFunction)core_time_slice, METH_O, core_time_slice_doc},
    {"on_expired", (PyCFunction)core_on_expired, METH_O, core_on_expired_doc},
    {"on_preempted", (PyCFunction)(void (*)(void))core_on_preempted, METH_FASTCALL,
     core_on_preempted_doc},
    {"on_burst_end", (PyCFunction)(void (*)(void))core_on_burst_end, METH_FASTCALL,
     core_on_burst_end_doc},
    {"preempt", (PyCFunction)core_preempt, METH_O, core_preempt_doc},
    {"boost", (PyCFunction)core_boost, METH_NOARGS, core_boost_doc},
    {"slice_level", (PyCFunction)core_slice_level, METH_O, core_slice_level_doc},
    {"level_of", (PyCFunction)core_slice_level, METH_O, core_slice_level_doc},
    {"used_of", (PyCFunction)core_used_of, METH_O, core_used_of_doc},
    {"queue_lengths", (PyCFunction)core_queue_lengths, METH_NOARGS, core_queue_lengths_doc},
    {"queue", (PyCFunction)core_queue, METH_O, core_queue_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(core_doc,
             "MLFQCore(jobs, quanta, allotments, io_resets=False)\n--\n\n"
             "The ready queues and per-job accounting of schedsim.policies.mlfq.MLFQ, compiled: "
             "its hooks as methods with the Python hooks' exact float arithmetic.");

static PyTypeObject MLFQCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "schedsim._cengine.MLFQCore",
    .tp_basicsize = sizeof(MLFQCore),
    .tp_itemsize = 0,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = core_doc,
    .tp_methods = core_methods,
    .tp_new = core_new,
};

static PyMethodDef methods[] = {
    {"run_single", (PyCFunction)(void (*)(void))run_single, METH_FASTCALL, run_single_doc},
    {"run_general", (PyCFunction)(void (*)(void))run_general, METH_FASTCALL, run_general_doc},
    {"fixed_order_times", (PyCFunction)(void (*)(void))fixed_order_times, METH_FASTCALL,
     fixed_order_times_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT,
    "schedsim._cengine",
    "The event loops of schedsim.engine, compiled (used for float workloads).",
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
    if (PyType_Ready(&MLFQCoreType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_definition);
    if (module == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(module, "MLFQCore", (PyObject *)&MLFQCoreType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
