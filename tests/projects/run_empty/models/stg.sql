select id, amount from {{ ref('raw') }}
