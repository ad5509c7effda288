"""Intake: turn what a learning platform exports into the submissions ``grade`` grades.

``grade SUBMISSIONS`` accepts a folder or a zip of one. The zip is extracted into a private
folder, refusing absolute names, ``..`` components and links (:func:`extract_zip`). Then
:func:`collect` recognises the layout (or takes the one forced with ``--layout``):

``canvas``
    Canvas's bulk download ("Download Submissions"): flat files named
    ``lastfirst_userid_submissionid_originalname.ipynb``, ``lastfirst_LATE_userid_...`` for a
    late submission. A resubmitted or renamed file keeps its stem with a suffix
    (``02_similarity-1.ipynb``, ``02_similarity (1).ipynb``). The student is the Canvas user id;
    of several submissions of one student for one assignment the newest (highest submission
    id) is graded and the others are reported as ``superseded``.
``moodle``
    Moodle's "Download all submissions": a folder per participant,
    ``Full Name_<participantid>_assignsubmission_file_/<file>.ipynb`` (or, with "download
    submissions in folders" off, flat files ``Full Name_<participantid>_assignsubmission_file_
    <file>.ipynb``). The student is the participant id.
``nbgrader``
    nbgrader's ``submitted/<student>/<assignment>/<notebook>.ipynb`` (also without the
    ``submitted/`` folder), and the exchange's ``inbound/<student>+<assignment>+<timestamp>/``
    folders (the newest timestamp per student and assignment is graded).
``ours``
    ``<student_id>/<NN_name>/<NN_name>.ipynb``.
``pattern``
    Anything else: a regular expression (``--pattern``) matched against each file's path
    relative to the export, with named groups ``student`` and ``assignment`` (as nbgrader's
    ``zip_collect`` ``FileNameCollectorPlugin.named_regexp``); optional groups ``late`` (any
    non-empty text marks the file late) and ``order`` (the newest, compared as a number when
    it is one, wins when a student has several files for one assignment).

A file's assignment comes from its folder (nbgrader, ours) or its name stem (the rest): the
stem with resubmission suffixes removed, matched against the course's assignments; a stem that
starts with exactly one assignment's name or number (``02_similarity_final``, ``02-sim``) is
taken as that assignment and reported as renamed. A roster (``--roster CSV``) maps platform
ids to student ids and lists who submitted nothing.

Every file the export holds ends up in ``intake.csv`` with what happened to it (``graded``,
``superseded``, ``ambiguous``, ``unrecognised``, ``not a notebook``...) and why; roster students
without a submission are listed as ``missing``. Nothing is dropped silently.
"""

from __future__ import annotations

import csv
import os
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.course import ASSIGNMENT_RE, CourseError

__all__ = [
    "INTAKE_COLUMNS",
    "LAYOUTS",
    "Intake",
    "IntakeRow",
    "Roster",
    "Submission",
    "assignment_of",
    "collect",
    "extract_zip",
    "is_safe_id",
    "read_intake",
    "read_roster",
    "write_intake_csv",
]

LAYOUTS = ("canvas", "moodle", "nbgrader", "ours", "pattern")
SAFE_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@+")
INTAKE_COLUMNS = [
    "file",
    "layout",
    "student_id",
    "assignment",
    "platform_id",
    "submission_id",
    "late",
    "outcome",
    "note",
]

# lastfirst is Canvas's "last name first" lowercased without spaces or punctuation
CANVAS_RE = re.compile(
    r"^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<uid>\d+)_(?P<sid>\d+)_(?P<original>.+)$"
)
# Moodle: "Full Name_12345_assignsubmission_file_" (underscores in names become spaces)
MOODLE_DIR_RE = re.compile(r"^(?P<name>[^_/]*)_(?P<uid>\d+)_assignsubmission_file_?$")
MOODLE_FILE_RE = re.compile(
    r"^(?P<name>[^_/]*)_(?P<uid>\d+)_assignsubmission_file_(?P<original>.+)$"
)
EXCHANGE_RE = re.compile(r"^(?P<student>[^+/]+)\+(?P<assignment>[^+/]+)\+(?P<ts>[^/]+)$")
# "-1", " (1)", "(2)", " copy", "_copy": what platforms and operating systems append
RESUBMISSION_SUFFIX = re.compile(r"(?:-\d+|\s*\(\d+\)|[ _-]copy(?: \d+)?)$", re.I)
IGNORED_NAMES = {"timestamp.txt", ".DS_Store", "Thumbs.db"}


def is_safe_id(name: str) -> bool:
    """A student id that is safe as a folder name and a CSV value."""
    return bool(name) and name not in (".", "..") and set(name) <= SAFE_ID_CHARS


@dataclass(frozen=True)
class Submission:
    """One notebook to grade (``path`` None when the student did not hand it in).

    ``late`` and ``file`` (the notebook's path inside the export) come from the intake.
    """

    student_id: str
    assignment: str
    path: Path | None
    problem: str = "missing: no notebook handed in"
    late: bool = False
    file: str = ""


@dataclass
class IntakeRow:
    """One line of ``intake.csv``: a file of the export (or a roster student without one)."""

    file: str
    layout: str
    student_id: str = ""
    assignment: str = ""
    platform_id: str = ""
    submission_id: str = ""
    late: bool = False
    outcome: str = "graded"
    note: str = ""

    def as_list(self) -> list[str]:
        return [
            self.file,
            self.layout,
            self.student_id,
            self.assignment,
            self.platform_id,
            self.submission_id,
            "yes" if self.late else "",
            self.outcome,
            self.note,
        ]


@dataclass
class Intake:
    """What :func:`collect` found: the submissions to grade and a row per file."""

    layout: str
    submissions: list[Submission]
    rows: list[IntakeRow]

    @property
    def problems(self) -> list[IntakeRow]:
        """Rows a human should read: everything not graded as it was."""
        return [r for r in self.rows if r.outcome != "graded" or r.note]


# ---- zip ---------------------------------------------------------------------------------------


def extract_zip(zip_path: Path, dest: Path) -> Path:
    """Extract an LMS zip into ``dest`` and return the folder holding the export.

    A zip whose only entry is one folder (``export/...``) returns that folder, unless that
    folder is itself a student's (it holds assignment folders).

    Raises:
        CourseError: for entries with absolute paths, ``..`` components, or links (nothing is
            extracted then).
    """
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            name = info.filename
            parts = PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts:
                raise CourseError(f"unsafe path in {zip_path.name}: {name!r} (rejected)")
            mode = info.external_attr >> 16
            if mode and (mode & 0o170000) == 0o120000:
                raise CourseError(f"symbolic link in {zip_path.name}: {name!r} (rejected)")
        zf.extractall(dest)
    entries = [p for p in dest.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) == 1 and entries[0].is_dir():
        inner = [p for p in entries[0].iterdir() if p.is_dir()]
        if not inner or all(not ASSIGNMENT_RE.match(p.name) for p in inner):
            return entries[0]
    return dest


# ---- roster ------------------------------------------------------------------------------------

# accepted spellings of each roster column (lower case); a Canvas gradebook export and a Moodle
# participants export are rosters as they are
ROSTER_ALIASES = {
    "student_id": ("student_id", "student id", "student"),
    "platform_id": ("platform_id", "platform id"),
    "canvas_id": ("canvas_id", "canvas id", "id"),
    "moodle_id": (
        "moodle_id",
        "moodle id",
        "participant_id",
        "participant id",
        "participant",
        "identifier",
    ),
    "name": ("name", "full name", "student name", "student"),
    "email": ("email", "email address", "e-mail"),
    "sis_user_id": ("sis_user_id", "sis user id"),
    "sis_login_id": ("sis_login_id", "sis login id", "login"),
    "section": ("section",),
    "idnumber": ("idnumber", "id number", "id_number"),
}


@dataclass
class Roster:
    """Students of the course, keyed by student id, with how the platforms know them.

    Columns (a header row; any order; case ignored): ``student_id``; the ids in the exports'
    file names: ``canvas_id`` (or Canvas's ``ID``), ``moodle_id`` (or ``participant_id``,
    Moodle's ``Identifier``), ``platform_id`` (any other platform), one or several; ``name``,
    ``email``, ``sis_user_id``, ``sis_login_id``, ``section``, ``idnumber`` (for exports).
    Without ``student_id`` the student id is the SIS user id, else the id number, else the
    platform id.
    """

    students: dict[str, dict[str, str]] = field(default_factory=dict)
    by_platform: dict[str, str] = field(default_factory=dict)

    def student_of(self, platform_id: str) -> str | None:
        """The student id of a platform id (or of a student id), None when unknown."""
        if platform_id in self.by_platform:
            return self.by_platform[platform_id]
        if platform_id in self.students:
            return platform_id
        return None

    def info(self, student_id: str) -> dict[str, str]:
        return self.students.get(student_id, {})


def read_roster(path: Path) -> Roster:
    """Read a roster CSV (see :class:`Roster`).

    Raises:
        CourseError: no usable id column, an unsafe or duplicate student id.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CourseError(f"cannot read the roster {path}: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}

    def column(key: str) -> str | None:
        for alias in ROSTER_ALIASES[key]:
            if alias in header:
                # "student" is the student id only when no other column names it
                if key == "name" and alias == "student" and "student_id" in header:
                    return header[alias]
                if (
                    key == "student_id"
                    and alias == "student"
                    and ("id" in header or "sis user id" in header)
                ):
                    continue  # Canvas's "Student" column is the name
                return header[alias]
        return None

    cols = {key: column(key) for key in ROSTER_ALIASES}
    if cols["student_id"] and cols["name"] == cols["student_id"]:
        cols["name"] = None
    platform_keys = ("canvas_id", "moodle_id", "platform_id")
    if not (
        cols["student_id"]
        or cols["sis_user_id"]
        or cols["idnumber"]
        or any(cols[k] for k in platform_keys)
    ):
        raise CourseError(
            f"the roster {path} has no student_id, canvas_id, moodle_id, platform_id, SIS User "
            "ID or ID number column "
            f"(columns: {', '.join(reader.fieldnames or [])})"
        )
    roster = Roster()
    for line, row in enumerate(reader, start=2):
        values = {k: (row.get(c) or "").strip() if c else "" for k, c in cols.items()}
        if values["moodle_id"].lower().startswith("participant "):
            values["moodle_id"] = values["moodle_id"][len("participant ") :].strip()
        if values["name"].lower().startswith("points possible") or not any(values.values()):
            continue  # Canvas's second line
        student = (
            values["student_id"]
            or values["sis_user_id"]
            or values["idnumber"]
            or next((values[k] for k in platform_keys if values[k]), "")
        )
        if not is_safe_id(student):
            raise CourseError(
                f"{path}, line {line}: student id {student!r} is empty or has characters that "
                "are not allowed (letters, digits and ._-@+ only)"
            )
        if student in roster.students:
            raise CourseError(f"{path}, line {line}: student {student} is listed twice")
        values["student_id"] = student
        roster.students[student] = values
        for key in platform_keys:
            platform = values[key]
            if not platform:
                continue
            if roster.by_platform.get(platform, student) != student:
                raise CourseError(f"{path}, line {line}: platform id {platform} is listed twice")
            roster.by_platform[platform] = student
    return roster


# ---- assignment names --------------------------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[\s.-]+", "_", name.strip().lower())


def assignment_of(filename: str, assignments: Iterable[str]) -> tuple[str | None, str]:
    """The assignment a notebook's file name stands for, and a note when it was renamed.

    ``02_similarity.ipynb``, ``02_similarity-1.ipynb``, ``02_similarity (1).ipynb`` are
    ``02_similarity`` with no note; ``02_similarity_final.ipynb`` or ``02-Similarity v2.ipynb``
    are ``02_similarity`` with a note; a name that fits no assignment, or several, is None.
    """
    known = sorted(assignments)
    stem = filename[: -len(".ipynb")] if filename.lower().endswith(".ipynb") else filename
    stripped = stem.strip()
    while True:
        shorter = RESUBMISSION_SUFFIX.sub("", stripped).strip()
        if shorter == stripped:
            break
        stripped = shorter
    by_norm = {_norm(a): a for a in known}
    if _norm(stripped) in by_norm:
        return by_norm[_norm(stripped)], ""
    norm = _norm(stripped)
    prefixed = [a for a in known if norm.startswith(_norm(a))]
    if len(prefixed) == 1:
        return prefixed[0], f"renamed: {filename!r} taken as {prefixed[0]}"
    number = re.match(r"^(\d\d)(?:_|$)", norm)
    if number:
        same = [a for a in known if a.startswith(number.group(1) + "_")]
        if len(same) == 1:
            return same[0], f"renamed: {filename!r} taken as {same[0]} (by its number)"
    if len(known) == 1 and not prefixed:
        return None, f"{filename!r} does not look like {known[0]}.ipynb"
    return None, f"{filename!r} matches no assignment ({', '.join(known)})"


# ---- collecting --------------------------------------------------------------------------------


@dataclass
class _Candidate:
    """A notebook that belongs to a student (platform id) and an assignment."""

    file: str
    path: Path
    platform_id: str
    assignment: str | None
    note: str = ""
    late: bool = False
    order: str = ""  # newer wins: Canvas submission id, exchange timestamp, pattern's order
    exact: bool = True  # the file name (or folder) names the assignment exactly


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` except operating-system litter, notebook checkpoints and
    links: a link is not a submission (in a shared exchange folder a student could link to a
    file of the instructor's or of another student, which the grader would then read)."""
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).parts
        if any(p.startswith(".") or p == "__MACOSX" for p in rel):
            continue
        if path.is_file() and not any(
            (folder / Path(*rel[: i + 1])).is_symlink() for i in range(len(rel))
        ):
            out.append(path)
    return out


def _links(folder: Path) -> list[Path]:
    """The links under ``folder`` (never followed), reported to the instructor."""
    found = []
    for parent, dirs, names in os.walk(folder):
        for name in dirs + names:
            if os.path.islink(os.path.join(parent, name)):
                found.append(Path(parent, name))
    return sorted(found)


def _order_key(order: str) -> tuple[int, float | str]:
    try:
        return (1, float(order))
    except ValueError:
        return (0, order)


def _detect(folder: Path, files: list[Path], assignments: list[str]) -> str:
    """The layout that recognises the most notebooks of ``folder``."""
    notebooks = [f for f in files if f.suffix == ".ipynb"]
    scores: dict[str, int] = defaultdict(int)
    for path in notebooks:
        parts = path.relative_to(folder).parts
        if CANVAS_RE.match(parts[-1]):
            scores["canvas"] += 2
        if any(MOODLE_DIR_RE.match(p) for p in parts[:-1]) or MOODLE_FILE_RE.match(parts[-1]):
            scores["moodle"] += 2
        if "submitted" in parts[:-3] or any(EXCHANGE_RE.match(p) for p in parts[:-1]):
            scores["nbgrader"] += 2
        if len(parts) >= 3 and parts[-2] in assignments:
            scores["ours"] += 1
    if not scores:
        return "ours"
    return max(sorted(scores), key=lambda k: scores[k])


def collect(
    folder: Path,
    assignments: list[str],
    *,
    explicit: bool = False,
    layout: str | None = None,
    pattern: str | None = None,
    roster: Roster | None = None,
) -> Intake:
    """The submissions under ``folder`` for ``assignments``, and a report of every file.

    Args:
        folder: the export (extracted already, see :func:`extract_zip`).
        assignments: the course's assignments that may be graded.
        explicit: the instructor named the assignments: every student (every roster student
            too) gets a ``missing`` submission for each one they did not hand in.
        layout: one of :data:`LAYOUTS`; default: detected (``pattern`` when a pattern is
            given).
        pattern: the regular expression of the ``pattern`` layout.
        roster: maps platform ids to student ids; its students without a notebook are
            reported (and graded as missing).

    Raises:
        CourseError: an unknown layout, a bad pattern, a student folder with unsafe
            characters (``ours``).
    """
    if not folder.is_dir():
        raise CourseError(f"{folder} is not a folder or a zip file of submissions")
    files = _files(folder)
    if layout is None:
        layout = "pattern" if pattern else _detect(folder, files, assignments)
    if layout not in LAYOUTS:
        raise CourseError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    rows: list[IntakeRow] = []
    for link in _links(folder):
        _unrecognised(rows, _rel(folder, link), layout, "a link, not a file: not read")
    folders: set[str] = set()  # ours: every student folder is a student, notebooks or not
    if layout == "ours":
        candidates = _collect_ours(folder, files, assignments, rows)
        folders = {p.name for p in folder.iterdir() if p.is_dir() and is_safe_id(p.name)}
        folders -= {"__MACOSX"}
    elif layout == "nbgrader":
        candidates = _collect_nbgrader(folder, files, assignments, rows)
    elif layout == "canvas":
        candidates = _collect_flat(folder, files, assignments, rows, "canvas")
    elif layout == "moodle":
        candidates = _collect_flat(folder, files, assignments, rows, "moodle")
    else:
        if not pattern:
            raise CourseError("--layout pattern needs --pattern REGEX")
        candidates = _collect_pattern(folder, files, assignments, rows, pattern)
    submissions = _choose(candidates, assignments, rows, layout, roster)
    submissions += _missing(submissions, rows, assignments, explicit, layout, roster, folders)
    submissions.sort(key=lambda s: (s.student_id, s.assignment))
    rows.sort(key=lambda r: (r.outcome == "missing", r.student_id, r.assignment, r.file))
    return Intake(layout, submissions, rows)


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _unrecognised(rows: list[IntakeRow], file: str, layout: str, why: str, **kw: str) -> None:
    outcome = "not a notebook" if not file.endswith(".ipynb") else "unrecognised"
    rows.append(IntakeRow(file, layout, outcome=outcome, note=why, **kw))  # type: ignore[arg-type]


def _collect_ours(
    folder: Path, files: list[Path], assignments: list[str], rows: list[IntakeRow]
) -> list[_Candidate]:
    """``<student>/<assignment>/<notebook>.ipynb`` (also nbgrader's ``submitted/`` inside)."""
    candidates = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        if student_dir.name.startswith(".") or student_dir.name == "__MACOSX":
            continue
        if not is_safe_id(student_dir.name):
            raise CourseError(
                f"student folder {student_dir.name!r} has characters that are not allowed in a "
                "student id"
            )
    for path in files:
        parts = path.relative_to(folder).parts
        file = _rel(folder, path)
        if path.name in IGNORED_NAMES:
            continue
        if len(parts) != 3 or path.suffix != ".ipynb":
            why = (
                "not a notebook"
                if path.suffix != ".ipynb"
                else "expected <student_id>/<NN_name>/<NN_name>.ipynb"
            )
            _unrecognised(rows, file, "ours", why)
            continue
        student, assignment, name = parts
        if assignment not in assignments:
            _unrecognised(
                rows, file, "ours", f"folder {assignment!r} is not an assignment being graded",
                platform_id=student,
            )  # fmt: skip
            continue
        exact = name == f"{assignment}.ipynb"
        candidates.append(_Candidate(file, path, student, assignment, exact=exact))
    return candidates


def _collect_nbgrader(
    folder: Path, files: list[Path], assignments: list[str], rows: list[IntakeRow]
) -> list[_Candidate]:
    """``[.../]submitted/<student>/<assignment>/<nb>.ipynb`` and exchange
    ``[.../]inbound/<student>+<assignment>+<timestamp>/<nb>.ipynb``."""
    candidates = []
    for path in files:
        parts = path.relative_to(folder).parts
        file = _rel(folder, path)
        if path.name in IGNORED_NAMES:
            continue
        if path.suffix != ".ipynb":
            _unrecognised(rows, file, "nbgrader", "not a notebook")
            continue
        exchange = [i for i, p in enumerate(parts[:-1]) if EXCHANGE_RE.match(p)]
        if exchange:
            m = EXCHANGE_RE.match(parts[exchange[-1]])
            assert m is not None
            student, assignment, order = m["student"], m["assignment"], m["ts"]
        elif len(parts) >= 3:
            student, assignment, order = parts[-3], parts[-2], ""
        else:
            _unrecognised(rows, file, "nbgrader", "expected submitted/<student>/<assignment>/")
            continue
        if assignment not in assignments:
            _unrecognised(
                rows, file, "nbgrader", f"{assignment!r} is not an assignment being graded",
                platform_id=student,
            )  # fmt: skip
            continue
        exact = path.name == f"{assignment}.ipynb"
        candidates.append(_Candidate(file, path, student, assignment, order=order, exact=exact))
    return candidates


def _collect_flat(
    folder: Path, files: list[Path], assignments: list[str], rows: list[IntakeRow], layout: str
) -> list[_Candidate]:
    """Canvas's flat files, Moodle's participant folders (or flat Moodle names)."""
    candidates = []
    for path in files:
        parts = path.relative_to(folder).parts
        file = _rel(folder, path)
        late, order = False, ""
        if layout == "canvas":
            m = CANVAS_RE.match(parts[-1])
            if m is None:
                _unrecognised(
                    rows, file, layout, "expected lastfirst_[LATE_]userid_submissionid_name"
                )
                continue
            platform, original = m["uid"], m["original"]
            late, order = bool(m["late"]), m["sid"]
        else:
            dirs = [MOODLE_DIR_RE.match(p) for p in parts[:-1]]
            owner = next((d for d in reversed(dirs) if d), None)
            flat = MOODLE_FILE_RE.match(parts[-1])
            if owner is not None:
                platform, original = owner["uid"], parts[-1]
            elif flat is not None:
                platform, original = flat["uid"], flat["original"]
            else:
                _unrecognised(
                    rows, file, layout, "expected 'Full Name_<id>_assignsubmission_file_/<file>'"
                )
                continue
        if path.suffix != ".ipynb":
            _unrecognised(rows, file, layout, "not a notebook", platform_id=platform)
            continue
        assignment, note = assignment_of(original, assignments)
        if assignment is None:
            rows.append(
                IntakeRow(
                    file, layout, platform_id=platform, submission_id=order, late=late,
                    outcome="unrecognised", note=note,
                )
            )  # fmt: skip
            continue
        candidates.append(
            _Candidate(file, path, platform, assignment, note, late, order, exact=not note)
        )
    return candidates


def _collect_pattern(
    folder: Path, files: list[Path], assignments: list[str], rows: list[IntakeRow], pattern: str
) -> list[_Candidate]:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise CourseError(f"--pattern {pattern!r} is not a regular expression: {exc}") from exc
    missing = {"student", "assignment"} - set(regex.groupindex)
    if missing:
        raise CourseError(
            f"--pattern needs the named groups (?P<student>...) and (?P<assignment>...); "
            f"{' and '.join(sorted(missing))} missing"
        )
    candidates = []
    for path in files:
        file = _rel(folder, path)
        m = regex.search(file)
        if m is None:
            _unrecognised(rows, file, "pattern", f"does not match --pattern {pattern!r}")
            continue
        if path.suffix != ".ipynb":
            _unrecognised(rows, file, "pattern", "not a notebook", platform_id=m["student"])
            continue
        named = m["assignment"]
        assignment, note = (
            (named, "") if named in assignments else assignment_of(named, assignments)
        )
        groups = m.groupdict()
        late = bool(groups.get("late"))
        order = groups.get("order") or ""
        if assignment is None:
            rows.append(
                IntakeRow(
                    file, "pattern", platform_id=m["student"], late=late,
                    outcome="unrecognised", note=note,
                )
            )  # fmt: skip
            continue
        candidates.append(
            _Candidate(file, path, m["student"], assignment, note, late, order, exact=not note)
        )
    return candidates


def _choose(
    candidates: list[_Candidate],
    assignments: list[str],
    rows: list[IntakeRow],
    layout: str,
    roster: Roster | None,
) -> list[Submission]:
    """One submission per student and assignment: the newest; several files of the newest
    submission go by exact name, else the submission is ambiguous."""
    groups: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for c in candidates:
        student = c.platform_id
        note = c.note
        if roster is not None:
            known = roster.student_of(c.platform_id)
            if known is None:
                note = "; ".join(n for n in (note, "not in the roster") if n)
            else:
                student = known
        if not is_safe_id(student):
            rows.append(
                IntakeRow(
                    c.file, layout, platform_id=c.platform_id, outcome="unrecognised",
                    note=f"student id {student!r} has characters that are not allowed",
                )
            )  # fmt: skip
            continue
        c.note = note
        assert c.assignment is not None
        groups[(student, c.assignment)].append(c)
    submissions = []
    for (student, assignment), group in sorted(groups.items()):
        newest = max(_order_key(c.order) for c in group)
        latest = [c for c in group if _order_key(c.order) == newest]
        older = [c for c in group if _order_key(c.order) != newest]
        exact = [c for c in latest if c.exact]
        if len(latest) == 1:
            chosen: _Candidate | None = latest[0]
        elif len(exact) == 1:
            chosen = exact[0]
        else:
            chosen = None
        for c in older:
            rows.append(_row(c, layout, student, "superseded", "a newer submission is graded"))
        if chosen is None:
            names = ", ".join(PurePosixPath(c.file).name for c in latest)
            problem = (
                f"ambiguous: several notebooks ({names}) and none named {assignment}.ipynb"
                if not exact
                else f"ambiguous: several notebooks named {assignment} ({names})"
            )
            for c in latest:
                rows.append(_row(c, layout, student, "ambiguous", problem))
            late = any(c.late for c in latest)
            submissions.append(Submission(student, assignment, None, problem, late, ""))
            continue
        for c in latest:
            if c is not chosen:
                rows.append(
                    _row(c, layout, student, "superseded", f"{PurePosixPath(chosen.file).name} "
                         "names the assignment exactly and is graded")
                )  # fmt: skip
        rows.append(_row(chosen, layout, student, "graded", chosen.note))
        submissions.append(
            Submission(student, assignment, chosen.path, late=chosen.late, file=chosen.file)
        )
    return submissions


def _row(c: _Candidate, layout: str, student: str, outcome: str, note: str) -> IntakeRow:
    return IntakeRow(
        c.file, layout, student, c.assignment or "", c.platform_id, c.order, c.late, outcome, note
    )


def _missing(
    found: list[Submission],
    rows: list[IntakeRow],
    assignments: list[str],
    explicit: bool,
    layout: str,
    roster: Roster | None,
    folders: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[Submission]:
    """A ``missing`` submission for each (student, assignment) nothing was handed in for:
    roster students always (for the assignments present, or named), students of the batch
    for the assignments named with ``explicit``."""
    have = {(s.student_id, s.assignment) for s in found}
    graded = sorted({s.assignment for s in found}) if not explicit else list(assignments)
    students = set()
    if explicit:
        students |= {s.student_id for s in found} | {f for f in folders if not f.startswith(".")}
    if roster is not None:
        students |= set(roster.students)
    out = []
    for student in sorted(students):
        for assignment in graded:
            if (student, assignment) in have:
                continue
            out.append(Submission(student, assignment, None))
            info = roster.info(student) if roster else {}
            platform = info.get(f"{layout}_id") or info.get("platform_id", "")
            rows.append(
                IntakeRow(
                    "", layout, student, assignment, platform, outcome="missing",
                    note="no notebook handed in",
                )
            )  # fmt: skip
    return out


def write_intake_csv(intake: Intake, out: Path) -> Path:
    """Write ``out/intake.csv`` (one row per file of the export and per missing submission)."""
    path = out / "intake.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(INTAKE_COLUMNS)
        for row in intake.rows:
            w.writerow(row.as_list())
    return path


def read_intake(out: Path) -> list[dict[str, str]]:
    """The rows of ``out/intake.csv`` (empty when there is none)."""
    path = out / "intake.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
