#!/bin/sh
# silt clean deletes clean-targets inside the project and refuses anything outside it.
. "$(dirname "$0")/lib/common.sh" "$1"
mkdir -p "$t/p/target/compiled" "$t/p/dbt_packages/x" "$t/outside"
printf 'name: shop\nconfig-version: 2\nclean-targets: [target, dbt_packages]\n' > "$t/p/dbt_project.yml"
"$SILT" clean --project-dir "$t/p" > "$t/out" 2>&1
check "clean exits 0" [ $? -eq 0 ]
check "clean removes target/" [ ! -e "$t/p/target" ]
check "clean removes dbt_packages/" [ ! -e "$t/p/dbt_packages" ]
check "clean says what it did" grep -q "Finished cleaning all paths." "$t/out"
printf 'name: shop\nconfig-version: 2\nclean-targets: [../outside]\n' > "$t/p/dbt_project.yml"
"$SILT" clean --project-dir "$t/p" > "$t/out2" 2>&1
check "a target outside the project is refused with exit 2" [ $? -eq 2 ]
check "and left in place" [ -d "$t/outside" ]
echo "1..$n"
finish
