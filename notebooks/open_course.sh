#!/usr/bin/env bash
# Sets up .venv (first run only) and opens the course in JupyterLab: the course folder in the
# file browser, notebooks/00-welcome.ipynb first, terminals ready for `pytest -m ex2_1`
# (the settings: notebooks/.course/jupyter_server_config.py).
# Extra args go to `jupyter lab`, e.g. --no-browser --port 8899.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/_venv.sh
ensure_venv course test
root=()
((EUID == 0)) && root=(--allow-root)  # Jupyter refuses to run as root without it
exec .venv/bin/jupyter lab --config="$PWD/notebooks/.course/jupyter_server_config.py" "${root[@]}" "$@"
