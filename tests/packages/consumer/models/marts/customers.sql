{{ config({
    'materialized': 'table',
    'tags': ['core'],
    'pre_hook': [{'sql': "insert into hook_log (model, kind) values ('customers', 'pre')", 'transaction': false}],
}) }}
select
    c.customer_id,
    c.customer_first_name as first_name,
    {{ silt_utils.generate_surrogate_key(['c.customer_id', 'c.customer_last_name']) }} as customer_key,
    count(o.order_id) as n_orders,
    {{ dbt.listagg('o.status', "'|'") }} as statuses,
    {{ silt_utils.safe_divide('sum(o.amount)', 'count(o.order_id)') }} as avg_amount
from {{ ref('stg_customers') }} as c
left join {{ ref('stg_orders') }} as o on o.customer_id = c.customer_id
group by c.customer_id, c.customer_first_name, c.customer_last_name
