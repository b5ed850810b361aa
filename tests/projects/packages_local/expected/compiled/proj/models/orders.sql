select cents, round(cents / 10.0, 2) as dollars, 'proj:proj' as who
from "main"."main_pkg__util_numbers"
union all
select cents, 0, 'x' from "main"."main_pkg__util_numbers"