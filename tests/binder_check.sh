#!/usr/bin/env bash
# Builds what repo2docker (Binder, a JupyterHub) builds from .binder/, in a fresh venv and a fresh
# HOME, from a clean copy of this checkout (its tracked files, with uncommitted edits), then:
#   1. checks that JupyterLab took the course's settings from the config postBuild wrote
#      (notebook 00 opens first, the server's root is the course folder);
#   2. runs notebook 00 under nbval against its stored outputs, with that environment's Python.
# repo2docker installs .binder/requirements.txt into its own Python, then runs .binder/postBuild in
# the repository's folder; this does the same with the venv's Python first on PATH. pytest and
# nbval are added afterwards, for step 2 only: the Binder image does not need them.
# Usage: bash tests/binder_check.sh [WORKDIR]   (default: a new temporary folder, removed after)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
work=${1:-$(mktemp -d)}
[[ $# -ge 1 ]] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/repo"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$work/repo" 2>/dev/null || true)
echo "== fresh venv: $(${PYTHON:-python3} --version), pip install -r .binder/requirements.txt"
"${PYTHON:-python3}" -m venv "$work/venv"
export PATH="$work/venv/bin:$PATH" HOME="$work/home" PIP_DISABLE_PIP_VERSION_CHECK=1
python -m pip install -q -r "$work/repo/.binder/requirements.txt"
echo "== .binder/postBuild"
(cd "$work/repo" && bash .binder/postBuild) | tail -1
cd "$work/repo"
echo "== the server's settings"
config=$(jupyter lab --show-config 2>&1)      # what `jupyter lab` reads, ~/.jupyter included
grep -q "default_url = '/lab/tree/notebooks/00-welcome.ipynb'" <<<"$config" \
    || { echo "!! JupyterLab does not open notebook 00 first:"; echo "$config"; exit 1; }
grep -q "root_dir = '$PWD'" <<<"$config" || { echo "!! the server's root is not the course folder:"; echo "$config"; exit 1; }
python -c "import minikafka, os; assert minikafka.__file__.startswith(os.getcwd()), minikafka.__file__"
echo "ok: notebook 00 opens first, the server's root is the course folder, minikafka comes from it"
echo "== notebook 00 under nbval"
python -m pip install -q "pytest>=8" "nbval>=0.11"
PYTHONHASHSEED=1 python -m pytest -q -p no:cacheprovider --nbval notebooks/00-welcome.ipynb \
    --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg
