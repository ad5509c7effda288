"""Tests for autograder.workspace: the one owner of the grading workspace's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.workspace import Workspace, write_bundle, write_bytes_atomic, write_json_atomic


def _workspace(root: Path) -> Workspace:
    ws = Workspace(root)
    ws.source_notebook("01_a").parent.mkdir(parents=True)
    ws.source_notebook("01_a").write_text("{}")
    ws.source_notebook("02_b").parent.mkdir(parents=True)
    ws.source_notebook("02_b").write_text("{}")
    ws.gradebook.write_bytes(b"db")
    ws.fingerprint_file.write_text("abc\n")
    write_json_atomic(ws.result("alice", "01_a"), {"score": 1})
    return ws


def test_layout_paths_are_the_documented_ones(tmp_path: Path):
    ws = Workspace(tmp_path)
    assert ws.result("s", "01_a") == tmp_path / "results" / "s" / "01_a.json"
    assert ws.autograded("s", "01_a") == tmp_path / "autograded" / "s" / "01_a" / "01_a.ipynb"
    assert ws.canary("01_a") == tmp_path / "canary" / "01_a.json"
    assert ws.source_notebook("01_a") == tmp_path / "source" / "01_a" / "01_a.ipynb"


def test_a_bundle_holds_one_assignment_and_no_results(tmp_path: Path):
    ws = _workspace(tmp_path / "ws")
    bundle = ws.bundle(["01_a"])
    assert set(bundle) == {"source.sha256", "gradebook.db", "source/01_a/01_a.ipynb"}
    copy = write_bundle(bundle, tmp_path / "job")
    assert copy.fingerprint() == "abc" and copy.gradebook.read_bytes() == b"db"
    assert ws.result_files() == [ws.result("alice", "01_a")]


@pytest.mark.parametrize("name", ["../evil", "/etc/evil", "source/../../evil"])
def test_a_bundle_cannot_write_outside_its_folder(tmp_path: Path, name: str):
    with pytest.raises(ValueError, match="unsafe path"):
        write_bundle({name: b""}, tmp_path / "job")
    assert not (tmp_path / "evil").exists()


def test_atomic_writes_leave_no_temporary_files(tmp_path: Path):
    write_bytes_atomic(tmp_path / "a" / "b.bin", b"123")
    write_json_atomic(tmp_path / "a" / "c.json", {"x": 1})
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b.bin", "c.json"]
