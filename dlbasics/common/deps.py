"""The programs outside Python that some steps need, found or installed, or refused in one line.

    python -m dlbasics.common.deps latex      the report: latexmk and pdflatex (make report, make all)
    python -m dlbasics.common.deps test       the tests also read the PDF back: pdftotext (make test)

Missing ones are installed from Debian's packages when this runs as root with apt-get; otherwise, or
if apt-get fails (no network, another apt holding its lock), one line names the command and the
package to install, exit code 2.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from dlbasics.common.cli import Parser, UserError, run_main, say

NEEDS = {  # step -> {command: Debian package}
    "latex": {"latexmk": "latexmk", "pdflatex": "texlive-latex-base"},
    "test": {"latexmk": "latexmk", "pdflatex": "texlive-latex-base", "pdftotext": "poppler-utils"},
}
LATEX = ["texlive-latex-base", "texlive-latex-recommended", "latexmk"]     # the report's packages


def missing(step):
    return {cmd: pkg for cmd, pkg in NEEDS[step].items() if shutil.which(cmd) is None}


def can_install():
    return hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get") is not None


def install(packages):
    """apt-get install, quietly; UserError with where the log is if it fails."""
    log = tempfile.NamedTemporaryFile("w", prefix="dlbasics-apt-", suffix=".log", delete=False)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *packages]):
        if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode != 0:
            raise UserError(f"apt-get could not install {' '.join(packages)} (see {log.name}); install them by "
                            "hand and rerun")
    os.unlink(log.name)


def require(step):
    need = missing(step)
    if not need:
        return
    packages = sorted(set(need.values()) | (set(LATEX) if set(need) & {"latexmk", "pdflatex"} else set()))
    if not can_install():
        cmd = ", ".join(need)
        raise UserError(f"{cmd} not found: install the Debian package{'s' if len(packages) > 1 else ''} "
                        f"{' '.join(packages)} (sudo apt-get install {' '.join(packages)})")
    say(f"installing {' '.join(packages)} (for {', '.join(need)})")
    install(packages)
    if missing(step):
        raise UserError(f"{', '.join(missing(step))} still not found after installing {' '.join(packages)}")


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.common.deps", description=__doc__)
    parser.add_argument("step", choices=sorted(NEEDS))
    require(parser.parse_args(argv).step)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
