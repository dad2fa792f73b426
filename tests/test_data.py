"""The data layer: course files, 2017 names, .mat copies, the generator (bad inputs: test_inputs.py)."""
import shutil

import numpy as np
import pytest
import scipy.io
import scipy.sparse
import torch
from conftest import ROOT, run_module

from dlbasics.common import bundled
from dlbasics.common.cli import UserError
from dlbasics.common.data import load_dataset, origin

BUNDLED = ROOT / "data"


def test_course_files_load(course_dir):
    expected = {"random": (4, 53, 11), "line": (16, 32, 32), "detection": (16, 32, 32)}
    for name, (side, zeros, ones) in expected.items():
        ds = load_dataset(name, course_dir)
        assert ds.images.shape == (64, side, side) and ds.images.dtype == torch.float64
        assert ds.labels.shape == (64,) and ds.labels.dtype == torch.float64
        assert (int((ds.labels == 0).sum()), int((ds.labels == 1).sum())) == (zeros, ones)
        assert origin(ds.files) == "course"
    det = load_dataset("detection", course_dir)
    assert det.widths.min() == 1 and det.widths.max() == 7
    raw = np.load(course_dir / "line" / "line_imgs.npy")
    assert np.array_equal(load_dataset("line", course_dir).images.numpy(), raw)


def test_2017_names_in_folder_and_flat(tmp_path):
    (tmp_path / "random").mkdir()
    for arr in ("imgs", "labs"):
        shutil.copy(BUNDLED / "random" / f"random_{arr}.npy", tmp_path / "random" / f"p21_random_{arr}.npy")
        shutil.copy(BUNDLED / "line" / f"line_{arr}.npy", tmp_path / f"p22_line_{arr}.npy")
    assert load_dataset("random", tmp_path).images.shape == (64, 4, 4)
    line = load_dataset("line", tmp_path)
    assert line.images.shape == (64, 16, 16) and origin(line.files) == "bundled"


def test_mat_copies_and_label_shapes(tmp_path):
    (tmp_path / "detection").mkdir()
    for arr in ("imgs", "labs", "width"):
        stem = "detection_width" if arr == "width" else f"detection_{arr}"
        value = np.load(BUNDLED / "detection" / f"{stem}.npy")
        key = stem if arr != "labs" else "labs"          # both variable-name conventions
        scipy.io.savemat(tmp_path / "detection" / f"{stem}.mat", {key: value})
    ds = load_dataset("detection", tmp_path)
    ref = load_dataset("detection", BUNDLED)
    assert torch.equal(ds.images, ref.images) and torch.equal(ds.labels, ref.labels)
    assert torch.equal(ds.widths, ref.widths)


def test_mat_sparse_labels_are_read_as_full(tmp_path):
    """MATLAB's sparse(labels) is a scipy sparse matrix once loaded: read as the labels, not as 'missing'."""
    shutil.copytree(BUNDLED / "random", tmp_path / "random")
    labels = np.load(BUNDLED / "random" / "random_labs.npy")
    (tmp_path / "random" / "random_labs.npy").unlink()
    scipy.io.savemat(tmp_path / "random" / "random_labs.mat", {"random_labs": scipy.sparse.csc_matrix(labels[:, None])})
    assert torch.equal(load_dataset("random", tmp_path).labels, load_dataset("random", BUNDLED).labels)


def test_column_labels_and_integer_dtypes(tmp_path):
    (tmp_path / "random").mkdir()
    imgs = np.load(BUNDLED / "random" / "random_imgs.npy").astype(np.uint8)
    labs = np.load(BUNDLED / "random" / "random_labs.npy").astype(np.int32).reshape(64, 1)
    np.save(tmp_path / "random" / "random_imgs.npy", imgs)
    np.save(tmp_path / "random" / "random_labs.npy", labs)
    ds = load_dataset("random", tmp_path)
    assert ds.labels.shape == (64,) and ds.images.dtype == torch.float64


def test_mat_without_known_variable(tmp_path):
    (tmp_path / "random").mkdir()
    scipy.io.savemat(tmp_path / "random" / "random_imgs.mat", {"something": np.zeros((64, 4, 4))})
    np.save(tmp_path / "random" / "random_labs.npy", np.zeros(64))
    with pytest.raises(UserError, match="expected a variable named 'random_imgs' or 'imgs'"):
        load_dataset("random", tmp_path)


def test_generator_reproduces_committed_files(tmp_path):
    proc = run_module("dlbasics.gendata", "--out-dir", tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.npy"))
    assert len(written) == 7
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (BUNDLED / rel).read_bytes(), rel


def test_generated_data_follow_the_specification():
    files = bundled.generate()
    imgs, widths = files["detection/detection_imgs.npy"], files["detection/detection_width.npy"]
    labs = files["detection/detection_labs.npy"]
    for img, w, lab in zip(imgs, widths, labs):
        rows = np.flatnonzero(img.any(axis=1))
        assert rows[-1] - rows[0] + 1 == 2 * w + 1             # spans 2w + 1 px
        assert img.sum() == ((2 * w + 1) ** 2 if lab == 1 else 2 * w * w + 2 * w + 1)
    line, line_labs = files["line/line_imgs.npy"], files["line/line_labs.npy"]
    for img, lab in zip(line, line_labs):
        cols = img.sum(axis=0)                                   # the bar is the tallest column run
        bar_col = int(np.argmax(cols))
        square_cols = np.flatnonzero((cols > 0) & (cols < cols.max()))
        assert (square_cols.mean() < bar_col) == (lab == 1)
    rnd = files["random/random_imgs.npy"].reshape(64, 16).astype(float)
    rnd_labs = files["random/random_labs.npy"]
    from scipy.optimize import linprog  # separable: a feasible LP exists
    signs = 2 * rnd_labs - 1
    a = -signs[:, None] * np.hstack([rnd, np.ones((64, 1))])
    assert linprog(np.zeros(17), A_ub=a, b_ub=-np.ones(64), bounds=(None, None)).status == 0
