/* MLFQCore: the ready structure and per-job accounting of schedsim.policies.mlfq, compiled.
 *
 * A policy's own extension module, separate from the engine's: MLFQ binds its hooks to these
 * methods for float workloads, as FCFS binds its hooks to a deque's, and the engine never
 * knows.  The Python hooks in ``schedsim/policies/mlfq.py`` remain the specification.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

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
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(core_doc,
             "MLFQCore(jobs, quanta, allotments, io_resets=False)\n--\n\n"
             "The ready queues and per-job accounting of schedsim.policies.mlfq.MLFQ, compiled: "
             "its hooks as methods with the Python hooks' exact float arithmetic.");

static PyTypeObject MLFQCoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "schedsim.policies._mlfq_core.MLFQCore",
    .tp_basicsize = sizeof(MLFQCore),
    .tp_itemsize = 0,
    .tp_dealloc = (destructor)core_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = core_doc,
    .tp_methods = core_methods,
    .tp_new = core_new,
};


static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT,
    "schedsim.policies._mlfq_core",
    "MLFQ's hooks compiled (used for float workloads).",
    -1,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__mlfq_core(void)
{
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
