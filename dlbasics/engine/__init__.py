"""The many-seed engine: trains many seeds of one script's experiment at once, as matrices with a hand-derived
backward, and holds to each script's own loop count for count (tests/test_engine.py). Everything it trains
is taken from the scripts: the nets, their initialisation, the losses, the rules, the mini-batch order."""
