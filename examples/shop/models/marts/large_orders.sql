{{
    config(
        materialized='incremental',
        unique_key='order_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

select order_id, customer_id, order_date, amount
from {{ ref('orders') }}
where amount * 100 >= {{ var('large_order_cents') }}
{% if is_incremental() %}
  and order_date >= (select coalesce(max(order_date), '1900-01-01') from {{ this }})
{% endif %}
