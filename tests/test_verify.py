"""The grader's check: `make verify` reproduces the shipped numbers, and the scripts' own loops agree."""
import json
import re
import shutil

import background
import pytest
from conftest import ROOT, run_here, script_loop

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


def _verify_against(folder):
    return run_here(verify.main, "--against", folder)


def _edited(tmp_path, quick_outputs, edit):
    summary = json.loads((quick_outputs[0] / "part3_line_summary.json").read_text())
    edit(summary)
    folder = tmp_path / edit.__name__
    folder.mkdir()
    (folder / "part3_line_summary.json").write_text(json.dumps(summary))
    (folder / "part3_line_curves.csv").write_bytes((quick_outputs[0] / "part3_line_curves.csv").read_bytes())
    return _verify_against(folder)


def test_verify_says_first_when_the_starting_weights_differ(tmp_path, quick_outputs):
    """A grader whose scripts drew other starting weights reads why before the table, with both versions."""
    def other_weights(s):
        s["weights"]["ConvNet"] = "0" * 64
        s["versions"] |= {"torch": "2.11.0", "python": "3.12.3"}

    def schema_1(s):
        s["schema"] = "dlbasics-summary/1"
        s["kernels"] = {"torch": "2.13.0", "machine": "x86_64", "ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2,STRICT"}
        del s["weights"], s["versions"]

    proc = _edited(tmp_path, quick_outputs, other_weights)
    first = proc.stdout.splitlines()[0]
    assert first.startswith("STARTING WEIGHTS DIFFER: the runs of part3_conv.py in the outputs have seed 0's "
                            "SHA-256 ConvNet 000000000000, against ConvNet 6fbe9e530bb8 here"), proc.stdout
    assert "torch 2.11.0" in first and "Python 3.12.3" in first and proc.stdout.splitlines()[1].startswith("writer")
    proc = _edited(tmp_path, quick_outputs, schema_1)
    assert proc.stdout.startswith("STARTING WEIGHTS DIFFER: the runs of part3_conv.py in the outputs record no "
                                  "fingerprint of their starting weights"), proc.stdout + proc.stderr


def test_verify_names_the_versions_that_differ_when_the_weights_agree(tmp_path, quick_outputs):
    def other_torch(s):
        s["versions"] |= {"torch": "2.11.0", "numpy": "2.5.2"}

    proc = _edited(tmp_path, quick_outputs, other_torch)
    here = json.loads((quick_outputs[0] / "part3_line_summary.json").read_text())["versions"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0] == (f"the same starting weights, other versions: torch 2.11.0, NumPy 2.5.2 in the "
                                           f"outputs; torch {here['torch']}, NumPy {here['numpy']} here")


def test_last_digits_of_printed_numbers_are_told_apart_from_differences():
    assert verify.close("566,0.002903587765,1,0.1371618412", "566,0.002903587764,1,0.1371618412")
    assert not verify.close("566,0.0029035878,1", "566,0.0029035877,1")           # 3e-8 relative
    assert not verify.close("ReLU + CE,227", "ReLU + L2,227") and not verify.close("1,2", "1,2,3")


def test_the_record_of_files_is_not_a_result(tmp_path, quick_outputs):
    """part1_numbers.json holds the SHA-256 of every figure its run wrote; a figure's bytes change with
    matplotlib and its fonts, so another machine's record differs and says nothing about the numbers. The
    check compares the numbers and leaves the record out, yet still names a changed number."""
    theirs, rerun = tmp_path / "theirs", tmp_path / "rerun"
    for folder in (theirs, rerun):
        folder.mkdir()
        shutil.copy(quick_outputs[0] / "part1_numbers.json", folder)
    numbers = json.loads((theirs / "part1_numbers.json").read_text())
    numbers["outputs"] = {name: "0" * 64 for name in numbers["outputs"]}       # figures of another matplotlib
    numbers["scripts"] = {name: "1" * 64 for name in numbers["scripts"]}
    (theirs / "part1_numbers.json").write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
    assert verify.compare_files(theirs, rerun)[0] == []
    numbers["gd_l2_steps"] += 1
    (theirs / "part1_numbers.json").write_text(json.dumps(numbers, indent=1, sort_keys=True) + "\n")
    assert any("gd_l2_steps" in d for d in verify.compare_files(theirs, rerun)[0])
