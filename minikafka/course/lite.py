"""`python -m minikafka.course lite OUTDIR [--pyodide PATH]`: the course as a static JupyterLite site.

The site runs the course in a browser with the Pyodide kernel: no server, nothing to install.
Serve OUTDIR with any static file server, e.g. `python -m http.server -d OUTDIR --bind 127.0.0.1`,
and open `lab/index.html`.

Rules:
1. Stdlib only at import time. The build tools (jupyterlite-core with jupyter_server, which
   indexes the contents, jupyterlite-pyodide-kernel, and jupyterlab_widgets, the widgets' front
   end) are looked for when `build` runs; a missing
   one stops the build with a message naming it and the pip extra that installs it (`LITE_EXTRA`).
2. The repository is never changed. The site's contents are copies, in the repository's layout:
   `notebooks/*.ipynb` and `exercises/*.py` (a notebook imports `exercises` from the folder above
   its own). Each copied notebook gets one first cell, `SETUP_CELL` (id and tag `lite-setup`),
   which installs what the course needs and puts the course folder first on `sys.path`, and the
   Pyodide kernel as its kernelspec. Nothing else in it changes, stored outputs included.
3. minikafka goes in as a wheel made here with zipfile from `minikafka/` alone: the learner's
   `exercises` must come from the site's editable files, never from a wheel. The wheels the
   notebooks need that Pyodide does not ship are pinned in `PIPLITE_PINS` and fetched from PyPI
   with pip at build time. The site's piplite index serves all of them, so `piplite.install`
   (and `%pip install`) finds them without PyPI.
4. Without --pyodide, the kernel loads Pyodide and every Pyodide package from Pyodide's CDN at
   run time. With --pyodide PATH (the npm `pyodide` package as a folder or .tgz, or a Pyodide
   core .tar.bz2), the site serves that core runtime and the pure-Python wheels the kernel
   needs to start (`KERNEL_BOOT` and their dependencies, at the versions that Pyodide's
   pyodide-lock.json pins, fetched from PyPI). The site's lock file is rewritten: those entries
   point at the site's wheels (with their own sha256), every other entry (numpy, matplotlib, ...)
   at the CDN of that Pyodide version. The kernel then starts and the course runs offline; only
   a package that Pyodide builds itself, such as matplotlib, needs the CDN.
5. The Pyodide core should be the version the kernel was made for; another one is a warning.
6. OUTDIR is replaced only if it is empty or holds an earlier site (a jupyter-lite.json).
"""
from __future__ import annotations

import argparse
import base64
import copy
import csv
import hashlib
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parents[2]

#: the pip extra with the build tools, and what it installs (pyproject.toml: `lite`)
LITE_EXTRA = 'pip install "minikafka[lite]"'
BUILD_TOOLS = {  # import name -> (distribution, its pinned requirement in the `lite` extra)
    "jupyterlite_core": ("jupyterlite-core", "jupyterlite-core[contents]==0.8.6"),
    "jupyter_server": ("jupyter-server", "jupyterlite-core[contents]==0.8.6"),   # indexes the contents
    "jupyterlite_pyodide_kernel": ("jupyterlite-pyodide-kernel", "jupyterlite-pyodide-kernel==0.8.6"),
    "jupyterlab_widgets": ("jupyterlab_widgets", "jupyterlab_widgets==3.0.17"),  # the widgets' front end
}

#: pure wheels the notebooks need that Pyodide does not ship; jupyterlab_widgets matches the
#: front end in BUILD_TOOLS (widgetsnbextension is a stub that the kernel's own index serves)
PIPLITE_PINS = {"ipywidgets": "8.1.9", "comm": "0.2.3", "jupyterlab-widgets": "3.0.17"}

#: what the Pyodide kernel loads from Pyodide's lock file when it starts (its worker's
#: initPackageManager and initKernel); their dependencies come along
KERNEL_BOOT = ("micropip", "ipython", "jedi", "traitlets")

PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
SETUP_ID = "lite-setup"
SETUP_CELL = """\
# Added by `python -m minikafka.course lite` (JupyterLite only): installs the course's packages
# from this site and lets `import exercises` find the course folder, the one above notebooks/.
import os, sys

if sys.platform == "emscripten":
    import piplite

    await piplite.install(["minikafka", "ipywidgets"])
    try:
        await piplite.install("matplotlib")     # from Pyodide's CDN: the pictures
    except Exception:
        print("matplotlib is not available here (offline?): pictures are shown as text")
    if os.path.dirname(os.getcwd()) not in sys.path:
        sys.path.insert(0, os.path.dirname(os.getcwd()))
"""
PYODIDE_KERNELSPEC = {"display_name": "Python (Pyodide)", "language": "python", "name": "python"}


class LiteError(Exception):
    """A build that cannot go on; the message says why and what to do."""


# -- the build tools -----------------------------------------------------------------------------
def check_tools() -> None:
    """Rule 1: every build tool importable in this Python, else LiteError naming the missing."""
    missing = [dist for name, (dist, _) in BUILD_TOOLS.items() if importlib.util.find_spec(name) is None]
    if missing:
        requirements = " ".join(f"'{r}'" for r in dict.fromkeys(req for _, req in BUILD_TOOLS.values()))
        raise LiteError(f"the JupyterLite build tools are missing from {sys.executable}: {', '.join(missing)}.\n"
                        f"Install them with `{LITE_EXTRA}` (in the repository: pip install -e '.[lite]'),\n"
                        f"or: pip install {requirements}")


def _kernel_pyodide_version() -> str | None:
    try:
        from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
    except ImportError:
        return None
    return str(PYODIDE_VERSION)


# -- wheels --------------------------------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def build_wheel(dest: Path) -> Path:
    """Rule 3: a py3-none-any wheel of minikafka/ (no exercises), byte-stable for the same files."""
    version = project_version()
    dist_info = f"minikafka-{version}.dist-info"
    files: list[tuple[str, bytes]] = []
    for path in sorted((ROOT / "minikafka").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files.append((path.relative_to(ROOT).as_posix(), path.read_bytes()))
    files.append((f"{dist_info}/METADATA", (
        "Metadata-Version: 2.1\nName: minikafka\n"
        f"Version: {version}\nSummary: A deterministic Kafka simulator (the JupyterLite course's build)\n"
        "Requires-Python: >=3.11\n").encode()))
    files.append((f"{dist_info}/WHEEL", (
        "Wheel-Version: 1.0\nGenerator: minikafka.course.lite\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n").encode()))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files:
        writer.writerow([name, _record_hash(data), len(data)])
    writer.writerow([f"{dist_info}/RECORD", "", ""])
    files.append((f"{dist_info}/RECORD", record.getvalue().encode()))
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"minikafka-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return wheel


def fetch_wheels(pins: dict[str, str], dest: Path, python_version: str) -> dict[str, Path]:
    """Pure wheels at exact versions from PyPI with pip (no dependencies: every one is pinned)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "--python-version", python_version, "--dest", str(dest),
           *(f"{name}=={version}" for name, version in sorted(pins.items()))]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise LiteError(f"pip could not download {', '.join(f'{n}=={v}' for n, v in sorted(pins.items()))}"
                        f" (PyPI is needed at build time):\n{done.stderr.strip()}")
    wanted = {_norm(name): version for name, version in pins.items()}
    found: dict[str, Path] = {}
    for wheel in dest.glob("*-none-any.whl"):
        name, version = wheel.name.split("-")[:2]
        if wanted.get(_norm(name)) == version:
            found[_norm(name)] = wheel
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise LiteError(f"pip gave no pure (py3-none-any) wheel for {', '.join(missing)}")
    return found


# -- Pyodide -------------------------------------------------------------------------------------
def _find_core(top: Path) -> Path:
    for candidate in (top, top / "package", top / "pyodide", *sorted(top.glob("*/"))):
        if (candidate / "pyodide.mjs").is_file() and (candidate / "pyodide-lock.json").is_file():
            return candidate
    raise LiteError(f"{top} holds no Pyodide core (pyodide.mjs and pyodide-lock.json); pass the npm "
                    "`pyodide` package's folder (node_modules/pyodide), its .tgz, or a pyodide-core .tar.bz2")


def pyodide_version(core: Path) -> str:
    package_json = core / "package.json"
    if package_json.is_file():
        return str(json.loads(package_json.read_text())["version"])
    found = re.search(r'"(\d+\.\d+\.\d+(?:[a-z.\-]+\d*)?)"', (core / "pyodide.mjs").read_text(errors="replace"))
    if not found:
        raise LiteError(f"cannot tell the Pyodide version of {core}")
    return found.group(1)


def lock_python(lock: dict[str, Any], default: str = "3.14") -> str:
    """The Python (major.minor) that a Pyodide lock file is for: the wheels fetched must suit it."""
    return ".".join(str(lock.get("info", {}).get("python", default)).split(".")[:2])


def boot_packages(lock: dict[str, Any]) -> list[str]:
    """KERNEL_BOOT and everything they depend on in the lock file (rule 4), lock names, sorted."""
    packages = lock["packages"]
    by_norm = {_norm(name): name for name in packages}
    seen: set[str] = set()
    todo = list(KERNEL_BOOT)
    while todo:
        name = by_norm.get(_norm(todo.pop()))
        if name is None or name in seen:
            continue
        seen.add(name)
        todo.extend(packages[name].get("depends", []))
    return sorted(seen)


def stage_pyodide(source: Path, static: Path, work: Path) -> str:
    """Rule 4: copy a Pyodide core to `static`/pyodide, serve its boot wheels there and point
    the rest of its lock file at the CDN. Returns the Pyodide version."""
    source = source.expanduser().resolve()
    if source.is_dir():
        core = _find_core(source)
    elif source.is_file() and tarfile.is_tarfile(source):
        unpacked = work / "pyodide-src"
        with tarfile.open(source) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(unpacked, filter="data")
            else:  # pragma: no cover - Python < 3.11.4
                tar.extractall(unpacked)
        core = _find_core(unpacked)
    else:
        raise LiteError(f"--pyodide {source}: not a folder or a tarball")
    version = pyodide_version(core)
    target = static / "pyodide"
    shutil.copytree(core, target, ignore=shutil.ignore_patterns("*.map", "*.d.ts", "*.html", "README*"))
    lock = json.loads((target / "pyodide-lock.json").read_text())
    boot = boot_packages(lock)
    packages = lock["packages"]
    not_pure = [n for n in boot if not packages[n]["file_name"].endswith("-none-any.whl")]
    if not_pure:
        raise LiteError(f"the kernel's boot packages {not_pure} are not pure wheels in this Pyodide")
    wheels = fetch_wheels({packages[n]["name"]: packages[n]["version"] for n in boot}, work / "boot-wheels",
                          lock_python(lock))
    cdn = PYODIDE_CDN.format(version=version)
    for name, entry in packages.items():
        wheel = wheels.get(_norm(entry["name"])) if name in boot else None
        if wheel is not None:
            shutil.copy2(wheel, target / wheel.name)
            entry["file_name"] = wheel.name
            entry["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
        elif "://" not in entry["file_name"]:
            entry["file_name"] = cdn + entry["file_name"]
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    expected = _kernel_pyodide_version()
    if expected and expected != version:
        print(f"lite: warning: Pyodide {version} is not the {expected} that the kernel was made for",
              file=sys.stderr)
    return version


# -- contents ------------------------------------------------------------------------------------
def _joined(value: Any) -> Any:
    """A multiline string stored as a list of lines, as one string; anything else as it is."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value


def lite_notebook(nb: dict[str, Any]) -> dict[str, Any]:
    """Rule 2: a copy of `nb` with the setup cell first and the Pyodide kernel. Multiline strings
    (sources, stream texts, text outputs) are written as single strings, as nbformat holds them
    in memory: JupyterLite hands the file to the front end as it is, and JupyterLab 4 shows a
    stored stream output kept as a list of lines with a comma between the lines."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["source"] = _joined(cell.get("source", ""))
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _joined(output["text"])
            for mime, value in output.get("data", {}).items():
                output["data"][mime] = _joined(value)
    nb["cells"] = [c for c in nb["cells"] if c.get("id") != SETUP_ID]
    nb["cells"].insert(0, {"cell_type": "code", "execution_count": None, "id": SETUP_ID,
                           "metadata": {"tags": [SETUP_ID]}, "outputs": [],
                           "source": SETUP_CELL})
    nb.setdefault("metadata", {})["kernelspec"] = dict(PYODIDE_KERNELSPEC)
    return nb


def copy_contents(contents: Path) -> list[Path]:
    """Rule 2: the notebooks (with the setup cell) and the exercises, in the repository's layout."""
    written = []
    (contents / "notebooks").mkdir(parents=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        target = contents / "notebooks" / path.name
        nb = lite_notebook(json.loads(path.read_text(encoding="utf-8")))
        target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(target)
    (contents / "exercises").mkdir()
    for path in sorted((ROOT / "exercises").glob("*.py")):
        written.append(Path(shutil.copy2(path, contents / "exercises" / path.name)))
    return written


# -- the build -----------------------------------------------------------------------------------
def _clear_outdir(outdir: Path) -> None:
    """Rule 6."""
    if outdir.exists():
        if not outdir.is_dir():
            raise LiteError(f"{outdir} is a file")
        if any(outdir.iterdir()):
            if not (outdir / "jupyter-lite.json").is_file():
                raise LiteError(f"{outdir} is not empty and holds no JupyterLite site; pick another OUTDIR")
            shutil.rmtree(outdir)


def build(outdir: Path | str, pyodide: Path | str | None = None) -> Path:
    """Build the site into `outdir` (see the module's rules) and return its path."""
    check_tools()
    outdir = Path(outdir).expanduser().resolve()
    _clear_outdir(outdir)
    with tempfile.TemporaryDirectory(prefix="minikafka-lite-") as tmp:
        stage = Path(tmp) / "lite"
        pypi = stage / "pypi"                      # jupyterlite's well-known folder of piplite wheels
        build_wheel(pypi)
        python = "3.14"
        if pyodide is not None:
            stage_pyodide(Path(pyodide), stage / "static", Path(tmp))   # the well-known static/pyodide
            lock = json.loads((stage / "static" / "pyodide" / "pyodide-lock.json").read_text())
            python = lock_python(lock, python)
        for wheel in fetch_wheels(PIPLITE_PINS, Path(tmp) / "piplite-wheels", python).values():
            shutil.copy2(wheel, pypi / wheel.name)
        copy_contents(stage / "contents")
        cmd = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(stage),
               "--contents", str(stage / "contents"), "--output-dir", str(outdir), "--no-sourcemaps"]
        done = subprocess.run(cmd, cwd=stage, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
            raise LiteError(f"`jupyter lite build` failed (exit {done.returncode}):\n{tail}")
    return outdir


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minikafka.course lite", description=__doc__.split("\n")[0])
    parser.add_argument("outdir", type=Path, help="where the site goes (replaced if it holds an earlier site)")
    parser.add_argument("--pyodide", type=Path, metavar="PATH",
                        help="a local Pyodide core (node_modules/pyodide, its .tgz, or a pyodide-core .tar.bz2): "
                             "the site then starts offline; default: Pyodide's CDN")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        site = build(args.outdir, args.pyodide)
    except LiteError as exc:
        print(f"lite: error: {exc}", file=sys.stderr)
        return 1
    print(f"lite: built {site} in {time.perf_counter() - started:.1f} s ({_size(site) / 1e6:.1f} MB); serve it with\n"
          f"    python -m http.server -d {site} --bind 127.0.0.1 8000\n"
          f"and open http://127.0.0.1:8000/lab/index.html?path=notebooks/00-welcome.ipynb")
    return 0


if __name__ == "__main__":
    sys.exit(main())
