# shop_pr DIR: turns a copy of examples/shop in DIR into a pull request's version of it — one
# model modified (stg_customers), one new (order_totals), one removed (large_orders, with its
# properties and tests) — for the Explorer's compare (tests/cli/serve.sh, tests/browser).
shop_pr() {
	rm -rf "$1/target" "$1/.silt"
	printf '\n-- PR: customers keep their first name only\n' >> "$1/models/staging/stg_customers.sql"
	printf "select customer_id, count(*) as n_orders from {{ ref('orders') }} group by 1\n" > "$1/models/marts/order_totals.sql"
	rm "$1/models/marts/large_orders.sql"
	/usr/bin/python3 - "$1/models/marts/schema.yml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
i = s.index("  - name: large_orders")
open(p, "w").write(s[:i])
PY
}
