#!/bin/sh
# The Explorer in a real browser: examples/shop built into a production environment (and a job
# run with steps and logs) and a staging one in a temporary store, `silt serve
# --read-without-token`, then explorer.mjs drives Debian's chromium headless through
# playwright-core (installed from npm into tests/browser/node_modules at the version that
# package-lock.json pins; never a downloaded browser): switch environment, search, open a node,
# focus the graph with a selector, open a run's logs. Screenshots of each page go to
# build/explorer-screenshots/ (or $SILT_EXPLORER_SHOTS). Without node or chromium it says
# "skipped" and why.
. "$(dirname "$0")/../cli/lib/common.sh" "$1"
here=$ROOT/tests/browser
shots=${SILT_EXPLORER_SHOTS:-$ROOT/build/explorer-screenshots}
chrome=${SILT_CHROMIUM:-/usr/bin/chromium}
skip() {
	echo "# skipped: $1"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}
command -v node > /dev/null 2>&1 || skip "no node (apt-get install nodejs npm)"
[ -x "$chrome" ] || skip "no chromium at $chrome (scripts/install-deps.sh installs Debian's)"
# playwright-core at the pinned version, installed once into tests/browser/node_modules
want=$(node -e 'console.log(require(process.argv[1]).packages["node_modules/playwright-core"].version)' "$here/package-lock.json")
have=$(node -e 'try{console.log(require(process.argv[1]).version)}catch(e){}' "$here/node_modules/playwright-core/package.json" 2>/dev/null)
if [ "$have" != "$want" ]; then
	command -v npm > /dev/null 2>&1 || skip "no npm to install playwright-core $want"
	(cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) > "$t/npm.out" 2>&1 ||
		{ cat "$t/npm.out"; skip "npm ci could not install playwright-core $want"; }
fi

cp -R "$ROOT/examples/shop" "$t/shop"
rm -rf "$t/shop/target" "$t/shop"/*.db* "$t/shop/.silt"
export SILT_STORE_KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
export HOME=$t/home SILT_STORE=$t/store.db
unset DBT_PROJECT_DIR DBT_TARGET
cd "$t/shop" || exit 1
# freshness rules: raw_orders' data is from 2018 (stale: warn), raw_payments' is "now" (fresh)
/usr/bin/python3 - models/staging/_sources.yml <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("        loaded_at_field: order_date\n", "        loaded_at_field: order_date\n"
              "        freshness:\n          warn_after: {count: 1, period: day}\n"
              "      - name: raw_payments\n        loaded_at_field: \"datetime('now')\"\n"
              "        freshness:\n          warn_after: {count: 1, period: day}\n")
open(p, "w").write(s)
PY
silt env create prod --type production > /dev/null 2>&1
silt build --env prod > "$t/build.out" 2>&1
check "a production build is recorded (run 1)" grep -q "Completed successfully" "$t/build.out"
silt env create staging --type staging --schema stg > /dev/null 2>&1
silt build --env staging > "$t/build2.out" 2>&1
check "a staging build is recorded (run 2)" grep -q "Completed successfully" "$t/build2.out"
silt job create nightly --env prod --step "silt seed" --step "silt run --select stg_orders" > /dev/null 2>&1
silt job run nightly > "$t/job.out" 2>&1
check "a production job run with two steps is recorded (run 3)" grep -q "Run 3: success" "$t/job.out"

silt job create fresh --env prod --step "silt source freshness" > /dev/null 2>&1
silt job run fresh > "$t/fresh.out" 2>&1
check "a production job checks the sources' freshness (run 4)" grep -q "Run 4: success" "$t/fresh.out"
# a pull request's CI run (run 5) in a CI environment: one model modified, one new, one removed
. "$ROOT/tests/cli/lib/shop_pr.sh"
silt env create ci --type general > /dev/null 2>&1
cp -R "$t/shop" "$t/pr"
shop_pr "$t/pr"
(cd "$t/pr" && silt ci run --env ci --pr 5 --sha 5a5a5a5a > "$t/ci.out" 2>&1)
check "a pull request's CI run is recorded (run 5)" grep -q "Completed successfully" "$t/ci.out"

# a job whose second step takes a while, run by explorer.mjs while it watches the run's page
cat > models/slow.sql <<'EOT'
{{ config(materialized='table') }}
with recursive c(x) as (select 1 union all select x + 1 from c where x < 8000000)
select count(*) as n from c
EOT
silt job create slow --env prod --step "silt seed" --step "silt run --select slow" > /dev/null 2>&1
export SILT_BIN="$SILT" SILT_SHOP="$t/shop"

token=$(silt token create explorer --scope metadata:read | grep '^slt_')

# serve OUT [FLAGS...]: starts a server, waits for its address; sets pid and url
serve() {
	out=$1
	shift
	"$SILT" serve --port 0 --no-scheduler --workers 0 "$@" > "$out" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q "listening on" "$out" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	url=$(grep -o 'http://127.0.0.1:[0-9]*' "$out" | head -n 1)
}
serve "$t/locked.out"
locked_pid=$pid locked_url=$url
serve "$t/serve.out" --read-without-token
check "silt serve prints the address it listens on" test -n "$url" -a -n "$locked_url"
check "/ is the Explorer's page" sh -c "curl -sf '$url/' | grep -q '<title>silt Explorer</title>'"
ctype() { curl -sf -o /dev/null -w '%{content_type}' "$url$1"; }
check "/ui/app.js is a JavaScript module" sh -c "echo '$(ctype /ui/app.js)' | grep -q '^text/javascript'"
check "/ui/style.css is CSS" sh -c "echo '$(ctype /ui/style.css)' | grep -q '^text/css'"
check "a file the binary lacks is a 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$url/ui/nope.js")" = 404
check "... and so is a path that climbs out" test "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$url/ui/../serve/ui/app.js")" = 404

fr=$(curl -sf "$url/api/v1/environments/prod/freshness")
check "the freshness API gives each source's latest check" sh -c "echo '$fr' | /usr/bin/python3 -c '
import json, sys
d = {x[\"unique_id\"]: x for x in json.load(sys.stdin)[\"data\"]}
o, p = d[\"source.shop.raw.raw_orders\"], d[\"source.shop.raw.raw_payments\"]
assert o[\"status\"] == \"warn\" and o[\"max_loaded_at\"].startswith(\"2018-\") and o[\"run_id\"] == 4 and o[\"name\"] == \"raw_orders\"
assert p[\"status\"] == \"pass\" and o[\"criteria\"][\"warn_after\"] == {\"count\": 1, \"period\": \"day\"}
'"
check "... and none in an environment that never checked" sh -c "curl -sf '$url/api/v1/environments/staging/freshness' | grep -q '\"data\": \[\]'"
rm -rf "$shots"
timeout 300 node "$here/explorer.mjs" "$url" "$shots" "$chrome" "$locked_url" "$token" > "$t/browser.out" 2>&1
cat "$t/browser.out"
bp=$(grep -c '^ok ' "$t/browser.out")
bf=$(grep -c '^not ok ' "$t/browser.out")
pass=$((pass + bp))
fail=$((fail + bf))
check "the browser session ran and printed its summary" grep -q '^# browser: ' "$t/browser.out"
check "a screenshot of each page is in $shots" test "$(ls "$shots"/*.png 2>/dev/null | wc -l)" -ge 10
echo "# screenshots: $shots"
kill -TERM $pid $locked_pid
wait $pid
check "the server stops cleanly" test $? -eq 0
wait $locked_pid
check "no token appears in the server's output" test "$(grep -c -e "$token" "$t/serve.out" "$t/locked.out" | grep -vc ':0$')" = 0
finish
