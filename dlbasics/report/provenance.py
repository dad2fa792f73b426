"""One build, one truth: the report uses only files that belong to the runs it quotes, and records what
it was built from.

Every program that writes into figures/ records in its summary (part1_numbers.json, *_summary.json) the
SHA-256 of each file it wrote there ("outputs"; None for a figure it left out with --no-figures) and of
the script whose code ran ("scripts"). Before a PDF replaces the old one, `check_used` holds every file
LaTeX read against these records and refuses, in one line naming both files, a figure left by another
run. `build_record` is what the PDF was built from: the data (SHA-256 of each file), the author line,
every file used and the scripts. It goes into the PDF's metadata (pdfinfo -custom shows it) and into
report/<name>.build.json beside it, which make submission checks before it zips anything.
"""
import hashlib
import json
from pathlib import Path

from dlbasics.common.cli import UserError
from dlbasics.common.data import origin
from dlbasics.report.author import tex_escape

RECORDS = ("part1_numbers.json", "*_summary.json")
MAKER = {"part1_numbers.json": "python part1_loss_gradient.py", "part2_summary.json": "python part2_fc.py",
         "part3_line_summary.json": "python part3_conv.py", "part3_detection_summary.json": "python part3_detection.py",
         "part2_study_summary.json": "python -m dlbasics.study part2",
         "part3_line_study_summary.json": "python -m dlbasics.study line",
         "part3_detection_study_summary.json": "python -m dlbasics.study detection",
         "beyond_summary.json": "make beyond"}


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def summaries(out_dir):
    """{file name: its parsed JSON} of every record in out_dir that holds an "outputs" record."""
    found = {}
    for pattern in RECORDS:
        for path in sorted(Path(out_dir).glob(pattern)):
            try:
                value = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue                               # the readers name an unreadable summary
            if isinstance(value, dict) and isinstance(value.get("outputs"), dict):
                found[path.name] = value
    return found


def owner(name, recorded):
    """The summary whose program writes files named like `name` (the longest common stem), or None."""
    stems = {s: s.rsplit("_", 1)[0] + "_" for s in recorded}          # part2_study_summary.json -> part2_study_
    fits = [s for s, stem in stems.items() if name.startswith(stem)]
    return max(fits, key=lambda s: len(stems[s]), default=None)


def rerun(summary_name):
    return MAKER.get(summary_name, "make figures")


def check_used(out_dir, used, made_now=()):
    """Refuse, in one line naming both files, a file in `used` (names in out_dir) that the summary of the run
    that made it does not record with these bytes. made_now: the report step's own files, exempt."""
    out_dir, recorded = Path(out_dir), summaries(out_dir)
    by_file = {name: (digest, s) for s, value in recorded.items() for name, digest in value["outputs"].items()}
    for name in sorted(set(used) - set(made_now) - set(recorded)):
        path = out_dir / name
        if name not in by_file:
            maker = owner(name, recorded)
            raise UserError(f"{path}: " + (f"not among the files {out_dir / maker} records, so not from the run the "
                                           f"report quotes; rerun {rerun(maker)} (or make figures)" if maker else
                                           "no summary in the folder records it; rerun make figures"))
        digest, maker = by_file[name]
        if digest is None:
            raise UserError(f"{path} and {out_dir / maker} are from different runs (that run drew no figures, "
                            f"--no-figures); rerun {rerun(maker)} without it (or make figures)")
        if sha256(path) != digest:
            raise UserError(f"{path} and {out_dir / maker} are from different runs (the file changed after that run "
                            f"wrote it); rerun {rerun(maker)} (or make figures)")
    scripts(out_dir, recorded)


def scripts(out_dir, recorded=None):
    """{script: SHA-256} that made the summaries; UserError naming two summaries made by different versions
    of one script."""
    recorded = summaries(out_dir) if recorded is None else recorded
    seen = {}
    for s, value in recorded.items():
        for script, digest in (value.get("scripts") or {}).items():
            first = seen.setdefault(script, (digest, s))
            if first[0] != digest:
                raise UserError(f"{Path(out_dir) / first[1]} and {Path(out_dir) / s} were made by different versions "
                                f"of {script}; rerun make figures")
    return {script: digest for script, (digest, _) in sorted(seen.items())}


def data_record(out_dir):
    """{"files": {dataset/file: SHA-256}, "origin": course / bundled / user-supplied / mixed} of every
    summary's data; UserError for two summaries of one dataset made from different files."""
    files, by_set = {}, {}
    for s, value in summaries(out_dir).items():
        data = value.get("data") or {}
        name, digests = data.get("name"), data.get("sha256") or {}
        if name is None:
            continue
        first = by_set.setdefault(name, (digests, s))
        if first[0] != digests:
            raise UserError(f"{Path(out_dir) / first[1]} and {Path(out_dir) / s} were made from different {name} "
                            f"data; rerun make figures")
        files |= {f"{name}: {f}": d for f, d in digests.items()}
    origins = {origin(d) for d, _ in by_set.values()}
    return {"files": dict(sorted(files.items())),
            "origin": origins.pop() if len(origins) == 1 else "mixed" if origins else "no"}


def build_record(out_dir, author):
    """What a PDF is built from, known before LaTeX runs: the data, the author line, the scripts and every
    summary (SHA-256 each; each summary pins the files of its run)."""
    out_dir = Path(out_dir)
    return {"data": data_record(out_dir), "author": author, "scripts": scripts(out_dir),
            "summaries": {name: sha256(out_dir / name) for name in summaries(out_dir)}}


def pdf_info(record):
    """For the preamble, after hyperref: the author and the data as the PDF's Author and Subject, and the
    SHA-256 of the data, the scripts and the summaries as keys of its own (pdfinfo -custom shows them), each
    a UTF-16 hex string."""
    def hex_string(text):
        return "<FEFF" + text.encode("utf-16-be").hex().upper() + ">"
    author = record["author"]
    subject = (f"built on the {record['data']['origin']} data; author {author['author'] or '(not given)'}, Penn key "
               f"{author['penn key'] or '(not given)'}, collaborators {author['collaborators'] or '(not given)'}")
    keys = {"AuthorLine": json.dumps(author, sort_keys=True), "DataOrigin": record["data"]["origin"],
            "DataSHA256": "; ".join(f"{k} {v}" for k, v in record["data"]["files"].items()),
            "ScriptsSHA256": "; ".join(f"{k} {v}" for k, v in record["scripts"].items()),
            "SummariesSHA256": "; ".join(f"{k} {v}" for k, v in record["summaries"].items())}
    return ("% Written from the runs; do not edit.\n"
            f"\\hypersetup{{pdfauthor={{{tex_escape(author['author'] or '(not given)')}}}, "
            f"pdfsubject={{{tex_escape(subject)}}}}}\n"
            "\\pdfinfo{" + " ".join(f"/{k} {hex_string(v)}" for k, v in keys.items()) + "}\n")


def read_pdf_record(pdf):
    """The record pdf_info put into a PDF, read back from its bytes (pdfTeX writes the document's
    information uncompressed): {"author", "origin", "scripts", "summaries"}; None if it carries none."""
    import re
    found = {m.group(1).decode(): bytes.fromhex(m.group(2).decode()).decode("utf-16-be", errors="replace")
             for m in re.finditer(rb"/(AuthorLine|DataOrigin|ScriptsSHA256|SummariesSHA256) <FEFF([0-9A-F]*)>",
                                  Path(pdf).read_bytes())}
    if len(found) < 4:
        return None
    try:
        author = json.loads(found["AuthorLine"])
        pairs = {k: dict(p.rsplit(" ", 1) for p in found[k].split("; ") if p) for k in ("ScriptsSHA256", "SummariesSHA256")}
    except ValueError:
        return None
    if not isinstance(author, dict):
        return None
    return {"author": author, "origin": found["DataOrigin"], "scripts": pairs["ScriptsSHA256"],
            "summaries": pairs["SummariesSHA256"]}


def used_files(fls, report_dir, out_dir):
    """The names of the files in out_dir that LaTeX read, from its recorder file (<name>.fls)."""
    report_dir, out_dir, used = Path(report_dir), Path(out_dir).resolve(), set()
    for line in Path(fls).read_text(errors="replace").splitlines():
        if line.startswith("INPUT "):
            path = (report_dir / line[6:].strip()).resolve()
            if path.parent == out_dir:
                used.add(path.name)
    return used
