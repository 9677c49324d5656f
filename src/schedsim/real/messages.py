"""The messages between the dispatcher and its workers: one kind byte and a few numbers.

Every message on a dispatch's critical path — ``go`` out, ``run``/``resumed``/``burst``
back — is a fixed :mod:`struct` layout sent with ``Connection.send_bytes``: pickling a
tuple costs tens of microseconds more per message, which the measurement would count as
dispatch latency.  Messages off the critical path (statistics, errors, a kernel-mode
burst's run intervals) carry a pickled payload after their kind byte.

A decoded message is a tuple whose first item is the kind's name, as listed in
:mod:`schedsim.real.worker`.
"""

from __future__ import annotations

import pickle
import struct
from typing import Any

GO = b"g"
CONTINUE = b"c"  # cooperative mode: a paused worker may run again
QUIT = b"q"
IO = b"i"  # start the I/O step you are at now (one that follows synchronisation steps)
END = b"e"  # your last steps are done: finish (the script ended with steps, not CPU)
DO = b"d"  # followed by the step's position (struct "<q"): perform this step now
_DO_STEP = struct.Struct("<q")


def do_step(position: int) -> bytes:
    """The parent's message telling a worker to perform the synchronisation step at
    ``position`` in its script now."""
    return DO + _DO_STEP.pack(position)


def step_of(message: bytes) -> int | None:
    """The position a ``do`` message names, or None for any other message."""
    if message[:1] != DO or len(message) != 1 + _DO_STEP.size:
        return None
    return int(_DO_STEP.unpack(message[1:])[0])


_FIXED = {
    "ready": struct.Struct("<Bq"),  # os pid
    "run": struct.Struct("<Bqd"),  # burst position, at
    "resumed": struct.Struct("<Bddd"),  # at, stopped at, CPU so far in the burst
    "stolen": struct.Struct("<Bdd"),  # at, since
    "paused": struct.Struct("<Bdd"),  # at, CPU so far in the burst
    "burst": struct.Struct("<Bqdd"),  # burst position, at, CPU used
    "io": struct.Struct("<Bqdd"),  # I/O burst position, deadline, woke at
    "io_start": struct.Struct("<Bqd"),  # I/O step position, started at
    "blocking": struct.Struct("<Bqd"),  # synchronisation step position, about to block at
    "did": struct.Struct("<Bqdq"),  # synchronisation step position, done at, item got (or -1)
}
_PICKLED = ("observed", "exit", "error")  # observed: a burst with its run intervals
_KINDS = (*_FIXED, *_PICKLED)
_CODE = {name: code for code, name in enumerate(_KINDS)}
_LAYOUT = {code: _FIXED[name] for name, code in _CODE.items() if name in _FIXED}


def packer(kind: str) -> Any:
    """A function packing ``kind``'s numbers into a message (bound once, called often)."""
    layout = _FIXED[kind]
    code = _CODE[kind]
    pack = layout.pack
    return lambda *values: pack(code, *values)


def pack_pickled(kind: str, payload: Any) -> bytes:
    return bytes((_CODE[kind],)) + pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> tuple[Any, ...]:
    """``b"..."`` -> ``("burst", 0, 12.5, 0.03)``."""
    code = data[0]
    layout = _LAYOUT.get(code)
    if layout is not None:
        return (_KINDS[code], *layout.unpack(data)[1:])
    kind = _KINDS[code]
    payload = pickle.loads(data[1:])
    if kind == "observed":
        return ("burst", *payload)
    return (kind, payload)
