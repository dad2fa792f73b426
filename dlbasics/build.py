"""make figures: the four scripts and the three studies, side by side, into one folder.

    python -m dlbasics.build [--data-dir DIR] [--out-dir DIR] [--large]

The seven programs run at once: part 3.2's script and study take longest, so the other five run at a
lower priority and fill the gaps those two leave (their single-threaded phases, start-up and plotting,
overlap the others' training). Each program's output is shown in one piece when it ends; if one fails,
the others are stopped and the build fails. A signal (Ctrl-C, kill) stops every program at once: each
one leaves its outputs as they were, and so the folder stays as it was. --large runs the larger study
(1000 seeds with the whole learning-rate sweep, 100 line seeds, 32 detection seeds).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

from . import buildinfo
from .cli import Parser, folder, run_main, say
from .paths import DATA_DIR, FIGURES_DIR, ROOT

LARGE = {"study part2": ["--seeds=1000", "--sweep-seeds=1000", "--lrs=0.01,0.03,0.1,0.3,1,3"],
         "study line": ["--seeds=100"], "study detection": ["--seeds=32"]}
# (program, extra flags, niceness): the longest two at full priority
PROGRAMS = [("part3_detection.py", [], 0), ("study detection", [], 0), ("study part2", [], 5),
            ("part2_fc.py", [], 5), ("part1_loss_gradient.py", [], 5), ("part3_conv.py", [], 5),
            ("study line", ["--workers=1"], 5)]


def command(program, extra, data_dir, out_dir):
    if program.startswith("study "):
        return [sys.executable, "-m", "dlbasics.study", program.split()[1], *extra, "--data-dir", str(data_dir),
                "--out-dir", str(out_dir), "--no-progress"]
    data = [] if program.startswith("part1") else ["--data-dir", str(data_dir)]
    return [sys.executable, str(ROOT / program), *extra, *data, "--out-dir", str(out_dir)]


def run_all(data_dir, out_dir, large=False):
    """Start every program, wait for all; return the names of those that failed."""
    procs = []
    try:
        for program, extra, nice in PROGRAMS:
            log = tempfile.TemporaryFile(mode="w+")
            proc = subprocess.Popen(command(program, extra + (LARGE.get(program, []) if large else []), data_dir,
                                            out_dir), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
                                    preexec_fn=(lambda n=nice: os.nice(n)) if os.name == "posix" else None)
            procs.append((program, proc, log))
        failed = []
        for program, proc, log in procs:
            if proc.wait() != 0:
                failed.append(program)
                stop(procs)                        # one failure fails the build: stop the others now
            log.seek(0)
            say(log.read().rstrip("\n") + (f"\nFAILED: {program}" if proc.returncode != 0 else ""))
        return failed
    finally:
        stop(procs)


def stop(procs):
    """Ask every program still running to stop (each removes its staged files), then wait for it."""
    for _, proc, _ in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for _, proc, _ in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.build", description=__doc__)
    parser.add_argument("--data-dir", type=folder, default=DATA_DIR, help="the datasets (default: data/)")
    parser.add_argument("--out-dir", type=folder, default=FIGURES_DIR, help="where outputs go (default: figures/)")
    parser.add_argument("--large", action="store_true", help="the larger study (several minutes)")
    args = parser.parse_args(argv)
    start = time.time()
    failed = run_all(args.data_dir, args.out_dir, args.large)
    if failed:
        sys.stderr.write(f"python -m dlbasics.build: {', '.join(failed)} failed; see above\n")
        sys.exit(1)
    buildinfo.finish(args.out_dir, time.time() - start)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
