"""Who wrote the report: the author, the collaborators and the Penn key, from report/author.txt, the one
file a student edits (lines "author: ...", "collaborators: ...", "penn key: ..."). The report step reads it
afresh every time (make report); it is kept apart from the scripts' results, which stay byte-identical.
"""
from pathlib import Path

from dlbasics.common.cli import UserError
from dlbasics.common.outputs import tex_macros
from dlbasics.common.paths import ROOT

AUTHOR_FILE = ROOT / "report" / "author.txt"
PLACEHOLDERS = {"author": "Your Name", "penn key": "your Penn key"}
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
           "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text):
    return "".join(SPECIAL.get(c, c) for c in text)


def decode(raw):
    """The text of a file any editor may have saved: UTF-8 (with or without a BOM), UTF-16 (with or without
    a BOM), or Windows' cp1252 (Latin-1 and more)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16", errors="replace")
    if len(raw) % 2 == 0 and raw.count(b"\x00") * 3 >= len(raw):       # UTF-16 without a BOM: every other byte 0
        return raw.decode("utf-16-le" if raw[1:2] == b"\x00" else "utf-16-be", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def typesettable(char):
    """Can the report's pdflatex (T1 fonts, UTF-8 input) print this character?"""
    code = ord(char)
    return 0x20 <= code < 0x7F or 0xA0 <= code <= 0x17F or char in "\u2018\u2019\u201c\u201d\u2013\u2014\u2026"


def read_author(path=AUTHOR_FILE):
    """{"author", "collaborators", "penn key"} from the student's file, '' where a line is missing. Any
    encoding an editor saves with is read; lines starting with # are comments. UserError naming the file
    for a character the report cannot typeset."""
    found = {"author": "", "collaborators": "", "penn key": ""}
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return found
    text = decode(raw)
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = " ".join(key.strip().lower().replace("_", " ").split())
        if sep and not line.lstrip().startswith("#") and key in found and value.strip():
            found[key] = value.strip()
            bad = next((c for c in found[key] if not typesettable(c)), None)
            if bad is not None:
                raise UserError(f"{path}: the {key} line holds {bad!r} (U+{ord(bad):04X}), which the report's "
                                "fonts cannot print; write it with Latin letters")
    return found


def author_macros(path=AUTHOR_FILE):
    """The title page's author and collaborators (placeholders say which file to edit)."""
    found = read_author(path)
    author = found["author"] if found["author"] and found["author"] != PLACEHOLDERS["author"] else \
        "(author not given: edit report/author.txt)"
    key = found["penn key"] if found["penn key"] and found["penn key"] != PLACEHOLDERS["penn key"] else \
        "not given"
    return tex_macros({"report author": tex_escape(author), "report penn key": tex_escape(key),
                       "report collaborators": tex_escape(found["collaborators"] or "(not given)")})
