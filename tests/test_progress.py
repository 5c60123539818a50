"""The progress report and reset (minikafka.course.progress, progress_report): on the stubs, on a
mix of solved, wrong and broken exercises, and on the reference solutions, with strict mode."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minikafka.course.progress import Exercise, discover, find_root, parse, reset, select
from minikafka.course.progress_report import as_html, room

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from test_exercises import EXERCISES  # noqa: E402


def progress(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MINIKAFKA_")}
    return subprocess.run([sys.executable, "-m", "minikafka.course", "progress", "--root", str(root), *args],
                          capture_output=True, text=True, env={**base, "PYTHONPATH": str(ROOT), **(env or {})},
                          cwd=root)


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A learner's copy of the course: exercises/ and the notebooks' names."""
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "notebooks").mkdir()
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        (tmp_path / "notebooks" / nb.name).write_text("{}")
    return tmp_path


def solve(root: Path, file: str, stub_line: str, body: str) -> None:
    path = root / "exercises" / file
    text = path.read_text()
    assert stub_line in text
    path.write_text(text.replace(stub_line, body, 1))


def test_discover_finds_every_exercise_the_test_suite_knows_in_course_order():
    found = discover(ROOT)
    assert {(Path(e.file).stem, e.function) for e in found} == {(m, n) for m, n, _ in EXERCISES}
    assert [e.key for e in found] == sorted(e.key for e in found)
    assert [e.number for e in found if e.notebook == "13"] == ["13.1", "13.2", "13.3"]


def test_find_root_walks_up_from_notebooks_and_refuses_a_folder_outside_the_course(tmp_path):
    assert find_root(ROOT / "notebooks") == ROOT
    with pytest.raises(FileNotFoundError, match="exercises/__init__.py"):
        find_root(tmp_path)


def test_assigned_takes_exercises_and_whole_notebooks_and_names_an_unknown_one():
    found = discover(ROOT)
    assert [e.number for e in select(found, "2,4.1")] == ["2.1", "2.2", "2.3", "4.1"]
    assert [e.number for e in select(found, "02")] == ["2.1", "2.2", "2.3"]
    assert select(found, None) == found
    for bad in ("2.9", "99", "x"):
        with pytest.raises(ValueError, match=rf"unknown exercise\(s\) {bad}.*the exercises are 0.1, 1.1"):
            select(found, f"2.1,{bad}")


def test_parse_reads_the_status_and_the_first_failing_case_of_a_wrapped_report():
    out = ("[fail] ex2_1 key=b'k7', num_partitions=5: expected 3,\n    got 1\n"
           "[fail] ex2_1 key=b'k8', num_partitions=5: expected 0, got 1\n")
    assert parse(out) == ("fail", "key=b'k7', num_partitions=5: expected 3, got 1")
    assert parse("[ok] ex13_2: 60/60 cases match the reference\n") == ("ok", "60/60 cases match the reference")
    assert parse("[todo] ex0_1: partition_name() is not implemented yet\n")[0] == "todo"
    assert parse("something else\n") == ("fail", "the check printed no status: something else")


def test_on_the_stubs_every_exercise_is_todo_and_strict_mode_fails(course):
    r = progress(course, "--json", "--strict", "--learner", "ada")
    assert r.returncode == 1, r.stderr
    record = json.loads(r.stdout)
    assert record["learner"] == "ada" and record["format"] == 1 and record["passed"] is False
    assert {e["status"] for e in record["exercises"]} == {"todo"}
    assert record["counts"] == {"ok": 0, "fail": 0, "todo": len(EXERCISES)}
    assert "strict: 41 of 41 assigned exercises not done" in r.stderr.replace(str(len(EXERCISES)), "41")


def test_on_a_mix_each_status_is_right_and_strict_mode_judges_only_the_assigned(course):
    solve(course, "ex02_partitions.py", 'raise NotImplementedError("Exercise 2.1 (exercises/ex02_partitions.py)")',
          "from minikafka import partition_for_key as ref\n    return ref(key, num_partitions)")
    solve(course, "ex04_replication.py", 'raise NotImplementedError("Exercise 4.1 (exercises/ex04_replication.py)")',
          "return 0")
    solve(course, "ex13_storage.py", 'raise NotImplementedError("Exercise 13.2 (exercises/ex13_storage.py)")',
          "return [i for i in range(len(records)) if ]")      # saved half-typed
    r = progress(course, "--json")
    assert r.returncode == 0, r.stderr
    status = {e["number"]: (e["status"], e["detail"]) for e in json.loads(r.stdout)["exercises"]}
    assert status["2.1"] == ("ok", "40/40 cases match the reference")
    assert status["4.1"][0] == "fail" and "expected" in status["4.1"][1] and ", got 0" in status["4.1"][1]
    assert status["2.2"][0] == "todo"
    assert [status[n][0] for n in ("13.1", "13.2", "13.3")] == ["fail"] * 3
    assert status["13.1"][1].startswith("exercises/ex13_storage.py does not import: SyntaxError")
    assert progress(course, "--strict", "--assigned", "2.1").returncode == 0
    failing = progress(course, "--strict", "--assigned", "2.1,4.1")
    assert failing.returncode == 1 and "strict: 1 of 2 assigned exercises not done: 4.1 [fail]" in failing.stdout
    assert progress(course, "--strict", "--assigned", "2").returncode == 1
    assert progress(course, "--strict", "--assigned", "2.7").returncode == 2


def test_a_learner_file_that_does_not_import_is_a_fail_naming_the_error(course):
    path = course / "exercises" / "ex01_the_log.py"
    path.write_text(path.read_text().replace("from __future__ import annotations",
                                             "from __future__ import annotations\nimport no_such_module", 1))
    status = {e["number"]: e for e in json.loads(progress(course, "--json").stdout)["exercises"]}
    assert status["1.1"]["status"] == "fail"
    assert "does not import: ModuleNotFoundError" in status["1.1"]["detail"]


def test_on_the_reference_solutions_everything_is_ok_and_strict_mode_passes(course):
    r = progress(course, "--strict", env={"MINIKAFKA_USE_REFERENCE": "1"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{len(EXERCISES)} exercises: {len(EXERCISES)} ok, 0 fail, 0 todo" in r.stdout
    assert "strict: all" in r.stdout


def test_text_report_groups_by_notebook_and_fits_100_columns(course):
    out = progress(course).stdout
    assert "\n02 partitions and keys\n  [todo] 2.1 partition_for_key()\n" in out
    assert max(map(len, out.splitlines()[1:])) <= 100


def test_html_is_one_page_that_escapes_what_the_learner_printed(tmp_path):
    e = Exercise("2.1", "partition_for_key", "exercises/ex02_partitions.py", "02")
    from minikafka.course.progress import Status
    page = as_html([Status(e, "fail", "expected 3, got <script>")], tmp_path, "a&b")
    assert page.startswith("<!DOCTYPE html>") and "&lt;script&gt;" in page and "<script>" not in page
    assert "a&amp;b" in page and "http" not in page


def test_html_and_json_files_are_written_beside_the_text_report(course, tmp_path):
    out = tmp_path / "report.html"
    record = tmp_path / "r.json"
    r = progress(course, "--html", str(out), "--json", str(record), "--strict", "--assigned", "0")
    assert r.returncode == 1 and "\n00 welcome\n  [todo] 0.1 partition_name()\n" in r.stdout
    assert out.read_text().count("<tr class=\"todo\">") == len(EXERCISES)
    assert json.loads(record.read_text())["assigned"] == ["0.1"]


def test_room_lists_each_learner_and_the_exercises_that_fail(tmp_path):
    def record(name, statuses):
        ex = [{"number": n, "status": s} for n, s in statuses]
        counts = {k: sum(s == k for _, s in statuses) for k in ("ok", "fail", "todo")}
        return {"format": 1, "learner": name, "exercises": ex, "counts": counts}
    paths = []
    for name, st in (("bo", [("2.1", "ok"), ("4.1", "fail")]), ("al", [("2.1", "fail"), ("4.1", "todo")]),
                     ("cy", [("2.1", "ok"), ("4.1", "ok")])):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(record(name, st)))
    text = room(paths)
    lines = text.splitlines()
    assert [line.split()[0] for line in lines[1:4]] == ["al", "bo", "cy"]
    assert lines[1].split()[1:] == ["0", "1", "1", "2.1!", "4.1"]
    assert lines[-1].endswith("failing now: 2.1 (1 of 3 who tried), 4.1 (1 of 2 who tried)")
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(ValueError, match="not a progress record"):
        room([tmp_path / "x.json"])


@pytest.mark.parametrize("path", sorted((ROOT / "exercises").glob("ex*.py")), ids=lambda p: p.stem)
def test_reset_of_a_stub_changes_nothing_and_restores_it_after_a_solution(path, tmp_path):
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    copy = tmp_path / "exercises" / path.name
    original = copy.read_bytes()
    mine = [e for e in discover(tmp_path) if e.file == f"exercises/{path.name}"]
    assert mine
    for e in mine:
        assert reset(tmp_path, e) is False
    assert copy.read_bytes() == original
    text = original.decode()
    for e in mine:
        text = text.replace(f'raise NotImplementedError("Exercise {e.number} (exercises/{path.name})")',
                            "x = 1\n    if x:\n        return None  # solved\n    return x", 1)
    text += "\n\ndef my_helper():\n    return 2\n"
    copy.write_text(text)
    assert "# solved" in copy.read_text()
    for e in mine:
        assert reset(tmp_path, e) is True
    assert copy.read_text() == original.decode() + "\n\ndef my_helper():\n    return 2\n"


def test_reset_command_names_what_it_reset(course):
    solve(course, "ex02_partitions.py", 'raise NotImplementedError("Exercise 2.1 (exercises/ex02_partitions.py)")',
          "return 0")
    cmd = [sys.executable, "-m", "minikafka.course", "reset", "2", "--root", str(course)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.splitlines() == ["reset: 2.1 partition_for_key() in exercises/ex02_partitions.py",
                                "already the stub: 2.2 keys_that_move() in exercises/ex02_partitions.py",
                                "already the stub: 2.3 murmur2_port() in exercises/ex02_partitions.py"]
    assert "return 0" not in (course / "exercises" / "ex02_partitions.py").read_text()


def test_reset_of_a_file_that_does_not_parse_says_which_line_and_changes_nothing(course):
    path = course / "exercises" / "ex02_partitions.py"
    broken = path.read_text().replace("    raise NotImplementedError(\"Exercise 2.1", "    return (\n    raise X(\"", 1)
    path.write_text(broken)
    with pytest.raises(ValueError, match=r"ex02_partitions.py does not parse \(line \d+"):
        reset(course, discover(course)[4])
    assert path.read_text() == broken
