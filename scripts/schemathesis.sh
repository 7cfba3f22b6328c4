#!/usr/bin/env bash
# Fuzzes the REST API with schemathesis (PyPI) from its OpenAPI document:
# every operation, with generated valid and invalid input; fails on any
# server error (5xx other than the documented 502 for an unavailable Call
# Bridge) or on a response that contradicts the document's status codes.
# Usage: scripts/schemathesis.sh <base-url> <api-token> [max-examples]
set -euo pipefail
base="$1" token="$2" examples="${3:-25}"
if ! command -v schemathesis >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check schemathesis
fi
schemathesis run "$base/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance \
  --max-examples "$examples" \
  --seed 1
