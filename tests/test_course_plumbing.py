"""The course as a learner opens it, driven through Jupyter's REST API as JupyterLab drives it.

`bash notebooks/open_course.sh` runs `jupyter lab --config=notebooks/.course/jupyter_server_config.py`.
These tests start JupyterLab with that same config file in a copy of the course, on a free port
with a token, and check what a learner relies on:
- the file browser shows exercises/ and notebooks/, and hides the plumbing (conftest.py, the
  course command, caches);
- an exercise opened from the file browser and saved with an edit changes what its check prints
  in a notebook's kernel ([todo], then [fail], then [ok]), and that kernel runs in notebooks/;
- a terminal (File > New > Terminal, or the Launcher while the browser shows notebooks/) opens in
  the course folder with the course's pytest first on PATH, and `pytest -m ex2_1` checks the
  saved file.
The copy gets PYTHONPATH pointing at itself, so its exercises/ shadow the installed ones.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytest.importorskip("jupyter_server")
pytest.importorskip("jupyter_server_terminals")
pytest.importorskip("jupyterlab")
from tornado.httpclient import HTTPRequest  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402
from traitlets.config.loader import PyFileConfigLoader  # noqa: E402

from minikafka.clients.producer import partitioner  # noqa: E402

ROOT = Path(__file__).parent.parent
CONFIG = Path("notebooks/.course/jupyter_server_config.py")
EXERCISE = "exercises/ex02_partitions.py"
TOKEN = "course-plumbing"
# A notebook's setup cell and an exercise's check cell, as the notebooks have them.
SETUP_CELL = "%load_ext autoreload\n%autoreload 2\nfrom minikafka.course import checks"
CHECK_CELL = "from exercises.ex02_partitions import partition_for_key\n\nchecks.ex2_1(partition_for_key)"


# -- a course server in a copy of the repository ------------------------------------------------
def copy_course(dest: Path) -> Path:
    """The files a learner's session touches: notebooks (with the hidden config), exercises,
    the pytest setup that `pytest -m ex2_1` reads."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=skip)
    shutil.copytree(ROOT / "exercises", dest / "exercises", ignore=skip)
    (dest / "tests").mkdir()
    for name in ["pyproject.toml", "README.md", "tests/conftest.py", "tests/test_learner.py"]:
        shutil.copy(ROOT / name, dest / name)
    (dest / "notebooks" / "__pycache__").mkdir()        # as after a first nbval run
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Course:
    """A running JupyterLab over a copy of the course, and the calls JupyterLab makes to it."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.base = root, f"http://127.0.0.1:{port}"

    def api(self, method: str, path: str, body: dict | None = None) -> dict | list:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")

    def save(self, path: str, text: str) -> None:
        """What JupyterLab's editor does on Ctrl+S."""
        self.api("PUT", f"/api/contents/{path}", {"type": "file", "format": "text", "content": text})

    def ws(self, path: str) -> HTTPRequest:
        return HTTPRequest(f"ws://127.0.0.1:{self.base.rsplit(':', 1)[1]}{path}",
                           headers={"Authorization": f"token {TOKEN}"})


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = copy_course(tmp_path_factory.mktemp("course"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIKAFKA_", "PYTEST_"))}
    env.update(PYTHONPATH=str(root), JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
    as_root = ["--allow-root"] if os.geteuid() == 0 else []
    log = open(root / ".server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", f"--config={root / CONFIG}", *as_root, "--no-browser",
         f"--port={port}", f"--IdentityProvider.token={TOKEN}", "--ServerApp.port_retries=0"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Course(root, port)
    try:
        wait_until_up(running, server)
        yield running
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_until_up(course: Course, server: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail("JupyterLab exited:\n" + (course.root / ".server.log").read_text())
        try:
            course.api("GET", "/api/status")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    pytest.fail("JupyterLab did not answer:\n" + (course.root / ".server.log").read_text())


# -- a kernel and a terminal over their websockets ----------------------------------------------
async def _execute(course: Course, kernel_id: str, code: str, timeout: float) -> str:
    conn = await websocket_connect(course.ws(f"/api/kernels/{kernel_id}/channels"))
    msg_id = uuid.uuid4().hex
    conn.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "learner",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True}}))
    out: list[str] = []
    while True:
        raw = await asyncio.wait_for(conn.read_message(), timeout)
        assert raw is not None, "the kernel's websocket closed"
        msg = json.loads(raw)
        if msg.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            out.append(f"{content['ename']}: {content['evalue']}\n")
        elif kind == "status" and content["execution_state"] == "idle":
            conn.close()
            return "".join(out)


def run_cell(course: Course, kernel_id: str, code: str, timeout: float = 30) -> str:
    return asyncio.run(_execute(course, kernel_id, code, timeout))


async def _type(course: Course, name: str, line: str, until: re.Pattern, timeout: float) -> str:
    conn = await websocket_connect(course.ws(f"/terminals/websocket/{name}"))
    conn.write_message(json.dumps(["stdin", line + "\r"]))
    seen = ""
    deadline = time.monotonic() + timeout
    while not until.search(seen):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the terminal never printed {until.pattern!r}:\n{seen}")
        raw = await asyncio.wait_for(conn.read_message(), left)
        assert raw is not None, f"the terminal closed:\n{seen}"
        kind, *rest = json.loads(raw)
        if kind == "stdout":
            seen += rest[0]
    conn.close()
    return seen


def type_in_terminal(course: Course, name: str, line: str, until: str, timeout: float = 60) -> str:
    return asyncio.run(_type(course, name, line, re.compile(until), timeout))


# -- edits a learner makes ------------------------------------------------------------------
def with_body(source: str, body: str) -> str:
    """exercises/ex02_partitions.py with partition_for_key's `raise NotImplementedError` replaced."""
    stub = re.compile(r"^(\s+)raise NotImplementedError\(\"Exercise 2\.1\b.*$", re.M)
    assert stub.search(source), "partition_for_key's stub line moved"
    return stub.sub(lambda m: "\n".join(m.group(1) + line for line in body.splitlines()), source, count=1)


def solved(source: str) -> str:
    params = ", ".join(inspect.signature(partitioner.partition_for_key).parameters)
    return with_body(source, f"from {partitioner.__name__} import partition_for_key as kafkas\n"
                             f"return kafkas({params})")


# -- the tests ------------------------------------------------------------------------------
def test_open_course_sh_starts_jupyterlab_with_the_config_these_tests_use():
    script = (ROOT / "notebooks" / "open_course.sh").read_text()
    assert re.search(r"^exec \.venv/bin/jupyter lab --config=\"\$PWD/" + re.escape(str(CONFIG)) + '"',
                     script, re.M), script
    config = PyFileConfigLoader(CONFIG.name, str(ROOT / CONFIG.parent)).load_config()
    assert Path(config.ServerApp.root_dir) == ROOT.resolve()
    first = config.LabApp.default_url.removeprefix("/lab/tree/")
    assert (ROOT / first).is_file(), f"default_url opens {first}, which does not exist"


def test_the_file_browser_shows_exercises_and_notebooks_and_hides_the_plumbing(course):
    top = {item["name"] for item in course.api("GET", "/api/contents/")["content"]}
    assert {"exercises", "notebooks", "README.md"} <= top
    notebooks = {item["name"] for item in course.api("GET", "/api/contents/notebooks")["content"]}
    assert "00-welcome.ipynb" in notebooks
    assert not notebooks & {"conftest.py", "open_course.sh", "__pycache__", ".course"}, notebooks
    exercises = {item["name"] for item in course.api("GET", "/api/contents/exercises")["content"]}
    assert "ex00_welcome.py" in exercises and "ex02_partitions.py" in exercises


def test_an_exercise_saved_from_jupyterlab_changes_its_check_in_a_notebook_kernel(course):
    original = course.api("GET", f"/api/contents/{EXERCISE}")["content"]
    assert original == (course.root / EXERCISE).read_text()
    course.save(EXERCISE, original)
    session = course.api("POST", "/api/sessions", {"path": "notebooks/00-welcome.ipynb", "type": "notebook",
                                                    "name": "", "kernel": {"name": "python3"}})
    kernel = session["kernel"]["id"]
    try:
        where = run_cell(course, kernel, "import os\nprint(os.getcwd(), os.path.isfile('00-welcome.ipynb'))")
        assert where.split() == [str(course.root / "notebooks"), "True"]
        run_cell(course, kernel, SETUP_CELL)
        assert run_cell(course, kernel, CHECK_CELL).startswith("[todo] ex2_1")
        course.save(EXERCISE, with_body(original, "return 0"))
        assert run_cell(course, kernel, CHECK_CELL).startswith("[fail] ex2_1")
        course.save(EXERCISE, solved(original))
        assert run_cell(course, kernel, CHECK_CELL).startswith("[ok] ex2_1")
    finally:
        course.api("DELETE", f"/api/sessions/{session['id']}")
        course.save(EXERCISE, original)


def test_a_terminal_opens_in_the_course_folder_where_pytest_checks_the_saved_exercise(course):
    original = (course.root / EXERCISE).read_text()
    course.save(EXERCISE, solved(original))
    where = 'echo "at=$PWD pytest=$(command -v pytest)"'
    expected = f"at={course.root} pytest={Path(sys.executable).parent / 'pytest'}"
    try:
        for cwd in ["notebooks", None]:         # the Launcher in notebooks/; File > New > Terminal
            name = course.api("POST", "/api/terminals", {} if cwd is None else {"cwd": cwd})["name"]
            try:
                assert expected in type_in_terminal(course, name, where, r"at=\S+ pytest=\S*\r?\n")
                if cwd is None:                 # the learner's command (nbval's plugin left out: faster)
                    out = type_in_terminal(course, name, "pytest -m ex2_1 -q -p no:nbval --color=no",
                                           r"\d+ (passed|failed|error)")
                    assert re.search(r"\b1 passed", out), out
            finally:
                course.api("DELETE", f"/api/terminals/{name}")
    finally:
        course.save(EXERCISE, original)
