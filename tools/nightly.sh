#!/usr/bin/env bash
# Nightly-style run: the round-trip property tests with ten times CI's cases.
set -euo pipefail
cd "$(dirname "$0")/.."
LUANMA_EXAMPLES="${LUANMA_EXAMPLES:-20000}" python -m pytest -q tests/test_roundtrip.py "$@"
