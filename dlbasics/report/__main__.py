"""python -m dlbasics.report (make report): the report's inputs, then both PDFs (dlbasics/report/pdf.py)."""
import sys

from dlbasics.common.cli import run_main
from dlbasics.report.pdf import main

run_main(main, sys.argv[1:])
