#!/usr/bin/env bash
# The conformance gate as a CI step (docs/CI.md). Copy it into your repository; your CI job runs it.
#
# Settings, all from the environment:
#   CBCONFORM_TARGET       base URL of the implementation under test, e.g. http://127.0.0.1:8080/api/v2
#   CBCONFORM_CONFIG       target file (TOML: data, features, readings; see docs/TARGETS.md)
#   CBCONFORM_START        optional: one command that starts the implementation (run by bash -c; a
#                          wrapper script should `exec` the server), stopped when this script ends
#   CBCONFORM_WAIT         seconds to wait for the target to answer (default 60)
#   CBCONFORM_EXPECTED_FAILURES  optional: rule IDs expected to fail, one a line (stale ones fail the job)
#   CBCONFORM_VERSION      optional pin: the gate's version, e.g. 0.1.0
#   CBCONFORM_CONTRACTS_DIGEST   optional pin: suite.contracts_digest the verdict must be judged by
#   CBCONFORM_REPORT_DIR   where junit.xml, report.html and results.json go (default reports)
# Arguments are passed on to `cbconform run` (e.g. --max-requests 2500 --run-deadline 1500).
# Exit: cbconform's gate code (0 conforms, 1 a MUST rule failed or a stale expected failure, 2 usage or
# harness error, 3 unreachable), or 2 when a pin does not match.
set -euo pipefail

report_dir="${CBCONFORM_REPORT_DIR:-reports}"
say() { echo "ci_recipe: $*" >&2; }

if [ -n "${CBCONFORM_VERSION:-}" ]; then
  installed="$(cbconform --version)"
  if [ "$installed" != "cbconform $CBCONFORM_VERSION" ]; then
    say "the installed gate is '$installed', but the job pins cbconform $CBCONFORM_VERSION."
    exit 2
  fi
fi

if [ -n "${CBCONFORM_START:-}" ]; then
  bash -c "$CBCONFORM_START" &
  server_pid=$!
  trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
fi

if [ -n "${CBCONFORM_TARGET:-}" ]; then
  deadline=$(( SECONDS + ${CBCONFORM_WAIT:-60} ))
  until python3 - "$CBCONFORM_TARGET" <<'PY'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass  # any HTTP answer means it is up
except OSError:
    sys.exit(1)
PY
  do
    if [ -n "${server_pid:-}" ] && ! kill -0 "$server_pid" 2>/dev/null; then
      say "the implementation under test exited before it answered at $CBCONFORM_TARGET."
      exit 3
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "$CBCONFORM_TARGET did not answer within ${CBCONFORM_WAIT:-60} s."
      exit 3
    fi
    sleep 1
  done
fi

args=(--report-dir "$report_dir")
if [ -n "${CBCONFORM_EXPECTED_FAILURES:-}" ]; then
  args+=(--expected-failures "$CBCONFORM_EXPECTED_FAILURES")
fi
code=0
cbconform run "${args[@]}" "$@" || code=$?

if [ -n "${CBCONFORM_CONTRACTS_DIGEST:-}" ] && [ -f "$report_dir/results.json" ]; then
  judged="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["suite"]["contracts_digest"])' \
    "$report_dir/results.json")"
  if [ "$judged" != "$CBCONFORM_CONTRACTS_DIGEST" ]; then
    say "the run was judged by contracts $judged, but the job pins $CBCONFORM_CONTRACTS_DIGEST."
    exit 2
  fi
fi
exit "$code"
