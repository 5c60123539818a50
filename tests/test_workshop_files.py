"""The files that run the course elsewhere: .binder/ (Binder, JupyterHub), the fork CI
(.ci/fork and .github/workflows/course.yml). tests/binder_check.sh builds the Binder
environment for real; these check what can be checked without a network."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_binder_pins_every_course_requirement_exactly():
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["course"]
    wanted = {re.split(r"[<>=\[ ]", r)[0].lower() for r in extra}
    pins = {}
    for line in (ROOT / ".binder" / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned with =="
            pins[name.lower()] = version
    assert wanted <= set(pins), f"not in .binder/requirements.txt: {wanted - set(pins)}"


def test_binder_runtime_and_postbuild_point_at_what_exists():
    assert (ROOT / ".binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = ROOT / ".binder" / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text()
    assert "pip install --no-deps -e ." in text
    config = re.search(r'load_subconfig\("\$PWD/([^"]+)"\)', text).group(1)
    assert (ROOT / config).is_file()
    assert 'default_url = "/lab/tree/notebooks/00-welcome.ipynb"' in (ROOT / config).read_text()


def test_the_workflow_runs_the_fork_script_in_each_mode():
    yaml = pytest.importorskip("yaml")
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "course.yml").read_text())
    triggers = flow.get("on", flow.get(True))            # YAML 1.1 reads `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    runs = {name: [s.get("run") for s in job["steps"] if "run" in s] for name, job in flow["jobs"].items()}
    assert runs == {"test": ["bash .ci/fork test"], "grade": ["bash .ci/fork grade"]}
    assert "'grade'" in flow["jobs"]["grade"]["if"] and "!=" in flow["jobs"]["test"]["if"]


def _fork(tmp_path: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    for name in ("exercises", "minikafka", ".ci"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("MINIKAFKA_")}
    return subprocess.run(["bash", ".ci/fork", *args], cwd=tmp_path, capture_output=True, text=True,
                          env={**base, "PYTHON": sys.executable, **env})


def test_fork_grade_fails_on_a_stub_and_saves_the_report(tmp_path):
    r = _fork(tmp_path, "grade", env={"MINIKAFKA_ASSIGNED": "0", "MINIKAFKA_LEARNER": "ada"})
    assert r.returncode == 1, r.stderr
    assert "strict: 1 of 1 assigned exercises not done: 0.1 [todo]" in r.stdout
    assert '"learner": "ada"' in (tmp_path / "progress" / "progress.json").read_text()
    assert (tmp_path / "progress" / "progress.html").read_text().startswith("<!DOCTYPE html>")


def test_fork_grade_passes_once_the_assigned_exercise_is_solved(tmp_path):
    r = _fork(tmp_path, "grade", env={"MINIKAFKA_ASSIGNED": "0", "MINIKAFKA_USE_REFERENCE": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "strict: all 1 assigned exercises pass" in r.stdout


def test_fork_refuses_an_unknown_mode(tmp_path):
    r = _fork(tmp_path, "deploy", env={})
    assert r.returncode == 2 and "usage: bash .ci/fork test|grade" in r.stderr


def test_instructor_notes_name_only_exercises_and_notebooks_that_exist():
    from minikafka.course.progress import discover
    notes = (ROOT / "notebooks" / "INSTRUCTORS.md").read_text()
    numbers = {e.number for e in discover(ROOT)}
    named = set(re.findall(r"\|\s*((?:\d+\.\d+)(?:, \d+\.\d+)*)\s*\|", notes))
    mentioned = {n.strip() for group in named for n in group.split(",")}
    assert mentioned and mentioned <= numbers, f"not exercises: {mentioned - numbers}"
    for nb in re.findall(r"\| \d\d:\d\d \| (\d\d) ", notes):
        assert list((ROOT / "notebooks").glob(f"{nb}-*.ipynb")), f"no notebook {nb}"
    for cmd in re.findall(r"python -m minikafka\.course (\w+)", notes):
        assert cmd in {"progress", "reset", "lite", "regen", "check-stale"}, cmd
