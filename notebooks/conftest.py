"""nbval tweaks for the course notebooks (course-practices.md §5).

This lives in notebooks/, not at the repo root (the top level is fixed). Checked
with nbval 0.11: `pytest --nbval notebooks` loads this file as an initial conftest,
and both hooks below take effect; `pytest tests` never loads it.
"""

WIDGET = "application/vnd.jupyter.widget-view+json"


def pytest_configure(config):
    # A teaching-error cell carries both `# NBVAL_RAISES_EXCEPTION` (for nbval) and the
    # `raises-exception` tag (so JupyterLab's Run All goes on); nbval warns about the overlap.
    config.addinivalue_line("filterwarnings", "ignore:Overlapping options from comments and metadata")


def pytest_collectstart(collector):
    # nbval's IPyNbFile collector: never compare stderr (warnings) or SVG.
    if collector.path is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr", "image/svg+xml")


def pytest_collection_modifyitems(items):
    # A cell whose stored output is a live widget must run but is not compared.
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and any(WIDGET in o.get("data", {}) for o in cell.get("outputs", [])):
            item.options["check"] = False
