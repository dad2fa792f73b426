"""Writing results: staged files with fixed names, JSON/CSV/LaTeX, and figures as PNG + PDF.

A run writes every file into a hidden staging folder beside --out-dir and moves them in together at
the very end (`Outputs`), so an interrupted or failed run leaves the out folder exactly as it was.
"""
import csv
import io
import json
import math
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .cli import UserError  # noqa: E402

PNG_DPI = 150


def check_out_dir(path):
    """Fail early (before any work) if `path` cannot become a writable folder; return its nearest
    existing ancestor (where the staging folder goes)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UserError(f"--out-dir {path}: expected a folder, found a file")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"--out-dir {path}: cannot create a folder under the file {probe}")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UserError(f"--out-dir {path}: folder {probe} is not writable")
    return probe


_DRAW = True          # False while a run writes its numbers only (--no-figures)


class Outputs:
    """Context manager: files go to `self.dir` (staging) and reach `out_dir` only if the block succeeds."""

    def __init__(self, out_dir, figures=True):
        self.out_dir, self.figures = Path(out_dir), figures
        base = check_out_dir(self.out_dir)
        anchor = self.out_dir.parent if self.out_dir.parent.exists() else base
        try:
            self.dir = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name or 'out'}.staging-", dir=anchor))
        except OSError as err:
            raise UserError(f"--out-dir {self.out_dir}: cannot write beside it ({err.strerror})") from None

    def __enter__(self):
        global _DRAW
        self._drew, _DRAW = _DRAW, self.figures
        return self

    def __exit__(self, kind, value, tb):
        global _DRAW
        _DRAW = self._drew
        if kind is None:
            self.commit()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def commit(self):
        """Move every staged file into out_dir; Ctrl-C is held off until all are there."""
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            for path in sorted(self.dir.iterdir()):
                os.replace(path, self.out_dir / path.name)
        except OSError as err:
            raise UserError(f"--out-dir {self.out_dir}: cannot move the results in ({err.strerror})") from None
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            signal.signal(signal.SIGINT, previous)


def _atomic_write_bytes(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _clean(value):
    """JSON-safe value: non-finite floats become strings so the file stays valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path, obj):
    text = json.dumps(_clean(obj), indent=1, sort_keys=True) + "\n"
    _atomic_write_bytes(path, text.encode())


def write_csv(path, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    _atomic_write_bytes(path, buf.getvalue().encode())


def write_text(path, text):
    _atomic_write_bytes(path, text.encode())


def macro_name(key):
    """'p2 mean sigmoid l2 iters' -> 'PTwoMeanSigmoidLTwoIters' (LaTeX macros take letters only)."""
    digits = "Zero One Two Three Four Five Six Seven Eight Nine".split()
    words = re.split(r"[^A-Za-z0-9]+", key)
    out = ""
    for word in words:
        for chunk in re.findall(r"[A-Za-z]+|[0-9]", word):
            out += digits[int(chunk)] if chunk.isdigit() else chunk[0].upper() + chunk[1:]
    return out


def write_tex_macros(path, values):
    """One \\newcommand per entry, so the report quotes numbers it never retypes."""
    lines = ["% Written by the experiment scripts; do not edit."]
    for key in sorted(values):
        lines.append(f"\\newcommand{{\\{macro_name(key)}}}{{{values[key]}}}")
    write_text(path, "\n".join(lines) + "\n")


def write_tex_table(path, header, rows, align=None):
    """A booktabs tabular (no float) for the report to \\input."""
    align = align or "l" + "r" * (len(header) - 1)
    lines = [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(header) + r" \\", "\\midrule"]
    lines += [" & ".join(str(c) for c in row) + r" \\" for row in rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    write_text(path, "\n".join(lines) + "\n")


def save_figure(fig, out_dir, stem, tight=False):
    """Save `fig` as <stem>.png and <stem>.pdf (reproducible bytes), then close it.

    tight=True crops to the drawn content (3D axes need it) at the cost of an extra draw.
    Inside an Outputs(figures=False) block (--no-figures) nothing is drawn or written.
    """
    if not _DRAW:
        plt.close(fig)
        return []
    for ext, kwargs in (("png", {"dpi": PNG_DPI, "metadata": {"Software": None}}),
                        ("pdf", {"dpi": 200, "metadata": {"CreationDate": None, "Producer": None}})):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, bbox_inches="tight" if tight else None, **kwargs)
        _atomic_write_bytes(Path(out_dir) / f"{stem}.{ext}", buf.getvalue())
    plt.close(fig)
    return [f"{stem}.png", f"{stem}.pdf"]


def fmt_int(value):
    """Thousands with a thin space for LaTeX, e.g. 10\\,000."""
    return f"{int(value):,}".replace(",", "\\,")
