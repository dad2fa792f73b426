"""make figures: the four scripts and the three studies, side by side, into one folder.

    python -m dlbasics.build [--data-dir DIR] [--out-dir DIR] [--large] [--force]

The seven programs run at once: part 3.2's script and study take longest, so the other five run at a
lower priority and fill the gaps those two leave. Each program's output is shown in one piece when it
ends; if one fails, the others are stopped and the build fails. They all write into one staging
folder, which joins --out-dir only when every program has succeeded: a failed or interrupted build
(Ctrl-C, kill: every program is stopped at once) leaves the folder as it was, never half old, half new.

A build whose inputs have not changed since the last one is skipped: the scripts, the package's
sources, requirements.txt, the contents of the data files and the flags (--force builds anyway).
--large runs the larger study (1000 seeds with the whole learning-rate sweep, 100 line seeds, 32
detection seeds).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time

from dlbasics.common import processes
from dlbasics.common.cli import Parser, UserError, folder, run_main, say
from dlbasics.common.data import load_dataset
from dlbasics.common.outputs import Outputs
from dlbasics.common.paths import DATA_DIR, FIGURES_DIR, ROOT
from part2_fc import DATASETS

LARGE = {"study part2": ["--seeds=1000", "--sweep-seeds=1000", "--lrs=0.01,0.03,0.1,0.3,1,3"],
         "study line": ["--seeds=100"], "study detection": ["--seeds=32"]}
# (program, extra flags, niceness): the longest two at full priority
PROGRAMS = [("part3_detection.py", [], 0), ("study detection", [], 0), ("study part2", ["--workers=1"], 0),
            ("part2_fc.py", [], 5), ("part1_loss_gradient.py", [], 5), ("part3_conv.py", [], 5),
            ("study line", ["--workers=1"], 5)]
STAMP = ".build-inputs"


def command(program, extra, data_dir, out_dir):
    if program.startswith("study "):
        return [sys.executable, "-m", "dlbasics.study", program.split()[1], *extra, "--data-dir", str(data_dir),
                "--out-dir", str(out_dir), "--no-progress"]
    data = [] if program.startswith("part1") else ["--data-dir", str(data_dir)]
    return [sys.executable, str(ROOT / program), *extra, *data, "--out-dir", str(out_dir)]


def inputs_digest(data_dir, large):
    """SHA-256 of everything the outputs depend on. Loading the data checks them too: bad data stop the
    build here, in one line, before anything runs."""
    digest = hashlib.sha256(f"large={large}\n".encode())
    for path in sorted([*ROOT.glob("part*.py"), *(ROOT / "dlbasics").rglob("*.py"), ROOT / "requirements.txt"]):
        digest.update(f"{path.name}\n".encode() + path.read_bytes())
    for name in DATASETS:
        digest.update(" ".join(sorted(load_dataset(name, data_dir).files.values())).encode())
    return digest.hexdigest()


def manifest(folder):
    """{file name: SHA-256} of every output in `folder`."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and p.name != STAMP}


def up_to_date(out_dir, digest):
    """The last build had these inputs, and every file it wrote is still there as it wrote it (a script
    run by hand into the folder since, or a deleted figure, makes the build due again)."""
    try:
        stamp = json.loads((out_dir / STAMP).read_text())
        return stamp["inputs"] == digest and all(
            hashlib.sha256((out_dir / name).read_bytes()).hexdigest() == sha for name, sha in stamp["outputs"].items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def run_all(data_dir, out_dir, large=False, shown_as=None):
    """Start every program and wait for all; the first that fails stops the others at once. Returns the
    names of the programs that failed (not those stopped because of it). Each program writes to a folder of
    its own inside `out_dir` (so that none meets another's staging folder), whose files join `out_dir` once
    all have succeeded; the logs name those folders as `shown_as` (the folder `out_dir` becomes)."""
    procs, failed, started = [], [], {}
    folders = {program: out_dir / program.replace(" ", "-") for program, _, _ in PROGRAMS}
    try:
        for program, extra, nice in PROGRAMS:
            log = tempfile.TemporaryFile(mode="w+")
            proc = subprocess.Popen(command(program, extra + (LARGE.get(program, []) if large else []), data_dir,
                                            folders[program]), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                    text=True, preexec_fn=processes.child_setup(nice))
            procs.append((program, proc, log))
            started[program] = time.monotonic()
        running = list(procs)
        while running:
            done = [entry for entry in running if ended(entry[1])]
            for program, proc, log in done:
                running.remove((program, proc, log))
                if proc.returncode != 0 and not failed:
                    failed.append(program)
                    processes.stop([p for _, p, _ in running])    # one failure fails the build
                log.seek(0)
                text = log.read().rstrip("\n").replace(str(folders[program]), str(shown_as or out_dir))
                say(text + (f"\nFAILED: {program}" if program in failed else "\n(stopped)" if proc.returncode != 0
                            else f" ({time.monotonic() - started[program]:.0f} s, {proc.cpu_seconds:.0f} s of CPU)"))
            time.sleep(0.1 if running and not done else 0)
        for program in () if failed else folders:
            for path in sorted(folders[program].iterdir()):
                os.replace(path, out_dir / path.name)
            folders[program].rmdir()
        return failed
    finally:
        processes.stop([p for _, p, _ in procs])


def ended(proc):
    """True once `proc` has ended; it then has its returncode and cpu_seconds (its own CPU time and that of
    the workers it waited for)."""
    if proc.returncode is None:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == 0:
            return False
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.cpu_seconds = usage.ru_utime + usage.ru_stime
    return True


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.build", description=__doc__)
    parser.add_argument("--data-dir", type=folder, default=DATA_DIR, help="the datasets (default: data/)")
    parser.add_argument("--out-dir", type=folder, default=FIGURES_DIR, help="where outputs go (default: figures/)")
    parser.add_argument("--large", action="store_true", help="the larger study (several minutes)")
    parser.add_argument("--force", action="store_true", help="build even if nothing changed since the last build")
    args = parser.parse_args(argv)
    digest = inputs_digest(args.data_dir, args.large)
    if not args.force and up_to_date(args.out_dir, digest):
        say(f"{args.out_dir}: up to date (nothing changed since the last build; --force rebuilds)")
        return
    with Outputs(args.out_dir) as out:
        failed = run_all(args.data_dir.absolute(), out.dir, args.large, shown_as=args.out_dir)
        if failed:
            raise UserError(f"{', '.join(failed)} failed (see above); {args.out_dir} was left as it was")
        out.json(STAMP, {"inputs": digest, "outputs": manifest(out.dir)})


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
