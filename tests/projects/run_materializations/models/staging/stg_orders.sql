select id, customer, amount * 100 as cents from {{ ref('raw_orders') }}
