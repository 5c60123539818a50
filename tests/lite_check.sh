#!/usr/bin/env bash
# Offline smoke check of the JupyterLite course site, one command:
#
#     tests/lite_check.sh OUTDIR [NOTEBOOK]      # NOTEBOOK default: notebooks/01-the-log.ipynb
#
# 1. A Python with the build tools: $LITE_PYTHON if set, else a venv made once in
#    ${LITE_VENV:-/tmp/minikafka-lite-venv} with the pins of minikafka/course/lite.py (BUILD_TOOLS).
# 2. The npm `pyodide` core at the version the kernel was made for, and playwright-core, made
#    once in ${LITE_NODE_DIR:-/tmp/minikafka-lite-node} (npm registry; no browser download:
#    Debian's /usr/bin/chromium is used).
# 3. Builds OUTDIR/site with `python -m minikafka.course lite --pyodide`, and for this check only
#    sets exposeAppInBrowser in its jupyter-lite.json (the driver reads cells through the app).
# 4. Serves it with `python -m http.server` on a free 127.0.0.1 port (stopped on exit, by PID).
# 5. tests/lite_smoke.js runs NOTEBOOK's cells in headless Chromium, which may reach nothing but
#    that server; screenshots, report.json and summary.txt go to OUTDIR/smoke.
# The last line is PASS/FAIL. Exit 0 = PASS, 1 = FAIL, 2 = setup error.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
(($# >= 1)) || { echo "usage: tests/lite_check.sh OUTDIR [NOTEBOOK]" >&2; exit 2; }
out=$(mkdir -p "$1" && cd "$1" && pwd)
notebook=${2:-notebooks/01-the-log.ipynb}
export PIP_DISABLE_PIP_VERSION_CHECK=1

py=${LITE_PYTHON:-}
if [[ -z $py ]]; then
    venv=${LITE_VENV:-/tmp/minikafka-lite-venv}
    py=$venv/bin/python
    if [[ ! -x $py ]] || ! PYTHONPATH=$repo "$py" -c 'from minikafka.course.lite import check_tools; check_tools()' 2>/dev/null; then
        echo "== making $venv with the JupyterLite build tools"
        [[ -x $py ]] || python3 -m venv "$venv"
        mapfile -t reqs < <(PYTHONPATH=$repo python3 -c \
            'from minikafka.course.lite import BUILD_TOOLS; print(*dict.fromkeys(r for _, r in BUILD_TOOLS.values()), sep="\n")')
        "$py" -m pip install -q "${reqs[@]}" || { echo "setup: pip install ${reqs[*]} failed" >&2; exit 2; }
    fi
fi

pyodide_version=$("$py" -c 'from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION; print(PYODIDE_VERSION)')
node_dir=${LITE_NODE_DIR:-/tmp/minikafka-lite-node}
if [[ ! -f $node_dir/node_modules/pyodide/package.json ]] \
    || [[ $(node -p "require('$node_dir/node_modules/pyodide/package.json').version") != "$pyodide_version" ]] \
    || [[ ! -d $node_dir/node_modules/playwright-core ]]; then
    echo "== npm: pyodide@$pyodide_version and playwright-core into $node_dir"
    mkdir -p "$node_dir"
    [[ -f $node_dir/package.json ]] || echo '{"private": true}' > "$node_dir/package.json"
    (cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error "pyodide@$pyodide_version" playwright-core@1.65.1) \
        || { echo "setup: npm install failed" >&2; exit 2; }
fi

echo "== building $out/site (Pyodide $pyodide_version from $node_dir)"
PYTHONPATH=$repo "$py" -m minikafka.course.lite "$out/site" --pyodide "$node_dir/node_modules/pyodide" \
    || { echo "FAIL build: python -m minikafka.course lite failed"; exit 1; }
"$py" - "$out/site/jupyter-lite.json" <<'EOF'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["jupyter-config-data"]["exposeAppInBrowser"] = True
json.dump(config, open(path, "w"), indent=2)
EOF

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$py" -m http.server --bind 127.0.0.1 --directory "$out/site" "$port" > "$out/http.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/jupyter-lite.json" > /dev/null && break
    sleep 0.2
done
echo "== serving on http://127.0.0.1:$port (pid $server); running $notebook"
checks=(--min-ok 3)
[[ $notebook == notebooks/01-the-log.ipynb ]] && checks=(--min-ok 15 --expect "alice tea -> offset 6")
rc=0
NODE_PATH=$node_dir/node_modules node tests/lite_smoke.js --url "http://127.0.0.1:$port" --notebook "$notebook" \
    --out "$out/smoke" "${checks[@]}" || rc=$?
exit "$rc"
