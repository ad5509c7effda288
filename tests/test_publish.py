"""``publish`` (autograder/publish.py): the public student repository holds the release notebooks,
``course_lib`` and its packaging only, installs ``course_lib`` alone, and the content check of
``check`` (``check_published``) fails on anything of a solution, a hidden test or a catalogue,
however it is named or spelt."""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from autograder.check import check_published
from autograder.colab import read_config
from autograder.course import Course, CourseError
from autograder.publish import (
    PACKAGE_NAME,
    PUBLIC_ENTRIES,
    publish,
    published_problems,
    secrets,
)

INSTRUCTOR = tomllib.loads((REPO / "pyproject.toml").read_text())

# course_lib/widgets.py before this check existed: notebook 03's stable softmax, in numpy.
OLD_WIDGET_SOFTMAX = """
def explorer_weights(q, k):
    scores = q @ k.T
    scores = scores - scores.max(axis=1, keepdims=True)
    weights = np.exp(scores)
    return weights / weights.sum(axis=1, keepdims=True)
"""


@pytest.fixture(scope="module")
def course() -> Course:
    return Course(REPO)


@pytest.fixture(scope="module")
def found(course):
    """What must never be published, computed once for the module."""
    return secrets(course)


@pytest.fixture(scope="module")
def published(course, tmp_path_factory) -> Path:
    """The public repository, published once for the module (tests copy it to change it)."""
    tree = tmp_path_factory.mktemp("published") / "public"
    publish(course, tree)
    return tree


@pytest.fixture
def scratch(published, tmp_path) -> Path:
    """A copy of the published tree that a test may change."""
    tree = tmp_path / "public"
    shutil.copytree(published, tree)
    return tree


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# ---- what publish writes -------------------------------------------------------------------


def test_publish_writes_exactly_the_public_entries(published):
    assert sorted(p.name for p in published.iterdir()) == sorted(PUBLIC_ENTRIES)
    assert set(PUBLIC_ENTRIES) == {
        "LICENSE",
        "README.md",
        "course_lib",
        "notebooks",
        "pyproject.toml",
    }


def test_published_notebooks_are_the_committed_release_byte_for_byte(published, course):
    release = [f for f in _files(course.notebooks) if ".ipynb_checkpoints" not in f]
    assert _files(published / "notebooks") == release
    for name in release:
        assert filecmp.cmp(course.notebooks / name, published / "notebooks" / name, shallow=False)


def test_published_course_lib_is_the_package_without_caches_or_tests(published):
    files = _files(published / "course_lib")
    assert "__init__.py" in files and "py.typed" in files
    assert all(f.endswith(".py") or f == "py.typed" for f in files), files
    assert not any("__pycache__" in f or "test" in Path(f).name for f in files), files
    for name in files:
        assert filecmp.cmp(REPO / "course_lib" / name, published / "course_lib" / name)


def test_published_pyproject_packages_course_lib_alone_with_the_core_ranges(published):
    public = tomllib.loads((published / "pyproject.toml").read_text())
    assert public["project"]["name"] == PACKAGE_NAME
    assert public["tool"]["setuptools"]["packages"] == ["course_lib"]
    assert public["project"]["dependencies"] == INSTRUCTOR["project"]["dependencies"]
    assert public["project"]["requires-python"] == INSTRUCTOR["project"]["requires-python"]
    assert public["project"]["urls"]["Repository"] == read_config(REPO).repository
    extra = " ".join(public["project"]["optional-dependencies"]["course"])
    assert "nbgrader" in extra and "jupyterlab" in extra and "jupytext" not in extra


def test_published_repository_installs_course_lib_and_nothing_else(published, tmp_path):
    """What the setup cells' `pip install "git+PUBLIC@BRANCH"` does, from a local copy."""
    source, target = tmp_path / "source", tmp_path / "target"
    shutil.copytree(published, source)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    top = sorted(p.name for p in target.iterdir())
    assert top == ["attention_course_lib-0.1.0.dist-info", "course_lib"], top
    record = (target / top[0] / "RECORD").read_text().splitlines()
    assert all(line.startswith(("course_lib/", top[0] + "/")) for line in record), record
    assert "course_lib/py.typed" in " ".join(record)


def test_the_badges_and_setup_cells_are_configured_with_the_public_repository():
    """One setting names the public repository; it is not the instructor's repository."""
    config = read_config(REPO)
    public = INSTRUCTOR["tool"]["attention-course"]["public-repository"]
    assert config.repository == public
    assert public != INSTRUCTOR["project"]["urls"]["Repository"]
    assert config.requirement() == f"git+{public}@{config.branch}"
    assert f"/github/{config.github_path}/blob/" in config.badge("03_attention")


def test_published_readme_is_the_student_guide_without_instructor_material(published):
    text = (published / "README.md").read_text()
    config = read_config(REPO)
    assert "## In Colab" in text and "## On your own machine" in text
    assert f'pip install "{config.requirement()}"' in text
    assert 'pip install -e ".[course]" && jupyter lab notebooks/' in text
    for instructor in (
        "solutions/",
        "autograder",
        "mutant",
        "equivalent",
        "hidden",
        "tests/",
        "benchmarks",
    ):
        assert instructor not in text, instructor
    named = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+)", text))
    assert named == {config.github_path}, f"the README names another repository: {named}"
    for link in (published / "README.md").read_text().split("](")[1:]:
        target = link.split(")")[0]
        if not target.startswith("http"):
            assert (published / target).is_file(), target
    assert "MIT License" in (published / "LICENSE").read_text()


# ---- the folder publish writes into --------------------------------------------------------


def test_publish_refuses_a_non_empty_folder_and_force_replaces_only_its_own_entries(
    course, tmp_path
):
    dest = tmp_path / "clone"
    (dest / ".git").mkdir(parents=True)
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (dest / "course_lib").mkdir()
    (dest / "course_lib" / "stale.py").write_text("OLD = 1\n")
    with pytest.raises(CourseError, match="not empty"):
        publish(course, dest)
    assert not (dest / "notebooks").exists()
    publish(course, dest, force=True)
    assert (dest / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert not (dest / "course_lib" / "stale.py").exists()
    assert sorted(p.name for p in dest.iterdir()) == sorted([".git", *PUBLIC_ENTRIES])


def test_publish_never_writes_over_the_course_itself(tiny_course):
    """Not even with --force: the course, a folder above it, or its course_lib or notebooks."""
    (tiny_course.root / "course_lib").mkdir()
    (tiny_course.root / "course_lib" / "__init__.py").write_text("")
    before = _files(tiny_course.root)
    root = tiny_course.root
    for dest in (root, root.parent, root / ".", root / "course_lib", tiny_course.notebooks / "x"):
        with pytest.raises(CourseError, match="the course itself"):
            publish(tiny_course, dest, force=True)
    assert _files(tiny_course.root) == before


def test_cli_publish_refuses_a_non_empty_folder_then_publishes_with_force(tmp_path):
    dest = tmp_path / "public"
    (dest / ".git").mkdir(parents=True)
    command = [sys.executable, "-m", "autograder", "publish", str(dest)]
    refused = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    assert refused.returncode == 2
    assert "is not empty" in refused.stderr and "--force" in refused.stderr
    done = subprocess.run([*command, "--force"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "publish: the tree holds only the public files" in done.stdout
    assert sorted(p.name for p in dest.iterdir()) == sorted([".git", *PUBLIC_ENTRIES])
    helped = subprocess.run([*command[:4], "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "usage: python -m autograder publish" in helped.stdout


# ---- the content check ---------------------------------------------------------------------


def test_check_passes_on_the_real_tree(course):
    result = check_published(course)
    assert result.ok, result.detail


def test_check_has_nothing_to_publish_in_a_course_without_course_lib(tiny_course):
    result = check_published(tiny_course)
    assert result.ok and "nothing is published" in result.detail


def test_a_solution_line_planted_anywhere_fails_the_content_check(course, found, scratch):
    """A solution line in course_lib, a hidden test's line in the README: each is found."""
    solution = next(k for k, v in found.lines.items() if "cell softmax" in v)
    hidden = next(k for k, v in found.lines.items() if v.startswith("a hidden test"))
    with (scratch / "course_lib" / "data.py").open("a") as f:
        f.write(f"\n\ndef _helper(x, dim=-1):\n    {solution}  # a comment changes nothing\n")
    with (scratch / "README.md").open("a") as f:
        f.write(f"\n    {hidden}\n")
    problems = "\n".join(published_problems(course, scratch, found=found))
    assert "course_lib/data.py" in problems and "03_attention.ipynb, cell softmax" in problems
    assert "README.md" in problems
    assert published_problems(course, scratch, found=found) != []


def test_the_old_widget_softmax_fails_the_content_check_by_its_shape(course, found, scratch):
    """Notebook 03's answer in numpy, under other names: what widgets.py held before."""
    with (scratch / "course_lib" / "widgets.py").open("a") as f:
        f.write(OLD_WIDGET_SOFTMAX)
    problems = published_problems(course, scratch, found=found)
    assert any(
        "course_lib/widgets.py" in p
        and "scores.max(axis=1, keepdims=True)" in p
        and "has the shape of the solution in solutions/03_attention" in p
        for p in problems
    ), problems


def test_catalogue_text_and_instructor_files_fail_the_content_check(course, found, scratch):
    catalogue = next(k for k, v in found.lines.items() if "mutants.py" in v)
    with (scratch / "README.md").open("a") as f:
        f.write(f"\n{catalogue}\n")
    (scratch / "solutions").mkdir()
    (scratch / "notebooks" / "03_attention" / "03_attention.py").write_text("x = 1\n")
    (scratch / "notebooks" / "mutants.json").write_text("{}\n")
    problems = "\n".join(published_problems(course, scratch, found=found))
    assert "README.md" in problems and "mutants.py)" in problems
    assert "solutions: not part of the public repository" in problems
    assert "03_attention.py: an instructor file" in problems
    assert "mutants.json: an instructor file" in problems
    (scratch / "LICENSE").unlink()
    assert "LICENSE: missing" in "\n".join(published_problems(course, scratch, found=found))


def test_the_published_tree_passes_as_written(course, found, published):
    assert published_problems(course, published, found=found) == []
