#!/bin/sh
# silt deps on real local and git packages (git runs for real, over file:// URLs).
# Prints TAP lines and "N passed, N failed". Usage: tests/cli/deps.sh SILT
. "$(dirname "$0")/lib/common.sh" "$1"
export GIT_AUTHOR_NAME=silt GIT_AUTHOR_EMAIL=silt@example.invalid
export GIT_COMMITTER_NAME=silt GIT_COMMITTER_EMAIL=silt@example.invalid
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

mkdir -p "$t/local_pkg/macros" "$t/git_pkg/macros" "$t/root"
printf 'name: local_utils\nversion: "1.0"\nconfig-version: 2\n' > "$t/local_pkg/dbt_project.yml"
printf '{%% macro hi() %%}hi{%% endmacro %%}\n' > "$t/local_pkg/macros/hi.sql"
printf 'name: git_utils\nversion: "0.1"\nconfig-version: 2\n' > "$t/git_pkg/dbt_project.yml"
printf '{%% macro v() %%}1{%% endmacro %%}\n' > "$t/git_pkg/macros/v.sql"
(cd "$t/git_pkg" && git init -q -b main && git add -A && git commit -qm one && git tag v1.0 &&
	printf '{%% macro v() %%}2{%% endmacro %%}\n' > macros/v.sql && git commit -qam two) >/dev/null
first=$(git -C "$t/git_pkg" rev-parse v1.0)
printf 'name: shop\nversion: "1.0"\nconfig-version: 2\nprofile: shop\n' > "$t/root/dbt_project.yml"
cat > "$t/root/packages.yml" <<YML
packages:
  - local: ../local_pkg
  - git: "file://$t/git_pkg"
    revision: v1.0
YML

"$SILT" deps --project-dir "$t/root" > "$t/out" 2>&1
check "deps installs local and git packages" [ $? -eq 0 ]
check "a local package is a symlink named after its project" [ -L "$t/root/dbt_packages/local_utils" ]
check "the git package is checked out at the tag" grep -q '{% macro v() %}1' "$t/root/dbt_packages/git_utils/macros/v.sql"
check "package-lock.yml pins the git revision" grep -q "revision: $first" "$t/root/package-lock.yml"
check "package-lock.yml lists the local package" grep -q "local: ../local_pkg" "$t/root/package-lock.yml"
check "package-lock.yml has the sha1 of the specs" grep -Eq '^sha1_hash: [0-9a-f]{40}$' "$t/root/package-lock.yml"
check "progress names each package" grep -q "as package git_utils at $first" "$t/out"

"$SILT" deps --project-dir "$t/root" > "$t/out2" 2>&1
check "a second run succeeds and leaves the same packages" sh -c "[ $? -eq 0 ] && [ -L '$t/root/dbt_packages/local_utils' ] && [ -d '$t/root/dbt_packages/git_utils' ]"

# the lock pins what the first run resolved: the tag moving on does not move the package
second=$(git -C "$t/git_pkg" rev-parse HEAD)
git -C "$t/git_pkg" tag -f v1.0 HEAD >/dev/null 2>&1
"$SILT" deps --project-dir "$t/root" > "$t/out5" 2>&1
check "deps installs the revision package-lock.yml pins" \
	sh -c "[ $? -eq 0 ] && grep -q '{% macro v() %}1' '$t/root/dbt_packages/git_utils/macros/v.sql'"
check "and says so" grep -q "Installing the revisions package-lock.yml pins" "$t/out5"
"$SILT" deps --upgrade --project-dir "$t/root" > "$t/out6" 2>&1
check "--upgrade resolves the tag again" \
	sh -c "[ $? -eq 0 ] && grep -q '{% macro v() %}2' '$t/root/dbt_packages/git_utils/macros/v.sql'"
check "and pins the new commit" grep -q "revision: $second" "$t/root/package-lock.yml"
# --lock writes the lock for changed specs and installs nothing
sed -i 's/revision: v1.0/revision: main/' "$t/root/packages.yml"
hash_before=$(grep sha1_hash "$t/root/package-lock.yml")
rm -rf "$t/root/dbt_packages/git_utils"
"$SILT" deps --lock --project-dir "$t/root" > "$t/out7" 2>&1
check "--lock succeeds" [ $? -eq 0 ]
check "--lock installs nothing" [ ! -e "$t/root/dbt_packages/git_utils" ]
check "--lock rewrites the lock for the new specs" \
	sh -c "! grep -q '$hash_before' '$t/root/package-lock.yml' && grep -q 'revision: $second' '$t/root/package-lock.yml'"
"$SILT" deps --project-dir "$t/root" > "$t/out8" 2>&1
check "deps installs what the new lock pins" \
	sh -c "[ $? -eq 0 ] && grep -q '{% macro v() %}2' '$t/root/dbt_packages/git_utils/macros/v.sql' && grep -q 'Installing the revisions' '$t/out8'"
# a lock pins each package by its repository, not by its place in packages.yml
mkdir -p "$t/git_pkg2/macros"
printf 'name: git_two\nversion: "0.1"\nconfig-version: 2\n' > "$t/git_pkg2/dbt_project.yml"
printf '{%% macro w() %%}w{%% endmacro %%}\n' > "$t/git_pkg2/macros/w.sql"
(cd "$t/git_pkg2" && git init -q -b main && git add -A && git commit -qm one) >/dev/null
printf 'packages:\n  - git: "file://%s/git_pkg"\n    revision: main\n  - git: "file://%s/git_pkg2"\n' "$t" "$t" > "$t/root/packages.yml"
"$SILT" deps --project-dir "$t/root" > "$t/out10" 2>&1
printf 'packages:\n  - git: "file://%s/git_pkg2"\n  - git: "file://%s/git_pkg"\n    revision: main\n' "$t" "$t" > "$t/root/packages.yml"
"$SILT" deps --project-dir "$t/root" > "$t/out11" 2>&1
check "reordered packages install from the lock, each at its own pin" \
	sh -c "[ $? -eq 0 ] && grep -q 'Installing the revisions' '$t/out11' && [ -f '$t/root/dbt_packages/git_two/macros/w.sql' ]"
"$SILT" deps --add-package dbt-labs/dbt_utils@1.3.0 --project-dir "$t/root" > "$t/out9" 2>&1
check "--add-package is refused with a hint" sh -c "[ $? -eq 2 ] && grep -q 'edit' '$t/out9'"

cat > "$t/root/packages.yml" <<YML
packages:
  - package: dbt-labs/dbt_utils
    version: 1.3.0
YML
"$SILT" deps --project-dir "$t/root" > "$t/out3" 2>&1
rc=$?
check "a hub package exits 2" [ $rc -eq 2 ]
check "a hub package gets a clear error with its position" grep -q "packages.yml:2:5: package 'dbt-labs/dbt_utils' needs the dbt package hub" "$t/out3"

cat > "$t/root/packages.yml" <<YML
packages:
  - git: "file://$t/no_such_repo"
YML
"$SILT" deps --project-dir "$t/root" > "$t/out4" 2>&1
rc=$?
check "a git package that cannot be cloned exits 2" [ $rc -eq 2 ]
check "the clone error names the package" grep -q "git package 'file://$t/no_such_repo'" "$t/out4"

echo "1..$n"
finish
