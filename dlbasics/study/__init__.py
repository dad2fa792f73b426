"""The studies above the scripts (python -m dlbasics.study): each script's experiment over many seeds, the
controlled experiments, the rounding twins, the beyond-the-handout studies, and their statistics, tables,
figures and summaries."""
