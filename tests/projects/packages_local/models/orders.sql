select cents, {{ util.cents_to_dollars('cents', 10) }} as dollars, {{ util.whoami() }} as who
from {{ ref('util', 'util_numbers') }}
union all
select cents, 0, 'x' from {{ ref('util_numbers') }}
