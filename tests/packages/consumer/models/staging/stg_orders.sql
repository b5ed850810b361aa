select
    {{ silt_utils.star(ref('raw_orders'), relation_alias='o', except=['NOTE', 'ordered_at']) }},
    o.ordered_at as ordered_at,
    nullif(o.note, '') as note
from {{ ref('raw_orders') }} as o
