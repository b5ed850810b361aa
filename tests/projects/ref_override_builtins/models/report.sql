select * from {{ ref('legacy_orders') }} union all select * from {{ ref('orders') }}
