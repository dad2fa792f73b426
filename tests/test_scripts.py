"""Each script end to end in a real subprocess (--quick), what it writes, and that reruns are identical.

The session fixture `quick_outputs` runs all four scripts into one folder, as `make figures` does;
the report tests build the report from it.
"""
import json

import pytest

import part1_loss_gradient
import part2_fc
import part3_conv
import part3_detection

from conftest import run_script
from dlbasics.summary import SCHEMA

def names(folder):
    return {p.name for p in folder.iterdir()}


def test_part1_writes_its_figures_and_numbers(quick_outputs):
    out, procs = quick_outputs
    for stem in ("sigmoid_output", "l2_loss", "l2_grad", "ce_loss", "ce_grad", "relu_output", "relu_l2_loss",
                 "relu_l2_grad", "gradient_slices"):
        assert {f"part1_{stem}.png", f"part1_{stem}.pdf"} <= names(out)
    numbers = json.loads((out / "part1_numbers.json").read_text())
    assert numbers["points"] == 31 and numbers["l2_flat_pct"] > numbers["ce_flat_pct"]


def test_part2_writes_every_output(quick_outputs):
    out, procs = quick_outputs
    for setting in ("sigmoid_l2", "sigmoid_ce", "relu_l2", "relu_ce"):
        for what in ("loss", "accuracy"):
            assert {f"part2_{setting}_{what}.png", f"part2_{setting}_{what}.pdf"} <= names(out)
    for stem in ("overlay", "study_ecdf", "lr_sweep", "grad_norms", "predictions", "weights", "data"):
        assert {f"part2_{stem}.png", f"part2_{stem}.pdf"} <= names(out)
    for f in ("seed_table.csv", "seed_table.tex", "study.csv", "study.tex", "curves.csv", "lr_sweep.csv",
              "paired.csv", "paired.tex", "summary.json", "numbers.tex"):
        assert f"part2_{f}" in names(out)
    assert "data: random (bundled" in procs["part2_fc.py"].stdout
    assert "sorted by iterations" in procs["part2_fc.py"].stdout


def test_part3_writes_every_output(quick_outputs):
    out, _ = quick_outputs
    for stem, curves in (("part3_line", ("loss", "accuracy")),
                         ("part3_detection", ("cls_loss", "cls_acc", "reg_loss", "reg_acc"))):
        for fig in ("filters", "feature_maps", "study_ecdf") + curves:
            assert {f"{stem}_{fig}.png", f"{stem}_{fig}.pdf"} <= names(out), fig
        for f in ("filters_caption.tex", "study.csv", "study.tex", "curves.csv", "numbers.tex", "summary.json"):
            assert f"{stem}_{f}" in names(out)


def test_every_summary_shares_one_schema(quick_outputs):
    out, _ = quick_outputs
    keys = None
    for name in ("part2_summary.json", "part3_line_summary.json", "part3_detection_summary.json"):
        summary = json.loads((out / name).read_text())
        assert summary["schema"] == SCHEMA and summary["data"]["origin"] == "bundled"
        assert summary["runs"]["columns"][:6] == ["setting", "lr", "reduction", "seed", "iterations", "status"]
        assert keys is None or set(summary) == keys
        keys = set(summary)
        assert summary["settings"]["dtype"] == "float64"
    detection = json.loads((out / "part3_detection_summary.json").read_text())
    assert detection["runs"]["columns"][6:] == ["classification"]


def test_no_staging_folder_is_left(quick_outputs):
    out, _ = quick_outputs
    assert not [p for p in out.parent.iterdir() if ".staging-" in p.name]


@pytest.mark.parametrize("script, files", [
    ("part3_conv.py", ("part3_line_summary.json", "part3_line_curves.csv", "part3_line_study.csv",
                       "part3_line_numbers.tex")),
])
def test_rerun_with_two_workers_gives_identical_files(quick_outputs, tmp_path, script, files):
    """Same arguments, another worker count (2 here, 1 in quick_outputs): byte for byte the same results.
    (For part 2, whose workers split each setting's seeds, tests/test_engine.py checks every run bit for bit
    alone, in a study and in a narrower batch, which is what a different split amounts to.)"""
    out, _ = quick_outputs
    proc = run_script(script, "--quick", "--workers", "2", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in files:
        mine, theirs = (tmp_path / name).read_text(), (out / name).read_text()
        if name.endswith(".json"):
            mine, theirs = json.loads(mine), json.loads(theirs)
            for s in (mine, theirs):
                s["settings"].pop("workers"), s["settings"].pop("out_dir")
        assert mine == theirs, name


def test_seed_table_is_sorted(quick_outputs):
    out, _ = quick_outputs
    rows = (out / "part2_seed_table.csv").read_text().splitlines()[1:]
    counts = [r.split(",")[2] for r in rows]
    numeric = [int(c) for c in counts if c.isdigit()]
    assert numeric == sorted(numeric)
    assert all(not c.isdigit() for c in counts[len(numeric):])      # censored / dead / diverged last


@pytest.mark.parametrize("module", [part1_loss_gradient, part2_fc, part3_conv, part3_detection])
def test_help_documents_every_default(module, capsys):
    with pytest.raises(SystemExit) as exc:
        module.parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exc.value.code == 0
    options = [line for line in text.split("  --")[1:] if not line.startswith("help")]
    assert all("default" in opt or opt.startswith(("quick", "no-progress")) for opt in options), options
    if module is not part1_loss_gradient:
        assert "Iterations to 100 % are a threshold event" in text and "rounding difference between two CPUs" in text


def test_no_figures_writes_the_same_numbers_and_no_figure(quick_outputs, tmp_path):
    """--no-figures (make verify's reruns): every table and summary, byte for byte, and no PNG or PDF."""
    out, _ = quick_outputs
    proc = run_script("part3_conv.py", "--quick", "--workers", "1", "--no-figures", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = names(tmp_path)
    assert written and not {n for n in written if n.endswith((".png", ".pdf"))}
    assert written == {n for n in names(out) if n.startswith("part3_line") and not n.endswith((".png", ".pdf"))}
    for name in written - {"part3_line_summary.json"}:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    mine, theirs = (json.loads((folder / "part3_line_summary.json").read_text()) for folder in (tmp_path, out))
    for s in (mine, theirs):
        s["settings"].pop("out_dir"), s["settings"].pop("no_figures")
    assert mine == theirs
