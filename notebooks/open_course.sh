#!/usr/bin/env bash
# Sets up .venv (first run only) and opens the course in JupyterLab.
# Extra args go to `jupyter lab`, e.g. --no-browser --port 8899.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/_venv.sh
ensure_venv course test
root=()
((EUID == 0)) && root=(--allow-root)  # Jupyter refuses to run as root without it
exec .venv/bin/jupyter lab notebooks/ "${root[@]}" "$@"
