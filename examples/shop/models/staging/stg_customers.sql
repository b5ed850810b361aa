-- The raw table is loaded by the seed of the same name: the comment's ref makes the seed
-- build first, as dbt's depends_on comments do.
-- depends_on: {{ ref('raw_customers') }}
select
    id as customer_id,
    first_name,
    last_name
from {{ source('raw', 'raw_customers') }}
