"""The package's writers, on top of the scripts' staged outputs (part2_fc.Outputs): JSON that may hold
infinite medians, LaTeX macros and tables for the report, and numbers as the report prints them."""
import math
import re

from part2_fc import Outputs  # noqa: F401  (the one staging mechanism; re-exported)


def clean(value):
    """JSON-safe value: non-finite floats become the strings 'inf', '-inf' and 'nan' (summary.read undoes it)."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def fmt_int(value):
    """An integer with thin spaces between thousands, for LaTeX: 10\\,000."""
    return f"{int(value):,}".replace(",", "\\,")


def macro_name(key):
    """'p2 mean sigmoid l2 iters' -> 'PTwoMeanSigmoidLTwoIters' (LaTeX macros take letters only)."""
    digits = "Zero One Two Three Four Five Six Seven Eight Nine".split()
    out = ""
    for word in re.split(r"[^A-Za-z0-9]+", key):
        for chunk in re.findall(r"[A-Za-z]+|[0-9]", word):
            out += digits[int(chunk)] if chunk.isdigit() else chunk[0].upper() + chunk[1:]
    return out


def tex_macros(values):
    """One \\newcommand per entry, so the report quotes numbers it never retypes."""
    return "% Written from the runs; do not edit.\n" + "".join(
        f"\\newcommand{{\\{macro_name(key)}}}{{{values[key]}}}\n" for key in sorted(values))


def tex_table(header, rows, align=None, notes=()):
    """A booktabs tabular (no float) for the report to \\input; notes: lines printed under the last rule,
    across the whole width (what a mark in the table means)."""
    align = align or "l" + "r" * (len(header) - 1)
    lines = [f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(header) + r" \\", "\\midrule"]
    lines += [" & ".join(str(c) for c in row) + r" \\" for row in rows]
    lines += ["\\bottomrule"] + [f"\\multicolumn{{{len(header)}}}{{l}}{{\\footnotesize {n}}} \\\\" for n in notes]
    return "\n".join(lines + ["\\end{tabular}"]) + "\n"


def two_level_table(groups, header, rows, notes=(), first=1):
    """A booktabs tabular whose columns after the `first` ones come in len(groups) equal groups, each named
    above its columns (\\cmidrule under each name); notes: lines under the last rule."""
    width = (len(header) - first) // len(groups)
    top = " & ".join([""] * first + [f"\\multicolumn{{{width}}}{{c}}{{{g}}}" for g in groups]) + r" \\"
    rules = "".join(f"\\cmidrule(lr){{{first + 1 + i * width}-{first + (i + 1) * width}}}" for i in range(len(groups)))
    lines = [f"\\begin{{tabular}}{{{'l' * first}{'r' * (len(header) - first)}}}", "\\toprule", top, rules,
             " & ".join(header) + r" \\", "\\midrule", *(" & ".join(str(c) for c in row) + r" \\" for row in rows),
             "\\bottomrule", *(f"\\multicolumn{{{len(header)}}}{{l}}{{\\footnotesize {n}}} \\\\" for n in notes),
             "\\end{tabular}"]
    return "\n".join(lines) + "\n"
