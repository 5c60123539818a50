"""minikafka.course.notebooks.compare: the staleness check behind `python -m minikafka.course check-stale`."""

import pytest

nbformat = pytest.importorskip("nbformat")
from nbformat.v4 import new_code_cell, new_notebook, new_output  # noqa: E402

from minikafka.course.notebooks import compare  # noqa: E402


def notebook(stdout, count, repr_text="<Figure size 640x480 with 1 Axes>"):
    cell = new_code_cell("print(x)", execution_count=count)
    cell.outputs = [
        new_output("stream", name="stdout", text=stdout),
        new_output("execute_result", {"text/plain": repr_text}, execution_count=count),
    ]
    return new_notebook(cells=[cell])


def test_changed_stdout_is_stale():
    problems = compare(notebook("offset 3\n", 1), notebook("offset 4\n", 1))
    assert len(problems) == 1 and "stdout" in problems[0]


def test_execution_counts_and_sanitized_reprs_are_ignored():
    stored = notebook("offset 3\n", 1, "<Figure size 432x288 with 1 Axes>")
    assert compare(stored, notebook("offset 3\n", 7)) == []


def test_unexecuted_cells_are_not_compared():
    assert compare(notebook("offset 3\n", None), notebook("anything\n", 2)) == []
