#!/bin/sh
# silt init: the starter project dbt init creates (dbt_project.yml byte for byte as dbt 1.8+
# writes it), a SQLite profile added to profiles.yml (~/.dbt by default, --profiles-dir, kept
# when it exists, appended after other profiles), --skip-profile-setup, --profile, init inside
# a project, and the errors. The new project then parses, compiles and previews.
. "$(dirname "$0")/lib/common.sh" "$1"
PY=/usr/bin/python3
mkdir -p "$t/home" "$t/work"
cd "$t/work" || exit 1
# sql DB: runs the SQL script on stdin (Python's sqlite3: the sqlite3 CLI is not a dependency)
sql() { "$PY" -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.stdin.read()); c.commit()' "$1"; }
silt() { env -u DBT_PROFILES_DIR HOME="$t/home" NO_COLOR=1 "$SILT" "$@"; }
# yml FILE EXPR: the Python expression over the YAML document `y` holds
yml() { "$PY" -c 'import sys, yaml; y = yaml.safe_load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }

silt init my_proj > "$t/out" 2>&1
check "init exits 0" [ $? -eq 0 ]
check "it says the project was created" grep -q '^Your new dbt project "my_proj" was created!$' "$t/out"
for f in dbt_project.yml models/example/my_first_dbt_model.sql models/example/my_second_dbt_model.sql models/example/schema.yml; do
	check "my_proj/$f is written" [ -s "my_proj/$f" ]
done
for d in analyses tests seeds macros snapshots; do
	check "my_proj/$d/ is created empty (but for .gitkeep)" [ "$(ls -A "my_proj/$d")" = ".gitkeep" ]
done
cat > "$t/want" <<'EOF'
# Name your project! Project names should contain only lowercase characters
# and underscores. A good package name should reflect your organization's
# name or the intended use of these models
name: 'my_proj'
version: '1.0.0'

# This setting configures which "profile" dbt uses for this project.
profile: 'my_proj'

# These configurations specify where dbt should look for different types of files.
# The `model-paths` config, for example, states that models in this project can be
# found in the "models/" directory. You probably won't need to change these!
model-paths: ["models"]
analysis-paths: ["analyses"]
test-paths: ["tests"]
seed-paths: ["seeds"]
macro-paths: ["macros"]
snapshot-paths: ["snapshots"]

clean-targets:         # directories to be removed by `dbt clean`
  - "target"
  - "dbt_packages"

# Configuring models
# Full documentation: https://docs.getdbt.com/docs/configuring-models

# In this example config, we tell dbt to build all models in the example/
# directory as views. These settings can be overridden in the individual model
# files using the `{{ config(...) }}` macro.
models:
  my_proj:
    # Config indicated by + and applies to all files under models/example/
    example:
      +materialized: view
EOF
check "dbt_project.yml is dbt's starter file" cmp -s "$t/want" my_proj/dbt_project.yml
check "schema.yml tests both models' ids" yml my_proj/models/example/schema.yml '[(m["name"], m["columns"][0]["data_tests"]) for m in y["models"]] == [("my_first_dbt_model", ["unique", "not_null"]), ("my_second_dbt_model", ["unique", "not_null"])]'
check "the second model refs the first" grep -q "from {{ ref('my_first_dbt_model') }}" my_proj/models/example/my_second_dbt_model.sql
printf 'my_proj:\n  outputs:\n    dev:\n      path: my_proj.db\n      schema: main\n      threads: 1\n      type: sqlite\n  target: dev\n' > "$t/want"
check "a SQLite profile is written to ~/.dbt/profiles.yml" cmp -s "$t/want" "$t/home/.dbt/profiles.yml"
check "the folder's creation is announced" grep -q "Creating dbt configuration folder at $t/home/.dbt\$" "$t/out"

(cd my_proj && silt parse) > "$t/out" 2>&1
check "the new project parses with its new profile" grep -q "^Found 2 models, 4 data tests" "$t/out"
(cd my_proj && silt debug) > "$t/out" 2>&1
check "silt debug accepts the profile" grep -q "configuration: OK" "$t/out"
(cd my_proj && silt compile && { echo "create table my_first_dbt_model as"; cat target/compiled/my_proj/models/example/my_first_dbt_model.sql; } | sql my_proj.db) > "$t/out" 2>&1
check "its first model compiles and builds" [ $? -eq 0 ]
(cd my_proj && silt show --inline "select * from {{ ref('my_first_dbt_model') }}" --output json -q) > "$t/out" 2>&1
check "and previews through the profile" "$PY" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != {"show": [{"id": 1}, {"id": None}]})' "$t/out"

cp my_proj/dbt_project.yml "$t/before"
silt init my_proj > "$t/out" 2>&1
check "init over an existing folder exits 2" [ $? -eq 2 ]
check "and says the project exists" grep -q "A project called my_proj already exists here." "$t/out"
check "and leaves it alone" cmp -s "$t/before" my_proj/dbt_project.yml

silt init name-with-hyphen > "$t/out" 2>&1
check "an invalid name exits 2" [ $? -eq 2 ]
check "and says why" grep -q "name-with-hyphen is not a valid project name" "$t/out"
check "and creates nothing" [ ! -e name-with-hyphen ]
silt init 1st > /dev/null 2>&1
check "a name may not start with a digit" [ $? -eq 2 ]
silt init > "$t/out" 2>&1
check "no name outside a project exits 2" [ $? -eq 2 ]
silt init a b > /dev/null 2>&1
check "two names exit 2" [ $? -eq 2 ]
silt init p --bogus > "$t/out" 2>&1
check "an unknown flag exits 2" [ $? -eq 2 ]

silt init skipped --skip-profile-setup --profiles-dir "$t/pd" > "$t/out" 2>&1
check "--skip-profile-setup exits 0" [ $? -eq 0 ]
check "and writes no profile" [ ! -e "$t/pd/profiles.yml" ]
check "but the project" [ -f skipped/dbt_project.yml ]

mkdir -p "$t/pd"
printf '# my profiles\nother:  # kept as written\n  target: dev\n  outputs:\n    dev: {type: sqlite, path: o.db}\n' > "$t/pd/profiles.yml"
cp "$t/pd/profiles.yml" "$t/before"
silt init second --profiles-dir "$t/pd" > "$t/out" 2>&1
check "init with --profiles-dir exits 0" [ $? -eq 0 ]
check "the new profile is added after the others, comments kept" sh -c 'head -c "$(wc -c < "$1")" "$2" | cmp -s - "$1"' _ "$t/before" "$t/pd/profiles.yml"
check "both profiles read back" yml "$t/pd/profiles.yml" 'sorted(y) == ["other", "second"] and y["second"]["outputs"]["dev"]["type"] == "sqlite" and y["second"]["target"] == "dev"'

rm -rf second
cp "$t/pd/profiles.yml" "$t/before"
silt init second --profiles-dir "$t/pd" > "$t/out" 2>&1
check "an existing profile of that name exits 0" [ $? -eq 0 ]
check "and is kept as it is" cmp -s "$t/before" "$t/pd/profiles.yml"
check "saying so" grep -q "The profile second already exists in $t/pd/profiles.yml" "$t/out"

silt init third --profile other --profiles-dir "$t/pd" > "$t/out" 2>&1
check "--profile with an existing profile exits 0" [ $? -eq 0 ]
check "the project uses that profile" grep -q "^profile: 'other'\$" third/dbt_project.yml
check "and no profile is added" cmp -s "$t/before" "$t/pd/profiles.yml"
silt init fourth --profile nope --profiles-dir "$t/pd" > "$t/out" 2>&1
check "--profile naming no profile exits 2" [ $? -eq 2 ]
check "and says so" grep -q "Could not find profile named nope" "$t/out"
check "before creating anything" [ ! -e fourth ]

(cd third/models && silt init --profiles-dir "$t/pd2") > "$t/out" 2>&1
check "init inside a project exits 0" [ $? -eq 0 ]
check "and sets up that project's profile" sh -c 'grep -q "Setting up your profile." "$1" && [ -f "$2" ]' _ "$t/out" "$t/pd2/profiles.yml"
check "named as dbt_project.yml says" yml "$t/pd2/profiles.yml" 'list(y) == ["other"]'
check "without creating a project" [ ! -e third/models/third ]
(cd third && silt init --profile other) > "$t/out" 2>&1
check "--profile inside a project exits 2" [ $? -eq 2 ]

silt init yes --profiles-dir "$t/pd3" > "$t/out" 2>&1
check "a name YAML reads as a boolean is quoted in profiles.yml" yml "$t/pd3/profiles.yml" 'list(y) == ["yes"]'

mkdir -p "$t/pd4"
printf '{other: {target: dev}}' > "$t/pd4/profiles.yml"
cp "$t/pd4/profiles.yml" "$t/before"
silt init fifth --profiles-dir "$t/pd4" > "$t/out" 2>&1
check "a profiles.yml that cannot take the profile exits 2" [ $? -eq 2 ]
check "says to add it by hand" grep -q "add it by hand" "$t/out"
check "and is left unchanged" cmp -s "$t/before" "$t/pd4/profiles.yml"
printf 'a: [unclosed\n' > "$t/pd4/profiles.yml"
silt init sixth --profiles-dir "$t/pd4" > "$t/out" 2>&1
check "an unreadable profiles.yml exits 2 with its error" sh -c '[ "$1" -eq 2 ] && grep -q "profiles.yml:" "$2"' _ $? "$t/out"

echo "1..$n"
finish
