select id from {{ ref('raw') }}
