"""Writing results: atomic files with fixed names, JSON/CSV/LaTeX, and figures as PNG + PDF.

Every writer goes through `_atomic`, so an interrupted run never leaves a half-written file.
"""
import csv
import io
import json
import math
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_DPI = 150


def _atomic_write_bytes(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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
    text = json.dumps(_clean(obj), indent=2, sort_keys=True) + "\n"
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
    """
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
