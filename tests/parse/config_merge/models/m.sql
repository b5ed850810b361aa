select * from {{ ref('s1') }} union all select * from {{ ref('s2') }}
