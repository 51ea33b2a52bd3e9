"""The peak resident memory of this process alone, for the benchmarks' measuring children.

``ru_maxrss`` is not that: Linux carries the high-water mark across exec, so a child started
by a large benchmark runner reported the runner's size as its own peak (a decrypt after the
small-files benchmark showed 239 MB for a 54 MB process). ``VmHWM`` in ``/proc/self/status``
belongs to this process's own memory map."""

from __future__ import annotations

import resource


def own_peak_mb() -> float:
    """This process's peak resident memory in MB (``VmHWM``; ``ru_maxrss`` off Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
