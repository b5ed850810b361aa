select * from {{ ref('stg_a') }} union all select * from {{ ref('stg_b') }}
