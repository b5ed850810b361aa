#!/bin/sh
# state:modified with dbt's behaviour flag state_modified_compare_more_unrendered_values: a
# model's config() arguments are compared as written, so an environment-aware config() call
# (`materialized='table' if target.name == 'prod' else 'view'`) parsed for another target is not
# a change, while editing the expression or a literal argument is. Without the flag the rendered
# values are compared, as dbt does, and the same project reads as modified.
. "$(dirname "$0")/lib/common.sh" "$1"
p=$t/p
mkdir -p "$p/models"
cd "$p" || exit 1
project() { # FLAG (true/false)
	cat > dbt_project.yml <<EOT
name: su
profile: su
config-version: 2
flags:
  state_modified_compare_more_unrendered_values: $1
EOT
}
cat > profiles.yml <<'EOT'
su:
  target: dev
  outputs:
    prod: {type: sqlite, path: db.sqlite, schema: prod, threads: 1}
    dev: {type: sqlite, path: db.sqlite, schema: dev, threads: 1}
EOT
echo "{{ config(materialized='table' if target.name == 'prod' else 'view', tags=['a', 'b']) }} select 1 as id" > models/aware.sql
echo "{{ config(alias='plain_' ~ target.name) }} select 2 as id" > models/alias_aware.sql
echo "{{ config(materialized='table') }} select 3 as id" > models/fixed.sql
mods() { silt ls -s "${1:-state:modified}" --state prod-state --output name 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }

project true
silt build --target prod > "$t/out" 2>&1
check "the project builds into prod" grep -q "Completed successfully" "$t/out"
cp -R target prod-state
check "the manifest keeps the config() arguments as written" /usr/bin/python3 -c "
import json
n = json.load(open('prod-state/manifest.json'))['nodes']
u = n['model.su.aware']['unrendered_config']
assert u['materialized'] == \"'table' if (target.name == 'prod') else 'view'\", u
assert u['tags'] == ['a', 'b'], u
assert n['model.su.fixed']['unrendered_config']['materialized'] == 'table'
assert n['model.su.aware']['config']['materialized'] == 'table'"
got=$(mods)
check "dev compared with prod's state: no false positive (got '$got')" test -z "$got"

echo "{{ config(materialized='table' if target.name == 'prod' else 'ephemeral', tags=['a', 'b']) }} select 1 as id" > models/aware.sql
echo "{{ config(materialized = 'view') }} select 3 as id" > models/fixed.sql
got=$(mods)
check "an edited expression and an edited literal are changes (got '$got')" test "$got" = "aware fixed"
got=$(mods state:modified.configs)
check "... seen by state:modified.configs (got '$got')" test "$got" = "aware fixed"
echo "{{ config( materialized = 'table'  if target.name=='prod' else 'view', tags=['a','b'] ) }} select 1 as id" > models/aware.sql
echo "{{ config(materialized='table') }} select 3 as id" > models/fixed.sql
got=$(mods state:modified.configs)
check "spacing inside config() is not a config change (got '$got')" test -z "$got"
got=$(mods state:modified.body)
check "... only a body change (got '$got')" test "$got" = "aware"

project false
silt build --target prod > "$t/out" 2>&1
rm -rf prod-state && cp -R target prod-state
got=$(mods)
check "without the flag the rendered configs differ, as in dbt (got '$got')" test "$got" = "alias_aware aware"
finish
