"""The many-seed engine: trains many seeds of one script's experiment at once, as matrices with a hand-derived
backward, and holds to each script's own loop (tests/test_engine.py): count for count where a setting does
not amplify a last-bit difference, the curves to rounding everywhere. Everything it trains
is taken from the scripts: the nets, their initialisation, the losses, the rules, the mini-batch order."""
