-- Every order's amount is the sum of its payments.
select o.order_id
from {{ ref('orders') }} as o
join (
    select order_id, sum(amount) as paid from {{ ref('stg_payments') }} group by order_id
) as p on p.order_id = o.order_id
where abs(o.amount - p.paid) > 0.001
