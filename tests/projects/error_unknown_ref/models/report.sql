select *
from {{ ref('order') }}
