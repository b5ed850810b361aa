select * from {{ ref('order') }}
