"""python -m dlbasics.study STUDY [flags]: the many-seed studies (dlbasics/study/run.py)."""
import sys

from dlbasics.common.cli import run_main
from dlbasics.study.run import main

run_main(main, sys.argv[1:])
