#!/usr/bin/env bash
# Runs every test on a fresh machine: makes .venv, installs .[test], then runs
# pytest on tests/ (extra args go there) and, when notebooks exist, three nbval passes, then
# builds the Binder environment from .binder/ in a fresh venv and runs notebook 00 there.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/_venv.sh
ensure_venv test
unset MPLBACKEND  # the kernel must pick the inline backend, as in regen

py=.venv/bin/python
failed=()
step() {  # step NAME COMMAND...: run it, remember a failure, keep going
    local name=$1 rc=0
    shift
    echo
    echo "================ $name ================"
    "$@" || rc=$?
    if ((rc != 0)); then
        ((rc == 5)) && echo "!! $name: no tests were collected"
        failed+=("$name (exit $rc)")
    fi
}

step "unit tests: pytest tests" "$py" -m pytest tests "$@"

shopt -s nullglob
notebooks=(notebooks/*.ipynb)
if ((${#notebooks[@]})); then
    nbval=(notebooks --nbval-current-env --nbval-sanitize-with tests/nbval-sanitize.cfg
        --nbval-cell-timeout=120 -p no:cacheprovider)
    step "notebooks: stored outputs (nbval, PYTHONHASHSEED=1)" \
        env PYTHONHASHSEED=1 "$py" -m pytest --nbval "${nbval[@]}"
    step "notebooks: reference solutions (nbval-lax, strict checks)" \
        env MINIKAFKA_USE_REFERENCE=1 MINIKAFKA_STRICT=1 \
        "$py" -m pytest --nbval-lax "${nbval[@]}"
    step "notebooks: stored outputs again (nbval, PYTHONHASHSEED=2)" \
        env PYTHONHASHSEED=2 "$py" -m pytest --nbval "${nbval[@]}"
else
    echo; echo "(no notebooks/*.ipynb yet: nbval passes skipped)"
fi

step "binder: .binder/ built in a fresh venv, notebook 00 under nbval" bash tests/binder_check.sh

echo
if ((${#failed[@]})); then
    printf '!! FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "== all test steps passed"
