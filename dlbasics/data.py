"""Loading and validating the three toy datasets (random, line, detection).

Accepted layouts, first match wins, for every array of a dataset `name` under a folder DIR:
  DIR/name/name_imgs.npy   (the course layout; also flat as DIR/name_imgs.npy)
  DIR/name/p21_random_imgs.npy, DIR/p22_line_imgs.npy, ...   (the 2017 names)
  the same stems with .mat (scipy.io; variable = the file's stem, or imgs / labs / width)
Widths live in detection_width.* . Any numeric dtype; labels shaped (N,) or (N, 1).
"""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.io
import torch

from .cli import UserError
from .paths import ROOT

SPECS = {  # name -> (image side, arrays, 2017 prefix)
    "random": (4, ("imgs", "labs"), "p21_random"),
    "line": (16, ("imgs", "labs"), "p22_line"),
    "detection": (16, ("imgs", "labs", "width"), None),
}

# SHA-256 of the course's original files, to tell which data produced a run.
COURSE_SHA256 = {
    "a750b95934a620757ff4399f01012ea089feec4b8df8530bd1e1390c54cbccfd",
    "8d32857fd713faa01397ed9b867d34d1a21d441c76e5c75f378920184ad493af",
    "351e417718a42d70a8bbb68b178df19e245bcfef722d6bfc296df80cebb43b20",
    "9d8d09f61820711abc2a0db5cb5d4f4d5a0424c269d60949bacbc29dbc4c5a05",
    "2b65647ee1af1e154539d4b25c8146b9040ac15ee520613e6598d713855b12a2",
    "a671e6e9e57f89e41d768a4c2da6038a3706383467da267d607afc3583fd4a12",
    "420a533486ac6e58964c2c09f4e2d6531174e5f3d8f3e61d40ac9c15e3632cf7",
}


class DataError(UserError):
    """A missing or malformed data file."""


@dataclass
class Dataset:
    name: str
    images: torch.Tensor            # (N, side, side) float32
    labels: torch.Tensor            # (N,) float32, 0/1
    widths: torch.Tensor | None     # (N,) float32, > 0 (detection only)
    files: list = field(default_factory=list)
    origin: str = "user-supplied"   # or "course" / "bundled"

    def __len__(self):
        return len(self.labels)


def display_path(path):
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _candidates(data_dir, name, array):
    stem_name = "detection_width" if array == "width" else f"{name}_{array}"
    stems = [stem_name]
    if SPECS[name][2]:
        stems.append(f"{SPECS[name][2]}_{array}")
    for folder in (data_dir / name, data_dir):
        for stem in stems:
            for ext in (".npy", ".mat"):
                yield folder / f"{stem}{ext}"


def find_file(data_dir, name, array):
    data_dir = Path(data_dir)
    for path in _candidates(data_dir, name, array):
        if path.is_file():
            return path
    expected = data_dir / name / ("detection_width.npy" if array == "width" else f"{name}_{array}.npy")
    raise DataError(f"{display_path(expected)}: file not found (expected the {name} dataset's "
                    f"{array} as .npy or .mat; see --help for accepted names)")


def _read_mat(path, array):
    try:
        contents = scipy.io.loadmat(path)
    except Exception as err:  # scipy raises many types for a damaged file
        raise DataError(f"{display_path(path)}: cannot be read as a MATLAB .mat file ({err})") from None
    for key in (path.stem, array):
        if key in contents:
            value = np.asarray(contents[key])
            if array != "imgs" and value.ndim == 2 and value.shape[0] == 1:
                value = value[0]  # MATLAB stores vectors as 1 x N rows
            return value
    raise DataError(f"{display_path(path)}: expected a variable named '{path.stem}' or '{array}'")


def read_array(path, array):
    path = Path(path)
    if path.suffix == ".mat":
        value = _read_mat(path, array)
    else:
        try:
            value = np.load(path, allow_pickle=False)
        except Exception as err:
            raise DataError(f"{display_path(path)}: cannot be read as a NumPy .npy file ({err})") from None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise DataError(f"{display_path(path)}: expected a numeric array, got dtype {getattr(value, 'dtype', type(value))}")
    if not np.all(np.isfinite(value)):
        raise DataError(f"{display_path(path)}: expected finite values, found NaN or infinity")
    return value


def _check_vector(path, value, count, what):
    if value.shape not in ((count,), (count, 1)):
        raise DataError(f"{display_path(path)}: expected {what} of shape ({count},) or ({count}, 1) "
                        f"to match the {count} images, got {value.shape}")
    return value.reshape(count)


def validate(name, paths, arrays):
    """Check shapes and values; return float32 tensors."""
    side = SPECS[name][0]
    imgs = arrays["imgs"]
    if imgs.ndim != 3 or imgs.shape[1:] != (side, side) or imgs.shape[0] < 1:
        raise DataError(f"{display_path(paths['imgs'])}: expected {name} images of shape "
                        f"(N, {side}, {side}), got {imgs.shape}")
    count = imgs.shape[0]
    labs = _check_vector(paths["labs"], arrays["labs"], count, "labels")
    bad = labs[(labs != 0) & (labs != 1)]
    if bad.size:
        raise DataError(f"{display_path(paths['labs'])}: expected labels in {{0, 1}}, found {float(bad[0])!r}")
    widths = None
    if "width" in arrays:
        widths = _check_vector(paths["width"], arrays["width"], count, "widths")
        if np.any(widths <= 0):
            raise DataError(f"{display_path(paths['width'])}: expected widths > 0, "
                            f"found {float(widths[widths <= 0][0])!r}")
        widths = torch.tensor(widths, dtype=torch.float32)
    return (torch.tensor(imgs, dtype=torch.float32), torch.tensor(labs, dtype=torch.float32), widths)


def _origin(paths, data_dir):
    digests = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}
    if digests <= COURSE_SHA256:
        return "course"
    from .gendata import bundled_digests  # local import: gendata imports this module
    return "bundled" if digests <= bundled_digests() else "user-supplied"


def load_dataset(name, data_dir):
    """Find, read and validate dataset `name` under `data_dir`; raise DataError on any problem."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"--data-dir {data_dir}: expected an existing folder")
    paths = {a: find_file(data_dir, name, a) for a in SPECS[name][1]}
    arrays = {a: read_array(p, a) for a, p in paths.items()}
    images, labels, widths = validate(name, paths, arrays)
    files = [display_path(p) for p in paths.values()]
    return Dataset(name, images, labels, widths, files, _origin(paths.values(), data_dir))


def describe(dataset):
    """One line for the console: which files were read and what they are."""
    return f"data: {dataset.name} ({dataset.origin}, {len(dataset)} samples) from {', '.join(dataset.files)}"
