#!/usr/bin/env bash
# Property-based fuzzing of the simulator against the official TMF v4 specs (schemathesis).
#
#   tests/fuzz/run.sh [fuzz.py options, e.g. --examples 20 --seed 7 --api TMF622]
#   tests/fuzz/run.sh --python-only      # print the Python it would use, exit 1 if none
#
# Builds (or reuses) the debug simulator that `cargo test --workspace` builds, creates a venv
# with the pinned schemathesis (requirements.txt) under the target dir, then runs fuzz.py:
# simulator on a free port, seeded with real orders, every schemathesis check, failures matched
# against deviations.toml. Specs: $TMF_SPECS, default ../shared/tmf/specs beside the repo.
# Anything that cannot be installed or run fails the script: a check that could not run never
# passes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"

# A Python >= 3.11 with venv and ensurepip. 3.12 first: schemathesis's Hypothesis has crashed
# under some 3.11 builds. FUZZ_PYTHON overrides.
find_python() {
  local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}" candidate
  for candidate in "${FUZZ_PYTHON:-}" python3.12 "$pyenv_root"/versions/3.12*/bin/python3 \
    python3.13 "$pyenv_root"/versions/3.13*/bin/python3 python3; do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
      >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! python="$(find_python)"; then
  echo "fuzz: FAIL: no Python >= 3.11 with venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
if [ "${1:-}" = "--python-only" ]; then
  echo "$python"
  exit 0
fi

specs="${TMF_SPECS:-$repo/../shared/tmf/specs}"
if [ ! -f "$specs/TMF622-ProductOrder-v4.0.0.swagger.json" ]; then
  echo "fuzz: FAIL: no TMF specs in $specs (set TMF_SPECS)" >&2
  exit 1
fi

# The venv is rebuilt whenever requirements.txt changes.
venv="$target/fuzz-venv"
stamp="$venv/requirements.txt"
if ! cmp -s "$here/requirements.txt" "$stamp"; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  if ! "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"; then
    echo "fuzz: FAIL: could not install schemathesis from PyPI (requirements.txt)" >&2
    exit 1
  fi
  cp "$here/requirements.txt" "$stamp"
fi

# The same build as `cargo test --workspace` (same features), so after the tests it is a no-op.
(cd "$repo" && cargo test --workspace --no-run --quiet)
simulator="$target/debug/simulator"

out="$target/fuzz"
rm -rf "$out"
exec "$venv/bin/python" "$here/fuzz.py" --simulator "$simulator" --specs "$specs" \
  --schemathesis "$venv/bin/schemathesis" --out "$out" "$@"
