"""The bundled datasets in data/, made by a seeded generator with the course's specification (the tool
python -m dlbasics.gendata writes them; dlbasics.common.data tells them apart by their SHA-256).

random:    64 binary 4x4 images; label = a planted linear rule w.x > t with a margin, so a
           16-4-1 net can reach 100 % (16 positives, 48 negatives).
line:      16x16; a vertical bar and a filled square; label 1 = square left of the bar, 0 = right.
detection: 16x16; a diamond (label 0) or a filled square (label 1) of half-width w in 1..7,
           spanning 2w+1 px; the width file holds w.
Every draw comes from numpy.random.RandomState(581), whose stream NumPy keeps the same in every release,
so the files are the same bytes on every machine.
"""
import hashlib
import io
from functools import lru_cache

import numpy as np

SEED = 581
N = 64


def make_random(rng):
    rule = rng.normal(size=16)
    pos, neg = [], []
    while len(pos) < 16 or len(neg) < 48:
        img = rng.randint(0, 2, size=16, dtype=np.int64)
        score = img @ rule - 1.0
        if abs(score) < 0.3:          # keep a margin around the planted boundary
            continue
        (pos if score > 0 else neg).append(img)
    imgs = np.stack(pos[:16] + neg[:48]).reshape(N, 4, 4).astype(np.int64)
    labs = np.array([1.0] * 16 + [0.0] * 48)
    order = rng.permutation(N)
    return {"random_imgs": imgs[order], "random_labs": labs[order]}


def _line_image(rng, square_left):
    img = np.zeros((16, 16))
    bar_w, bar_h, side, gap = (rng.randint(lo, hi, dtype=np.int64) for lo, hi in ((2, 5), (8, 14), (3, 6), (1, 4)))
    span = bar_w + gap + side
    x0 = rng.randint(0, 16 - span + 1, dtype=np.int64)
    sq_x, bar_x = (x0, x0 + side + gap) if square_left else (x0 + bar_w + gap, x0)
    bar_y, sq_y = rng.randint(0, 16 - bar_h + 1, dtype=np.int64), rng.randint(0, 16 - side + 1, dtype=np.int64)
    img[bar_y:bar_y + bar_h, bar_x:bar_x + bar_w] = 1
    img[sq_y:sq_y + side, sq_x:sq_x + side] = 1
    return img


def make_line(rng):
    labs = np.array([1.0] * 32 + [0.0] * 32)      # as in the course files: 1 first
    imgs = np.stack([_line_image(rng, bool(lab)) for lab in labs])
    return {"line_imgs": imgs, "line_labs": labs}


def _shape_image(rng, square, w):
    cy, cx = rng.randint(w, 16 - w, size=2, dtype=np.int64)
    yy, xx = np.mgrid[0:16, 0:16]
    dy, dx = np.abs(yy - cy), np.abs(xx - cx)
    inside = np.maximum(dy, dx) <= w if square else dy + dx <= w
    return inside.astype(np.float64)


def make_detection(rng):
    labs = np.array([0.0] * 32 + [1.0] * 32)      # as in the course files: diamonds first
    widths = rng.randint(1, 8, size=N, dtype=np.int64).astype(np.float64)
    imgs = np.stack([_shape_image(rng, bool(lab), int(w)) for lab, w in zip(labs, widths)])
    return {"detection_imgs": imgs, "detection_labs": labs, "detection_width": widths}


def generate():
    """{relative path: array} for all seven files, from one seeded generator."""
    rng = np.random.RandomState(SEED)      # a stream NumPy has frozen: the same files from every release
    files = {}
    for name, maker in (("random", make_random), ("line", make_line), ("detection", make_detection)):
        for stem, array in maker(rng).items():
            files[f"{name}/{stem}.npy"] = array
    return files


def npy_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


@lru_cache(maxsize=1)
def bundled_digests():
    return {hashlib.sha256(npy_bytes(a)).hexdigest() for a in generate().values()}
