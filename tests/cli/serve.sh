#!/bin/sh
# silt serve over real HTTP on loopback: a store filled by real builds of examples/shop (an
# environment run and a job run), then every route of the OpenAPI document answered, the
# admin writes, the error shape for bad input (malformed JSON, unknown fields, wrong types,
# oversized bodies, SQL metacharacters, unknown routes and methods), pagination with cursors,
# logs and artifacts, runs queued through the API and executed by the server's worker, a
# running run cancelled; SIGTERM stops the server and its worker cleanly. The checks are in lib/serve_api.py.
. "$(dirname "$0")/lib/common.sh" "$1"
need_pg_store
cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home SILT_STORE="$(store_new store)"
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
silt env create prod --type production > /dev/null 2>&1
silt build --env prod > "$t/build.out" 2>&1
check "a production build is recorded" grep -q "Completed successfully" "$t/build.out"
silt job create nightly --env prod --step "silt seed" --step "silt run --select stg_orders" > /dev/null 2>&1
silt job run nightly > "$t/job.out" 2>&1
check "a job run is recorded" grep -q "success" "$t/job.out"
# a pull request's CI run (run 3) in environment ci: one model modified, one new, one removed
. "$ROOT/tests/cli/lib/shop_pr.sh"
silt env create ci --type general > /dev/null 2>&1
cp -R "$t/shop" "$t/pr"
shop_pr "$t/pr"
(cd "$t/pr" && silt ci run --env ci --pr 5 --sha 5a5a5a5a > "$t/ci.out" 2>&1)
check "a pull request's CI run is recorded" grep -q "Completed successfully" "$t/ci.out"
cat > models/slow.sql <<'EOT'
{{ config(materialized='table') }}
with recursive c(x) as (select 1 union all select x + 1 from c where x < 500000000)
select count(*) as n from c
EOT
silt job create slowjob --env prod --step "silt run --select slow" --step "silt seed" > /dev/null 2>&1

silt token create ops --scope admin > "$t/tok.out" 2>&1
check "silt token create prints the secret once" grep -q '^slt_[0-9a-f]\{48\}$' "$t/tok.out"
admin=$(grep '^slt_' "$t/tok.out")
read=$(silt token create reader --scope metadata:read | grep '^slt_')
runner=$(silt token create runner --scope job:run | grep '^slt_')
old=$(silt token create old --scope admin | grep '^slt_')
silt token revoke old > /dev/null
silt token list > "$t/toks.out" 2>&1
check "silt token list shows names, scopes and states" grep -q "old .*admin .*revoked" "$t/toks.out"
check "... and never a secret" test "$(grep -c "$admin" "$t/toks.out")" = 0
silt token create bad --scope root > "$t/out" 2>&1
check "an unknown scope is a usage error" test $? -eq 2
check "the store keeps only hashes" test "$(sq "$SILT_STORE" "select count(*) from service_token where token_sha256 = '$admin'")" = 0
"$SILT" serve --port 0 --max-body 4096 > "$t/serve.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "listening on" "$t/serve.out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$t/serve.out" | head -n 1)
check "silt serve prints the address it listens on" test -n "$url"
/usr/bin/python3 "$ROOT/tests/cli/lib/serve_api.py" "$url" "$admin" "$read" "$runner" "$old" > "$t/api.out" 2>&1
cat "$t/api.out"
api=$(tail -n 1 "$t/api.out")
check "the API checks pass ($api)" test "$(echo "$api" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed$/\1/')" = 0
timeout 20 "$SILT" serve --port "${url##*:}" > "$t/bad.out" 2>&1
check "a port in use is a clear error" grep -q "cannot listen on 127.0.0.1:${url##*:}" "$t/bad.out"
kill -TERM $pid
wait $pid
check "SIGTERM stops the server cleanly" test $? -eq 0
check "... and it says so" grep -q "silt serve: stopped" "$t/serve.out"
check "no token appears in the server's output" test "$(grep -c -e "$admin" -e "$read" -e "$runner" "$t/serve.out")" = 0
printf 'not a store' > "$t/junk.db"
silt serve --port 0 --store "$t/junk.db" > "$t/bad.out" 2>&1
check "a file that is not a store is refused at start" grep -q "is not a silt store" "$t/bad.out"
silt serve --host not-an-ip --port 0 > "$t/bad.out" 2>&1
check "a bad --host is a clear error" grep -q "is not an IPv4 address" "$t/bad.out"
silt serve --port 99999 > "$t/bad.out" 2>&1
check "a port out of range is a usage error" test $? -eq 2
finish
