"""The report's writer (python -m dlbasics.report): the submission's answers and the companion's sentences,
each worded by what the runs say, the tables and macros both documents \\input, and the two PDFs."""
