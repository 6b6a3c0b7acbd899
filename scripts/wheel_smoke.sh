#!/usr/bin/env bash
# The wheel stands alone: build it, install it into a fresh virtual environment outside the checkout,
# and run `cbconform run` and `cbconform serve` from there. Contracts and suites must come from the
# package (src/cbconform/paths.py), judged by the same contracts as the checkout.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
say() { echo "wheel_smoke: $* (${SECONDS} s)"; }
fail() { echo "wheel_smoke: $*" >&2; exit 1; }
unset PYTHONPATH CHARGEBEE_API_KEY "${!CBCONFORM_@}"

python3 -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --no-compile "$work"/dist/*.whl  # bytecode is written on first import
say "installed $(basename "$work"/dist/*.whl)"
cd "$work"
export PATH="$work/venv/bin:$PATH"

read -r contracts suites < <(python -c 'from cbconform import paths; print(paths.contracts_dir(), paths.suites_dir())')
case "$contracts $suites" in
  "$work/venv/"*" $work/venv/"*) say "contracts and suites from the package: $contracts" ;;
  *) fail "contracts or suites do not come from the installed package: $contracts $suites" ;;
esac

code=0
cbconform run --report-dir "$work/reports" || code=$?
[ "$code" -eq 0 ] || fail "cbconform run from the wheel exited $code"
for name in report.html junit.xml results.json; do
  [ -s "$work/reports/$name" ] || fail "cbconform run from the wheel wrote no $name"
done
digest() { python -c 'import sys; from pathlib import Path; from cbconform.results import contracts_digest; print(contracts_digest(Path(sys.argv[1])))' "$1"; }
judged="$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["suite"]["contracts_digest"])' "$work/reports/results.json")"
[ "$judged" = "$(digest "$repo/contracts")" ] || fail "the wheel's contracts ($judged) differ from the checkout's"
say "cbconform run: exit 0, reports written, contracts digest $judged"

cbconform serve --port 0 >"$work/serve.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(grep -o 'http://[^ ]*/api/v2' "$work/serve.log" || true)"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "cbconform serve exited: $(cat "$work/serve.log")"
  sleep 0.2
done
[ -n "$url" ] || fail "cbconform serve did not start within 20 s"
status="$(curl -s -o "$work/answer.json" -w '%{http_code}' -u test_conformance_key: \
  -d customer_id=cust_conformance "$url/personalized_offers")"
[ "$status" = 200 ] && grep -q '"personalized_offers"' "$work/answer.json" \
  || fail "cbconform serve answered $status: $(cat "$work/answer.json")"
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=""
say "cbconform serve: answered 200 at $url and stopped"
