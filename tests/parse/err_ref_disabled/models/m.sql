select * from {{ ref('legacy') }}
