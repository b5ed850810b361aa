select customer, sum(cents) as total_cents, count(*) as n from {{ ref('stg_orders') }} group by customer
