"""Loading and validating the three toy datasets (random, line, detection).

Accepted layouts, first match wins, for every array of a dataset `name` under a folder DIR:
  DIR/name/name_imgs.npy   (the course layout; also flat as DIR/name_imgs.npy)
  DIR/name/p21_random_imgs.npy, DIR/p22_line_imgs.npy, ...   (the 2017 names)
  the same stems with .mat (scipy.io; variable = the file's stem, or imgs / labs / width)
Widths live in detection_width.* and hold the half-width w (an object spans 2w + 1 px). Any
numeric dtype and byte order; labels shaped (N,) or (N, 1). Values are kept exactly (float64).
"""
import hashlib
from dataclasses import dataclass, field, replace
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
MAX_SAMPLES = 100_000        # the course's sets have 64; far beyond this is not a toy dataset
MAX_PIXEL = 1e6              # |pixel| beyond this is no image (and overflows float32 arithmetic)
NPY_MAGIC = b"\x93NUMPY"

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
    images: torch.Tensor            # (N, side, side)
    labels: torch.Tensor            # (N,), 0/1
    widths: torch.Tensor | None     # (N,), half-widths (detection only)
    files: list = field(default_factory=list)
    origin: str = "user-supplied"   # or "course" / "bundled"

    def __len__(self):
        return len(self.labels)

    def to(self, dtype):
        """The same data as `dtype` tensors (the training runs' precision)."""
        widths = None if self.widths is None else self.widths.to(dtype)
        return replace(self, images=self.images.to(dtype), labels=self.labels.to(dtype), widths=widths)

    @property
    def class_counts(self):
        n1 = int((self.labels > 0.5).sum())
        return len(self) - n1, n1


def display_path(path):
    """The path as the user would write it: relative to the project when inside it, links kept."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _candidates(data_dir, name, array):
    stem_name = "detection_width" if array == "width" else f"{name}_{array}"
    stems = [stem_name] + ([f"{SPECS[name][2]}_{array}"] if SPECS[name][2] else [])
    for folder in (data_dir / name, data_dir):
        for stem in stems:
            for ext in (".npy", ".mat"):
                yield folder / f"{stem}{ext}"


def _exists(path):
    """True if something (a file, a folder, a link, even a broken one) is at `path`."""
    try:
        return path.is_symlink() or path.exists()
    except OSError as err:
        raise DataError(f"{display_path(path)}: cannot be inspected ({err.strerror})") from None


def find_file(data_dir, name, array):
    data_dir = Path(data_dir)
    for path in _candidates(data_dir, name, array):
        if not _exists(path):
            continue
        if path.is_symlink() and not path.exists():
            raise DataError(f"{display_path(path)}: a link that leads nowhere (to {path.readlink()}: missing "
                            "or a loop)")
        if path.is_dir():
            raise DataError(f"{display_path(path)}: expected a file, found a folder")
        return path
    expected = data_dir / name / ("detection_width.npy" if array == "width" else f"{name}_{array}.npy")
    raise DataError(f"{display_path(expected)}: file not found (expected the {name} dataset's {array} there, "
                    f"as .npy or .mat, or flat in the folder, or under its 2017 name)")


def _read_npy(path):
    """np.load, but the header is checked first: no pickles, no giant allocations."""
    with open(path, "rb") as f:
        if f.read(6) != NPY_MAGIC:
            raise DataError(f"{display_path(path)}: not a NumPy .npy file (no .npy header)")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(f)
        except ValueError as err:
            raise DataError(f"{display_path(path)}: damaged .npy header ({err})") from None
        if dtype.hasobject or dtype.kind not in "biuf":
            raise DataError(f"{display_path(path)}: expected a numeric array, got dtype {dtype}")
        if not shape or shape[0] > MAX_SAMPLES or np.prod(shape, dtype=np.float64) > MAX_SAMPLES * 256:
            raise DataError(f"{display_path(path)}: expected at most {MAX_SAMPLES} samples of at most "
                            f"16 x 16, got shape {shape}")
        f.seek(0)
        return np.load(f, allow_pickle=False)


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
    try:
        value = _read_mat(path, array) if path.suffix == ".mat" else _read_npy(path)
    except OSError as err:
        raise DataError(f"{display_path(path)}: cannot be read ({err.strerror or err})") from None
    except (ValueError, EOFError) as err:
        raise DataError(f"{display_path(path)}: cannot be read as a NumPy .npy file ({err})") from None
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "biuf":
        raise DataError(f"{display_path(path)}: expected a numeric array, got dtype {getattr(value, 'dtype', type(value))}")
    value = value.astype(value.dtype.newbyteorder("="), copy=False)          # big-endian files too
    if not np.all(np.isfinite(value)):
        raise DataError(f"{display_path(path)}: expected finite values, found NaN or infinity")
    return value


def _check_vector(path, value, count, what):
    if value.shape not in ((count,), (count, 1)):
        raise DataError(f"{display_path(path)}: expected {what} of shape ({count},) or ({count}, 1) "
                        f"to match the {count} images, got {value.shape}")
    return value.reshape(count).astype(np.float64)


def validate(name, paths, arrays):
    """Check shapes and values; return float64 tensors (exact for every accepted input)."""
    side = SPECS[name][0]
    imgs = arrays["imgs"]
    if imgs.ndim != 3 or imgs.shape[1:] != (side, side) or imgs.shape[0] < 1:
        raise DataError(f"{display_path(paths['imgs'])}: expected {name} images of shape "
                        f"(N, {side}, {side}), got {imgs.shape}")
    if np.abs(imgs).max() > MAX_PIXEL:
        raise DataError(f"{display_path(paths['imgs'])}: expected pixel values within +-{MAX_PIXEL:g}, "
                        f"found {float(np.abs(imgs).max()):g}")
    count = imgs.shape[0]
    labs = _check_vector(paths["labs"], arrays["labs"], count, "labels")
    bad = labs[(labs != 0) & (labs != 1)]
    if bad.size:
        raise DataError(f"{display_path(paths['labs'])}: expected labels in {{0, 1}}, found {float(bad[0])!r}")
    widths = None
    if "width" in arrays:
        widths = _check_vector(paths["width"], arrays["width"], count, "widths")
        bad = widths[(widths <= 0) | (widths > side)]
        if bad.size:
            raise DataError(f"{display_path(paths['width'])}: expected half-widths in (0, {side}] pixels, "
                            f"found {float(bad[0]):g}")
        widths = torch.from_numpy(widths)
    return torch.from_numpy(imgs.astype(np.float64)), torch.from_numpy(labs), widths


def _origin(paths):
    digests = {hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}
    if digests <= COURSE_SHA256:
        return "course"
    from .gendata import bundled_digests  # local import: gendata imports this module
    return "bundled" if digests <= bundled_digests() else "user-supplied"


def load_dataset(name, data_dir, flag="--data-dir"):
    """Find, read and validate dataset `name` under `data_dir`; raise DataError on any problem.

    `flag` names the folder in messages (the command-line flag or argument it came from)."""
    data_dir = Path(data_dir)
    try:
        is_dir = data_dir.is_dir()
    except OSError as err:
        raise DataError(f"{flag} {data_dir}: cannot be inspected ({err.strerror})") from None
    if not is_dir:
        raise DataError(f"{flag} {data_dir}: expected an existing folder")
    paths = {a: find_file(data_dir, name, a) for a in SPECS[name][1]}
    arrays = {a: read_array(p, a) for a, p in paths.items()}
    images, labels, widths = validate(name, paths, arrays)
    files = [display_path(p) for p in paths.values()]
    return Dataset(name, images, labels, widths, files, _origin(paths.values()))


def describe(dataset):
    """One line for the console: which files were read and what they are."""
    zeros, ones = dataset.class_counts
    return (f"data: {dataset.name} ({dataset.origin}, {len(dataset)} samples, {zeros} x label 0, "
            f"{ones} x label 1) from {', '.join(dataset.files)}")
