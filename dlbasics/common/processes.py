"""Child processes that never outlive their parent.

Programs the package starts (dlbasics.build's seven, verify's reruns) are stopped with SIGTERM first, so
that each removes its staged files and stops its own workers, and killed only if they do not end. If
the parent itself is killed outright (kill -9), Linux sends each child SIGTERM (prctl's "parent death
signal"). Worker processes (dlbasics.parallel) get SIGKILL that way, and also watch their parent's
process id, which covers a parent that died before they started.
"""
import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
import time

_PR_SET_PDEATHSIG = 1


def on_parent_death(sig):
    """Ask the kernel to send `sig` to this process when its parent dies (Linux; elsewhere nothing)."""
    name = ctypes.util.find_library("c")
    if name and hasattr(os, "getppid"):
        try:
            ctypes.CDLL(name, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass


def child_setup(nice=0):
    """preexec_fn for a program the package starts: lower its priority, and end it with its parent."""
    def setup():
        os.nice(nice) if nice else None
        on_parent_death(signal.SIGTERM)
    return setup if os.name == "posix" else None


def stop(procs, grace=30):
    """Ask every Popen in `procs` that still runs to stop, wait for it, kill it after `grace` seconds."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def end_with_parent(parent, poll=0.5):
    """In a worker: end this process as soon as `parent` (the pid that started it) is no longer its parent."""
    on_parent_death(signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)

    def watch():
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()
