-- The raw table is loaded by the seed of the same name: the comment's ref makes the seed
-- build first, as dbt's depends_on comments do.
-- depends_on: {{ ref('raw_orders') }}
select
    id as order_id,
    user_id as customer_id,
    order_date,
    status
from {{ source('raw', 'raw_orders') }}
