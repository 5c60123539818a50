# Sourced by tests/run_all.sh and notebooks/open_course.sh, from the repo root.
# ensure_venv EXTRA [ALSO_OK...]: make .venv and `pip install -e .[EXTRA]`, unless
# the stamp says EXTRA (or an ALSO_OK extra) is installed for this pyproject.toml.
ensure_venv() {
    local stamp=.venv/.minikafka-installed sha extra
    sha=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [[ ! -x .venv/bin/python ]]; then
        echo "== creating .venv with $(${PYTHON:-python3} --version)"
        "${PYTHON:-python3}" -m venv .venv
    fi
    for extra in "$@"; do
        grep -qx "$sha $extra" "$stamp" 2>/dev/null && return 0
    done
    echo "== installing minikafka[$1] into .venv (about a minute the first time)"
    PIP_DISABLE_PIP_VERSION_CHECK=1 .venv/bin/python -m pip install -q -e ".[$1]" ipykernel
    { grep "^$sha " "$stamp" 2>/dev/null || true; echo "$sha $1"; } > "$stamp.tmp"
    mv "$stamp.tmp" "$stamp"
}
