"""The four scripts: whole on their own, their shared blocks identical, their flags, and what they and
the studies above them write (each run end to end in a subprocess, --quick)."""
import ast
import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SCRIPTS, run_script

import part1_loss_gradient
import part2_fc
import part3_conv
import part3_detection
from dlbasics.study import run as study
from dlbasics.study.summary import SCHEMA

ALLOWED = {"torch", "numpy", "scipy", "matplotlib"}
MODULES = {"part1_loss_gradient.py": part1_loss_gradient, "part2_fc.py": part2_fc, "part3_conv.py": part3_conv,
           "part3_detection.py": part3_detection}
BLOCKS = {  # shared block -> the scripts that hold a copy
    "kernels": SCRIPTS, "style": SCRIPTS, "plumbing": SCRIPTS, "data": SCRIPTS[1:], "summary": SCRIPTS[1:],
    "init": SCRIPTS[1:], "curve": SCRIPTS[1:], "training": ("part2_fc.py", "part3_conv.py"),
    "pictures": ("part3_conv.py", "part3_detection.py")}


def names(folder):
    return {p.name for p in folder.iterdir()}


# ---- whole on their own -------------------------------------------------------------------------------
@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_import_only_the_standard_library_torch_numpy_scipy_and_matplotlib(script):
    tree = ast.parse((ROOT / script).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported, script
    assert imported <= ALLOWED | set(sys.stdlib_module_names), imported - ALLOWED - set(sys.stdlib_module_names)


def test_the_scripts_run_alone_in_an_empty_folder(tmp_path):
    """The four files and nothing of ours (python -I: no current folder, no PYTHONPATH, no user site):
    --help works, and the project really is out of reach there."""
    for script in SCRIPTS:
        shutil.copy(ROOT / script, tmp_path)
    alone = subprocess.run([sys.executable, "-I", "-c", "import dlbasics"], cwd=tmp_path, capture_output=True,
                           text=True)
    assert alone.returncode != 0 and "No module named 'dlbasics'" in alone.stderr
    for script in SCRIPTS:
        proc = subprocess.run([sys.executable, "-I", script, "--help"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0 and "usage:" in proc.stdout, (script, proc.stderr)


def block(text, name):
    found = re.findall(rf"^# ---- shared block \"{name}\".*?^# ---- end of shared block \"{name}\" ----$", text,
                       flags=re.S | re.M)
    return found


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_shared_blocks_are_identical_copies(name):
    """What several scripts need is copied into each (so each runs alone), and the copies never drift."""
    copies = {script: block((ROOT / script).read_text(), name) for script in BLOCKS[name]}
    assert all(len(c) == 1 for c in copies.values()), {s: len(c) for s, c in copies.items()}
    first = copies[BLOCKS[name][0]][0]
    for script, (text,) in copies.items():
        assert text == first, f"block {name!r} of {script} differs from {BLOCKS[name][0]}'s"
    for script in set(SCRIPTS) - set(BLOCKS[name]):
        assert not block((ROOT / script).read_text(), name), (name, script)


def test_no_script_or_module_edits_the_import_path():
    for path in [*(ROOT / s for s in SCRIPTS), *(ROOT / "dlbasics").rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        assert "sys.path" not in path.read_text(), path


# ---- flags ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("parse", [m.parse_args for m in MODULES.values()] +
                         [lambda argv, s=s: study.parse_args([s, *argv]) for s in study.STUDIES],
                         ids=[*MODULES, *(f"study {s}" for s in study.STUDIES)])
def test_help_documents_every_default(parse, capsys):
    with pytest.raises(SystemExit) as exc:
        parse(["--help"])
    text = capsys.readouterr().out
    assert exc.value.code == 0
    options = [" ".join(entry.split()) for entry in re.split(r"\n  (?=--)", text)[1:]]   # one entry per flag
    assert len(options) >= 4, text
    switches = ("quick", "no-progress", "no-figures")
    undocumented = [o for o in options if "default" not in o and not o[2:].startswith(switches)]
    assert not undocumented, undocumented


def test_an_explicit_cap_wins_over_the_2017_edition_whatever_its_spelling(tmp_path):
    """--max-iters=500 (with =) was once missed by a scan of sys.argv, and 1000 epochs were trained."""
    caps = []
    for argv in (["--max-iters=500"], ["--max-iters", "500"], []):
        out = tmp_path / str(len(caps))
        part2_fc.main(["--edition", "2017", "--no-figures", "--out-dir", str(out), *argv])
        summary = json.loads((out / "part2_summary.json").read_text())
        caps.append(summary["settings"]["max_iters"])
        assert all(row[4] <= caps[-1] for row in summary["runs"]["rows"])
    assert caps == [500, 500, 1000]          # 1000 epochs of one batch of 64


def test_the_studys_learning_rates_are_the_ones_given_whatever_the_spelling():
    """--quick --lrs=0.1,3 (with =) once trained at 0.1 and 1, the quick default."""
    for argv in (["--lrs=0.1,3"], ["--lrs", "0.1,3"]):
        assert study.parse_args(["part2", "--quick", *argv]).lrs == [0.1, 3.0]
    assert study.parse_args(["part2", "--quick"]).lrs == [0.1, 1.0]
    assert study.parse_args(["part2"]).lrs == [0.1, 0.3, 1.0, 3.0]


def test_seeds_runs_the_plain_loop_for_every_seed(tmp_path):
    part3_conv.main(["--seeds", "3", "--seed", "5", "--max-iters", "40", "--no-figures", "--out-dir", str(tmp_path)])
    summary = json.loads((tmp_path / "part3_line_summary.json").read_text())
    assert sorted(row[3] for row in summary["runs"]["rows"]) == [0, 1, 2, 5]
    assert [r["seed"] for r in summary["single_runs"]] == [5]


# ---- what they write -----------------------------------------------------------------------------------
def test_part1_writes_its_figures_and_numbers(quick_outputs):
    out, _ = quick_outputs
    for stem in ("sigmoid_output", "l2_loss", "l2_grad", "ce_loss", "ce_grad", "relu_output", "relu_l2_loss",
                 "relu_l2_grad", "gradient_slices", "curvature"):
        assert {f"part1_{stem}.png", f"part1_{stem}.pdf"} <= names(out)
    numbers = json.loads((out / "part1_numbers.json").read_text())
    assert numbers["points"] == 31 and numbers["l2_flat_pct"] > numbers["ce_flat_pct"]


def test_part2_and_its_study_write_every_output(quick_outputs):
    out, procs = quick_outputs
    for setting in ("sigmoid_l2", "sigmoid_ce", "relu_l2", "relu_ce"):
        for what in ("loss", "accuracy"):
            assert {f"part2_{setting}_{what}.png", f"part2_{setting}_{what}.pdf"} <= names(out)
    for stem in ("overlay", "study_ecdf", "lr_sweep", "grad_norms", "predictions", "weights", "data"):
        assert {f"part2_{stem}.png", f"part2_{stem}.pdf"} <= names(out)
    for f in ("seed_table.csv", "study.csv", "study.tex", "curves.csv", "lr_sweep.csv", "paired.csv", "paired.tex",
              "summary.json", "study_summary.json", "study_numbers.tex"):
        assert f"part2_{f}" in names(out)
    assert "sorted by iterations" in procs["part2_fc.py"].stdout
    assert "data: random (bundled" in procs["study part2"].stdout


def test_part3_and_its_studies_write_every_output(quick_outputs):
    out, _ = quick_outputs
    for stem, curves in (("part3_line", ("loss", "accuracy")),
                         ("part3_detection", ("cls_loss", "cls_acc", "reg_loss", "reg_acc"))):
        for fig in ("filters", "feature_maps", "study_ecdf", "data") + curves:
            assert {f"{stem}_{fig}.png", f"{stem}_{fig}.pdf"} <= names(out), fig
        for f in ("study.csv", "study.tex", "curves.csv", "study_numbers.tex", "summary.json", "study_summary.json"):
            assert f"{stem}_{f}" in names(out)


def test_every_summary_shares_one_schema_and_no_absolute_path(quick_outputs):
    out, _ = quick_outputs
    for path in out.glob("*summary.json"):
        summary = json.loads(path.read_text())
        assert summary["schema"] == SCHEMA and summary["settings"]["dtype"] == "float64", path.name
        assert summary["runs"]["columns"][:6] == ["setting", "lr", "reduction", "seed", "iterations", "status"]
        assert str(ROOT) not in path.read_text() and "/tmp" not in path.read_text(), path.name
    for name in ("part3_detection_summary.json", "part3_detection_study_summary.json"):
        assert json.loads((out / name).read_text())["runs"]["columns"][6:] == ["classification"]


def test_no_staging_folder_is_left(quick_outputs):
    out, _ = quick_outputs
    assert not [p for p in out.iterdir() if ".staging-" in p.name]


def test_the_scripts_seed_runs_are_the_studys(quick_outputs):
    """The script's own loop and the study's engine give the same runs of the same seed."""
    out, _ = quick_outputs
    for script, study_name in (("part2", "part2_study"), ("part3_line", "part3_line_study"),
                               ("part3_detection", "part3_detection_study")):
        mine, theirs = (json.loads((out / f"{n}_summary.json").read_text()) for n in (script, study_name))
        assert mine["runs"]["rows"]
        rows = {tuple(r[:4]): r for r in theirs["runs"]["rows"]}
        for row in mine["runs"]["rows"]:
            assert rows[tuple(row[:4])] == row, row


def test_a_rerun_writes_the_same_bytes(quick_outputs, tmp_path):
    """Same arguments, same files, byte for byte (figures included); --no-figures writes the same numbers."""
    out, _ = quick_outputs
    proc = run_script("part3_conv.py", "--quick", "--out-dir", tmp_path / "again")
    assert proc.returncode == 0, proc.stderr
    for path in (tmp_path / "again").iterdir():
        assert path.read_bytes() == (out / path.name).read_bytes(), path.name
    proc = run_script("part3_conv.py", "--quick", "--no-figures", "--out-dir", tmp_path / "numbers")
    written = names(tmp_path / "numbers")
    assert written == {"part3_line_summary.json", "part3_line_curves.csv"}
    mine, theirs = (json.loads((folder / "part3_line_summary.json").read_text()) for folder in (tmp_path / "numbers", out))
    mine["settings"].pop("no_figures"), theirs["settings"].pop("no_figures")
    left_out, drawn = mine.pop("outputs"), theirs.pop("outputs")       # the figures: left out, recorded as None
    assert left_out == {k: None if k.endswith((".png", ".pdf")) else v for k, v in drawn.items()}
    assert mine == theirs


def test_seed_table_is_sorted(quick_outputs):
    out, _ = quick_outputs
    rows = (out / "part2_seed_table.csv").read_text().splitlines()[1:]
    counts = [r.split(",")[2] for r in rows]
    numeric = [int(c) for c in counts if c.isdigit()]
    assert numeric == sorted(numeric)
    assert all(not c.isdigit() for c in counts[len(numeric):])      # censored / dead / diverged last


# ---- the layout a reader meets -----------------------------------------------------------------------------
ORDER = ["# =+ The net", "# =+ The loss", "# =+ The training loop", "# =+ Figures", "# =+ main ",
         "# ---- below: the plumbing"]


@pytest.mark.parametrize("script", SCRIPTS[1:])
def test_each_training_script_reads_experiment_first(script):
    """The arguments, the net and its initialisation, the losses and rules, the loop, the figures, main();
    then one marked line, and under it only the plumbing every script shares."""
    text = (ROOT / script).read_text()
    marks = [next((m.start() for m in re.finditer("^" + mark, text, flags=re.M)), -1) for mark in ORDER]
    assert all(m > 0 for m in marks) and marks == sorted(marks), dict(zip(ORDER, marks))
    assert text.find("def parse_args") < marks[0]
    below = text[marks[-1]:]
    assert {m for m in re.findall(r'^# ---- shared block "(\w+)"', below, flags=re.M)} == {"data", "summary", "plumbing"}
    assert not re.search(r"^(def|class) (train|main|parse_args)\b", below, flags=re.M)


def test_a_learner_meets_part2s_network_before_line_120():
    lines = (ROOT / "part2_fc.py").read_text().splitlines()
    assert next(i for i, line in enumerate(lines, 1) if line.startswith("class FCNet(nn.Module)")) < 120


LAYERS = ["common", "engine", "study", "report", "tools"]        # each may import only the layers before it


def layer(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS[:4] else "tools"


def test_the_package_imports_one_way_down():
    """tools -> report -> study -> engine -> common -> the scripts: no import back up, no cycle between
    layers (within a layer, files may import each other)."""
    for path in (ROOT / "dlbasics").rglob("*.py"):
        if path.name == "__init__.py" and path.parent.name == "dlbasics":
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        mine = LAYERS.index(layer(module))
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            targets = ([f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) and
                       node.module and node.module.startswith("dlbasics") else [])
            for target in targets:
                assert node.level == 0, (module, "a relative import")
                theirs = LAYERS.index(layer(target if target.count(".") > 1 else target + ".x"))
                assert theirs <= mine, f"{module} imports {target}: {LAYERS[theirs]} is above {LAYERS[mine]}"
