"""The handout's submission: a ZIP named 1_<penn_key>.zip holding the report and the four scripts.

    python -m dlbasics.submission [--data-dir DIR]      (make submission [DATA_DIR=...])

The Penn key comes from report/author.txt (the line "penn key: ..."). Before anything is written, the
report is checked against the record make report put into the PDF's metadata (pdfinfo -custom shows it):
- its author line is the one in report/author.txt now, and not the placeholder (in any spelling);
- the summaries it was built from, and every figure and table they record, are still the same files;
- the four scripts are the ones whose runs made its numbers (their SHA-256).
Any difference is refused in one line that says what to run. A report built on the bundled datasets is
said in one line, with the command that rebuilds it when the course's files are in data/ or --data-dir.
The ZIP holds exactly report.pdf and the four scripts, flat, each of which runs on its own (torch, numpy,
scipy, matplotlib): unzipped anywhere, `python part2_fc.py --data-dir DIR` reruns part 2. The entries
carry a fixed date, so the same files give the same ZIP.
"""
import json
import re
import sys
import zipfile
from pathlib import Path

from dlbasics.common.cli import Parser, UserError, folder, run_main, say
from dlbasics.common.data import load_dataset, origin
from dlbasics.common.outputs import Outputs
from dlbasics.common.paths import DATA_DIR, ROOT
from dlbasics.report import author, provenance
from dlbasics.report.provenance import sha256

SCRIPTS = ("part1_loss_gradient.py", "part2_fc.py", "part3_conv.py", "part3_detection.py")
PDF = ROOT / "report" / "report.pdf"


def placeholder(value, line):
    """True for the template's text in any case or spacing ('your name', 'YourPennKey')."""
    return "".join(value.split()).casefold() == "".join(author.PLACEHOLDERS[line].split()).casefold()


def penn_key(author_file):
    """The Penn key from the student's file; UserError while it is missing or still the placeholder (or the
    author line is)."""
    if not Path(author_file).is_file():
        raise UserError(f"{author_file}: not found; it holds the lines 'author: ...', 'collaborators: ...' and "
                        "'penn key: ...' (git checkout report/author.txt restores the template)")
    found = author.read_author(author_file)
    key = found["penn key"]
    if not key or placeholder(key, "penn key"):
        raise UserError(f"{author_file}: expected your Penn key on the line 'penn key: ...' (it still holds the "
                        "placeholder); the ZIP is named 1_<penn key>.zip")
    if not re.fullmatch(r"[A-Za-z0-9]+", key):
        raise UserError(f"{author_file}: expected a Penn key of letters and digits, found {key!r}")
    if not found["author"] or placeholder(found["author"], "author"):
        raise UserError(f"{author_file}: expected your name on the line 'author: ...' (it still holds the "
                        "placeholder); write it there, then make report")
    return key


def check_report(pdf, author_file):
    """The record `pdf` carries in its metadata (provenance.pdf_info), once its author line, its summaries,
    the figures and tables they record and the scripts are all still the ones it was built from; UserError
    naming the first difference and what to run."""
    if not pdf.is_file():
        raise UserError(f"{pdf}: not found; build the report first (make all)")
    record = provenance.read_pdf_record(pdf)
    if record is None:
        raise UserError(f"{pdf}: carries no record of what it was built from (an older version made it); "
                        "run make report")
    now = author.read_author(author_file)
    if now != record["author"]:
        said = record["author"].get("author") or "(none)"
        raise UserError(f"{author_file} changed after {pdf} was built (the PDF says author {said!r}, Penn key "
                        f"{record['author'].get('penn key') or '(none)'!r}); run make report")
    figures = pdf.parent.parent / "figures"
    for name, digest in record["summaries"].items():
        path = figures / name
        if not path.is_file() or sha256(path) != digest:
            raise UserError(f"{path} changed after {pdf} was built, so the PDF no longer shows its run; run make report")
        for output, made in (json.loads(path.read_text(encoding="utf-8")).get("outputs") or {}).items():
            shown = figures / output                  # what LaTeX reads: the figures' PDFs and the tables
            if made is not None and output.endswith((".pdf", ".tex")) and (not shown.is_file() or sha256(shown) != made):
                raise UserError(f"{shown} changed after {pdf} was built, so the PDF does not show it; run make report")
    for script in SCRIPTS:
        if not (ROOT / script).is_file():
            raise UserError(f"{ROOT / script}: not found; the ZIP holds the four scripts (git checkout {script})")
        if script not in record["scripts"]:
            raise UserError(f"{pdf}: built from no run of {script}; run make all")
        if sha256(ROOT / script) != record["scripts"][script]:
            raise UserError(f"{script} changed after its runs made the numbers in {pdf}; run make all (the figures, "
                            "then the report), so the ZIP's scripts give the PDF's numbers")
    return record


def data_note(record, data_dir):
    """One line when the report was built on other than the course's files, with the command that rebuilds
    it when they are at hand (in --data-dir, or in data/)."""
    if record["origin"] == "course":
        return None
    where = {"bundled": "the bundled datasets", "user-supplied": "datasets of your own",
             "mixed": "a mix of datasets"}.get(record["origin"], "unrecognised data")
    text = (f"note: the report was built on {where}, not the course's files: a grader who reruns the scripts on the "
            "course's files gets other numbers")
    for folder_ in ([data_dir] if data_dir is not None else []) + [DATA_DIR]:
        try:
            digests = {f: d for name in ("random", "line", "detection")
                       for f, d in load_dataset(name, folder_).files.items()}
        except UserError:
            continue
        if origin(digests) == "course":
            return text + f"; the course's files are in {folder_}: make all DATA_DIR={folder_}, then make submission"
    return text + "; with the course's files in a folder DIR: make all DATA_DIR=DIR, then make submission"


def write_zip(path, pdf):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, source in [("report.pdf", pdf), *((s, ROOT / s) for s in SCRIPTS)]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            z.writestr(info, source.read_bytes())


def main(argv=None):
    parser = Parser(prog="python -m dlbasics.submission", description=__doc__)
    parser.add_argument("--author-file", type=Path, default=author.AUTHOR_FILE,
                        help="the file with the Penn key (default: report/author.txt)")
    parser.add_argument("--pdf", type=Path, default=PDF,
                        help="the report (default: report/report.pdf); its figures are in ../figures/ beside it")
    parser.add_argument("--data-dir", type=folder, default=None,
                        help="where the course's files are, if the report was built on others (default: data/)")
    parser.add_argument("--out-dir", type=folder, default=ROOT, help="where the ZIP goes (default: the project)")
    args = parser.parse_args(argv)
    key = penn_key(args.author_file)
    if args.data_dir is not None and not args.data_dir.is_dir():
        raise UserError(f"--data-dir {args.data_dir}: expected an existing folder (where the course's files are)")
    record = check_report(args.pdf, args.author_file)
    name = f"1_{key}.zip"
    with Outputs(args.out_dir) as out:
        write_zip(out.dir / name, args.pdf)
    say(f"wrote {args.out_dir / name}: report.pdf, {', '.join(SCRIPTS)}")
    note = data_note(record, args.data_dir)
    if note:
        say(note)


if __name__ == "__main__":
    run_main(main, sys.argv[1:])
