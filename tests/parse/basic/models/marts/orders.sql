{{ config(tags=['finance'], unique_key='order_id') }}
select o.*, c.name
from {{ ref('stg_orders') }} o
join {{ ref('stg_customers') }} c on c.id = o.customer_id
where o.amount > {{ cents_to_dollars(0) }}
