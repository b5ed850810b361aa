select id from {{ ref('eph') }}
