"""Tests for autograder.records: the job spec and the result, as they travel in JSON."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.records import RESULT_VERSION, JobSpec, Result


def test_a_job_spec_survives_its_json_file(tmp_path: Path):
    spec = JobSpec("/w", "alice", "02_similarity", "/w/s.ipynb", "/w/r.json", "/w/a.ipynb", 5, 60)
    spec.write(tmp_path / "spec.json")
    assert JobSpec.read(tmp_path / "spec.json") == spec
    assert json.loads((tmp_path / "spec.json").read_text())["sandbox"] is True


def test_a_zero_result_has_every_expected_cell_at_zero():
    expected = [{"grade_id": "t1", "max_score": 1.0}, {"grade_id": "t2", "max_score": 2.0}]
    zero = Result.zero("bob", "01_tiny", expected, "missing: no notebook", source_fingerprint="f")
    assert (zero.score, zero.max_score, zero.status) == (0.0, 3.0, "missing: no notebook")
    assert [c["score"] for c in zero.cells] == [0.0, 0.0]
    assert zero.version == RESULT_VERSION and zero.source_fingerprint == "f"


def test_retry_appears_in_the_json_only_when_set():
    result = Result("bob", "01_tiny", 1.0, 4.0, "ok")
    assert "retry" not in result.to_dict()
    result.retry = True
    data = result.to_dict()
    assert data["retry"] is True and Result.from_dict(data) == result
    assert Result.from_dict({**data, "unknown_field": 1}) == result
