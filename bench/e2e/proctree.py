"""CPU seconds of a process and all its descendants, from /proc (used by bench/e2e/e2e.py).

utime + stime of every live process of the tree, plus cutime + cstime (the reaped children's time)
of each: a child that exits during a measurement moves into its parent's figure and is not lost.
"""
import os

TICK = os.sysconf("SC_CLK_TCK")


def _stats():
    """{pid: (ppid, cpu ticks)} of every process readable now."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                raw = f.read()
        except OSError:
            continue   # exited meanwhile
        # comm may hold spaces and parentheses: the fields start after the last ")".
        fields = raw[raw.rfind(b")") + 2:].split()
        if len(fields) < 15:
            continue
        ppid = int(fields[1])
        ticks = sum(int(x) for x in fields[11:15])   # utime stime cutime cstime
        out[int(name)] = (ppid, ticks)
    return out


def tree(root, stats=None):
    """The pids of root and its descendants."""
    stats = _stats() if stats is None else stats
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found.append(pid)
            todo.extend(children.get(pid, ()))
    return found


def cpu_seconds(root):
    """(CPU seconds of the tree under root, number of processes in it)."""
    stats = _stats()
    pids = tree(root, stats)
    return sum(stats[p][1] for p in pids if p in stats) / TICK, len(pids)
