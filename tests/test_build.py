"""``build`` (autograder/build.py): the release is generated deterministically and carries no
instructor file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from conftest import TINY

from autograder.build import build


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_build_is_deterministic(tiny_course, tmp_path):
    build(tiny_course, dest=tmp_path / "a")
    build(tiny_course, dest=tmp_path / "b")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_build_never_copies_python_files_or_mutants_into_the_release(tiny_course):
    folder = tiny_course.solutions / TINY
    (folder / f"{TINY}.py").write_text("# paired file with solutions\n")
    (folder / "jupytext.toml").write_text("formats = 'ipynb,py:percent'\n")
    (folder / "notes.md").write_text("instructor notes\n")
    (folder / "data.csv").write_text("a,b\n1,2\n")
    build(tiny_course)
    shipped = {p.name for p in (tiny_course.notebooks / TINY).iterdir()}
    assert shipped == {f"{TINY}.ipynb", "data.csv"}
