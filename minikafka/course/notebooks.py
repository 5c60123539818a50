"""Course maintenance: regenerate notebook outputs, or find notebooks whose outputs are stale.

    python -m minikafka.course regen [NOTEBOOK...]        re-execute in place
    python -m minikafka.course check-stale [NOTEBOOK...]  exit 1 if a fresh run differs

Default: every ``notebooks/*.ipynb``, in sorted order. Rules, so that stored outputs are
exactly what nbval will see and diffs stay small:

- Never save outputs from the JupyterLab UI: edit there, then ``regen``, then commit.
- The kernel is ``python3`` with ``PYTHONHASHSEED=0`` and ``MPLBACKEND`` unset (so the
  inline PNG backend is used), started in the notebook's folder, 120 s per cell.
- ``MINIKAFKA_USE_REFERENCE`` and ``MINIKAFKA_STRICT`` are unset: committed outputs show
  the exercises in their stub state.
- Widget state (``metadata.widgets``) and cell ``execution`` timings are not stored. A
  widget view's ``model_id`` (random in the kernel) is replaced by one made from the cell id
  and the output's position, so a regen that changes nothing leaves no diff.
- Cells marked ``# NBVAL_RAISES_EXCEPTION`` may raise; any other error aborts ``regen``.
- ``check-stale`` compares code-cell outputs roughly as nbval does, after the
  ``tests/nbval-sanitize.cfg`` substitutions: stdout, text/plain, text/html and error
  name/value. It ignores execution counts, metadata, stderr, images, cells never
  executed, cells marked NBVAL_IGNORE_OUTPUT or NBVAL_SKIP, and cells showing a widget.

nbclient and nbformat are imported inside functions: ``minikafka`` stays stdlib-only.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SANITIZE = ROOT / "tests" / "nbval-sanitize.cfg"
WIDGET = "application/vnd.jupyter.widget-view+json"
COMPARED = ("text/plain", "text/html")


def _marked(cell, marker: str) -> bool:
    """True if the cell has nbval's `# NBVAL_<MARKER>` comment or `nbval-<marker>` tag."""
    comment = "# NBVAL_" + marker.upper().replace("-", "_")
    tags = cell.get("metadata", {}).get("tags", [])
    return comment in cell.source or "nbval-" + marker in tags


def execute(nb, path: Path):
    """Run `nb` (in place) as regen does; return it."""
    from nbclient import NotebookClient

    for name in ("MPLBACKEND", "MINIKAFKA_USE_REFERENCE", "MINIKAFKA_STRICT"):
        os.environ.pop(name, None)
    os.environ["PYTHONHASHSEED"] = "0"  # the kernel inherits our environment
    restore = []  # nbclient only knows the tag form of "this cell may raise"
    for cell in nb.cells:
        tags = cell.metadata.get("tags")
        if cell.cell_type == "code" and _marked(cell, "raises-exception") and "raises-exception" not in (tags or []):
            cell.metadata["tags"] = (tags or []) + ["raises-exception"]
            restore.append((cell, tags))
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        store_widget_state=False,
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        for cell, tags in restore:
            if tags is None:
                del cell.metadata["tags"]
            else:
                cell.metadata["tags"] = tags
    return nb


def regen(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    execute(nb, path)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for i, out in enumerate(cell.get("outputs", [])):
            view = out.get("data", {}).get(WIDGET)
            if view is not None:
                view["model_id"] = hashlib.md5(f"{path.name}/{cell.get('id', '')}/{i}".encode()).hexdigest()
    nbformat.write(nb, path)


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    if not SANITIZE.exists():
        return []
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", SANITIZE.read_text(), re.M)
    return [(re.compile(rx), rep) for rx, rep in pairs]


def _flatten(outputs, sanitizers) -> dict[str, str]:
    """The compared parts of one cell's outputs, keyed like nbval (stream chunks merged)."""
    flat: dict[str, str] = {}
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            flat["stdout"] = flat.get("stdout", "") + out.get("text", "")
        elif kind in ("execute_result", "display_data"):
            for mime in COMPARED:
                if mime in out.get("data", {}):
                    flat[mime] = flat.get(mime, "") + out["data"][mime]
        elif kind == "error":
            flat["error"] = f"{out.get('ename')}: {out.get('evalue')}"
    for key, text in flat.items():
        for rx, rep in sanitizers:
            text = rx.sub(rep, text)
        flat[key] = text
    return flat


def compare(stored, fresh) -> list[str]:
    """Differences between the code-cell outputs of two versions of a notebook."""
    sanitizers = _sanitizers()
    problems = []
    code = [(s, f) for s, f in zip(stored.cells, fresh.cells, strict=False) if s.cell_type == "code"]
    for n, (s, f) in enumerate(code, 1):
        if s.get("execution_count") is None or _marked(s, "ignore-output") or _marked(s, "skip"):
            continue
        if any(WIDGET in o.get("data", {}) for o in s.get("outputs", [])):
            continue
        old, new = _flatten(s.outputs, sanitizers), _flatten(f.outputs, sanitizers)
        for key in sorted(old.keys() | new.keys()):
            if old.get(key) != new.get(key):
                problems.append(f"code cell {n}, {key}: stored {old.get(key)!r}, fresh {new.get(key)!r}")
    return problems


def check_stale(path: Path) -> list[str]:
    import nbformat

    stored = nbformat.read(path, as_version=4)
    try:
        fresh = execute(copy.deepcopy(stored), path)
    except Exception as exc:  # a failing cell is stale too
        last = (str(exc).strip().splitlines() or [""])[-1]
        return [f"execution failed: {type(exc).__name__}: {last}"]
    return compare(stored, fresh)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minikafka.course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("regen", "check-stale"):
        sub.add_parser(name).add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    stale = 0
    for path in paths:
        if args.command == "regen":
            print(f"regen {path}", flush=True)
            regen(path)
        else:
            problems = check_stale(path)
            stale += bool(problems)
            print(f"{'STALE' if problems else 'ok'} {path}", flush=True)
            for line in problems:
                print(f"    {line}")
    if args.command == "check-stale":
        print(f"{stale} of {len(paths)} notebooks stale" + (": run `python -m minikafka.course regen`" if stale else ""))
    return 1 if stale else 0
