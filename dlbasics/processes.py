"""Child processes that never outlive their parent.

Programs the package starts (dlbasics.build's seven, verify's reruns) are stopped with SIGTERM first,
so that each removes its staged files and stops its own workers, and killed only if they do not end.
Worker processes (dlbasics.parallel) watch their parent and end as soon as it is gone, however it
ended (even kill -9).
"""
import os
import signal
import subprocess
import threading
import time


def stop(procs, grace=30):
    """Ask every Popen in `procs` that still runs to stop, wait for it, kill it after `grace` seconds."""
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


def end_with_parent(poll=0.5):
    """In a worker: end this process as soon as its parent is gone (it is then adopted by another)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()
