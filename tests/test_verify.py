"""The grader's check: `make verify` reproduces the shipped numbers, and the scripts' own loops agree."""
import json
import re

import pytest

import background
from conftest import ROOT, script_loop
from dlbasics import verify

EXPECTED = json.loads(verify.EXPECTED.read_text())


background.define("make verify", lambda: [(["make", "-s", "verify"], ROOT)],
                  lambda item: item.name == "test_make_verify_reproduces_the_shipped_numbers")


def test_make_verify_reproduces_the_shipped_numbers():
    proc, = background.wait("make verify", timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr
    n, m = map(int, re.search(r"reproduced (\d+) of (\d+)", proc.stdout).groups())
    assert n == m == sum(len(s["runs"]["rows"]) for s in EXPECTED.values()) == 44


def seed0_rows():
    for writer, summary in EXPECTED.items():
        cols = summary["runs"]["columns"]
        for row in summary["runs"]["rows"]:
            r = dict(zip(cols, row))
            if r["seed"] == 0:
                yield writer, r


@pytest.mark.parametrize("writer, row", list(seed0_rows()), ids=lambda x: x if isinstance(x, str) else
                         f"{x['setting']}-{x['reduction']}")
def test_the_scripts_loops_reproduce_the_expected_seed0_counts(writer, row):
    """The expected file is only trustworthy if something independent agrees with it: each script's own
    loop (torch's losses, autograd and torch.optim.SGD, one seed at a time) gives the same counts."""
    loop = script_loop(row["setting"], 0, row["reduction"], lr=row["lr"])
    assert (loop.iterations, loop.status) == (row["iterations"], row["status"])
