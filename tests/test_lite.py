"""`python -m minikafka.course lite`: the parts that need neither JupyterLite nor the network (the
site itself is checked in a browser by tests/lite_check.sh)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from minikafka.course import lite

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_holds_minikafka_and_not_the_learners_exercises(tmp_path):
    wheel = lite.build_wheel(tmp_path)
    assert wheel.name == f"minikafka-{lite.project_version()}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        record = {row[0]: row for row in csv.reader(io.StringIO(zf.read(names[-1]).decode()))}
        assert names[-1].endswith(".dist-info/RECORD")
        for name in names[:-1]:
            assert record[name][1] == lite._record_hash(zf.read(name))
    assert "minikafka/__init__.py" in names and "minikafka/course/lite.py" in names
    assert not [n for n in names if n.startswith("exercises/") or "__pycache__" in n]
    assert lite.build_wheel(tmp_path / "again").read_bytes() == wheel.read_bytes()     # byte-stable


def test_a_copied_notebook_gets_the_setup_cell_and_the_pyodide_kernel_and_nothing_else():
    original = json.loads((ROOT / "notebooks" / "01-the-log.ipynb").read_text())
    copy = lite.lite_notebook(original)
    assert copy["cells"][0]["id"] == lite.SETUP_ID and copy["cells"][0]["source"] == lite.SETUP_CELL
    assert copy["metadata"]["kernelspec"]["name"] == "python"
    assert original["metadata"]["kernelspec"]["name"] == "python3"             # the original is untouched
    assert len(copy["cells"]) == len(original["cells"]) + 1
    for mine, theirs in zip(copy["cells"][1:], original["cells"], strict=True):
        assert mine["source"] == "".join(theirs["source"])
        for a, b in zip(mine.get("outputs", []), theirs.get("outputs", []), strict=True):
            assert a.get("text") == ("".join(b["text"]) if "text" in b else None)
    assert lite.lite_notebook(copy)["cells"] == copy["cells"]                  # one setup cell, however often


def test_the_setup_cell_is_valid_python_with_top_level_await():
    import ast

    compile(lite.SETUP_CELL, "<setup>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_the_kernels_boot_packages_are_followed_through_their_dependencies():
    lock = {"packages": {
        "micropip": {"name": "micropip", "depends": []},
        "ipython": {"name": "ipython", "depends": ["prompt_toolkit", "traitlets"]},
        "prompt-toolkit": {"name": "prompt-toolkit", "depends": ["wcwidth"]},
        "wcwidth": {"name": "wcwidth", "depends": []},
        "traitlets": {"name": "traitlets", "depends": []},
        "jedi": {"name": "jedi", "depends": ["parso"]},
        "parso": {"name": "parso", "depends": []},
        "numpy": {"name": "numpy", "depends": []},
    }}
    assert lite.boot_packages(lock) == ["ipython", "jedi", "micropip", "parso", "prompt-toolkit", "traitlets",
                                        "wcwidth"]


def test_a_local_pyodide_serves_the_boot_wheels_and_sends_the_rest_to_the_cdn(tmp_path, monkeypatch):
    core = tmp_path / "node_modules" / "pyodide"
    core.mkdir(parents=True)
    (core / "package.json").write_text('{"version": "314.0.6"}')
    (core / "pyodide.mjs").write_text("// the runtime")
    (core / "pyodide.mjs.map").write_text("{}")
    (core / "pyodide-lock.json").write_text(json.dumps({"info": {"python": "3.14.2"}, "packages": {
        "micropip": {"name": "micropip", "version": "0.11.1", "depends": [], "sha256": "x",
                     "file_name": "micropip-0.11.1-py3-none-any.whl"},
        "numpy": {"name": "numpy", "version": "2.4.6", "depends": [], "sha256": "y",
                  "file_name": "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl"},
    }}))
    asked = {}

    def fake_fetch(pins, dest, python):
        asked.update(pins, python=python)
        dest.mkdir(parents=True)
        wheel = dest / "micropip-0.11.1-py3-none-any.whl"
        wheel.write_bytes(b"a wheel")
        return {"micropip": wheel}

    monkeypatch.setattr(lite, "fetch_wheels", fake_fetch)
    assert lite.stage_pyodide(core, tmp_path / "static", tmp_path) == "314.0.6"
    served = tmp_path / "static" / "pyodide"
    assert asked == {"micropip": "0.11.1", "python": "3.14"}
    assert sorted(p.name for p in served.iterdir()) == ["micropip-0.11.1-py3-none-any.whl", "package.json",
                                                         "pyodide-lock.json", "pyodide.mjs"]
    packages = json.loads((served / "pyodide-lock.json").read_text())["packages"]
    assert packages["micropip"]["file_name"] == "micropip-0.11.1-py3-none-any.whl"
    assert packages["micropip"]["sha256"] == hashlib.sha256(b"a wheel").hexdigest()
    assert packages["numpy"]["file_name"] == ("https://cdn.jsdelivr.net/pyodide/v314.0.6/full/"
                                              "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    assert packages["numpy"]["sha256"] == "y"


def test_without_the_build_tools_the_message_names_them_and_the_extra(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(lite.importlib.util, "find_spec", lambda name: None)
    assert lite.main([str(tmp_path / "site")]) == 1
    err = capsys.readouterr().err
    assert "jupyterlite-core, jupyter-server, jupyterlite-pyodide-kernel, jupyterlab_widgets" in err
    assert 'pip install "minikafka[lite]"' in err and "jupyterlite-pyodide-kernel==0.8.6" in err
    assert not (tmp_path / "site").exists()


def test_an_outdir_that_is_not_a_site_is_never_replaced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(lite.LiteError, match="holds no JupyterLite site"):
        lite._clear_outdir(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
