#!/bin/sh
# make demo: examples/shop as a team would run it with silt — a production environment whose
# deploy job builds the project and generates its docs, a staging environment beside it, both
# recorded in the embedded metadata store (examples/shop/.silt/silt.db), then the server with
# its API and Explorer on loopback. Idempotent: a second run reuses the environments and job.
# usage: scripts/demo.sh SILT [PORT]
set -eu
SILT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
PORT=${2:-8580}
cd "$(dirname "$0")/../examples/shop"
export DBT_PROFILES_DIR=.
unset SILT_STORE
"$SILT" env show production > /dev/null 2>&1 ||
	"$SILT" env create production --type production --target prod
"$SILT" env show staging > /dev/null 2>&1 ||
	"$SILT" env create staging --type staging --target dev --schema staging
"$SILT" job show deploy > /dev/null 2>&1 ||
	"$SILT" job create deploy --env production --type scheduled --schedule "0 6 * * *" \
		--step "silt build" --step "silt docs generate"
echo "== the production deploy job"
"$SILT" job run deploy
echo "== staging"
"$SILT" build --env staging
echo "== production's top customers"
"$SILT" show --target prod --inline "select customer_id, first_name, number_of_orders, customer_lifetime_value from {{ ref('customers') }} order by customer_lifetime_value desc" --limit 5
echo "== the Explorer and API (Ctrl-C stops the server)"
port=$PORT
if ! "$SILT" serve --port "$port" --read-without-token --workers 1; then
	echo "port $port is taken: serving on a free port instead"
	"$SILT" serve --port 0 --read-without-token --workers 1
fi
