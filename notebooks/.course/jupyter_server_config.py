"""How `bash notebooks/open_course.sh` serves the course: `jupyter lab --config=<this file>`.

Rules:
1. The server's root is the course folder (the repository), so JupyterLab's file browser
   reaches both exercises/ and notebooks/. JupyterLab opens notebooks/00-welcome.ipynb first.
2. The file browser hides the plumbing: Jupyter's default globs, plus the test runners' files
   (conftest.py), the course command and pip's metadata. Names starting with a dot (.venv,
   .course) are hidden by Jupyter anyway.
3. A notebook's kernel starts in the notebook's folder (Jupyter's rule, not set here): relative
   paths in a notebook are relative to notebooks/.
4. A terminal opened in JupyterLab is bash, starts in the course folder, and has the Python that
   runs this server (the course's .venv) first on PATH, so `pytest -m ex2_1` works there. It
   reads the learner's ~/.bashrc first (see bashrc next to this file).
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COURSE = HERE.parent.parent
JUPYTER_DEFAULT_HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"]


def terminal_command() -> list[str]:
    """Rule 4: bash with the course's rc file; the server's Python and venv passed through env."""
    python = Path(sys.executable)
    env = [f"COURSE_BIN={python.parent}", f"COURSE_ROOT={COURSE}"]
    if sys.prefix != sys.base_prefix:
        env.append(f"COURSE_VENV={sys.prefix}")
    return ["env", *env, "bash", "--rcfile", str(HERE / "bashrc"), "-i"]


c = get_config()  # noqa: F821  (traitlets defines it in a config file)
c.ServerApp.root_dir = str(COURSE)
c.LabApp.default_url = "/lab/tree/notebooks/00-welcome.ipynb"
c.ContentsManager.hide_globs = [*JUPYTER_DEFAULT_HIDDEN, "conftest.py", "open_course.sh", "*.egg-info"]
c.ServerApp.terminado_settings = {"shell_command": terminal_command()}
