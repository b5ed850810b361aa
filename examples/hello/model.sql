{{ config(materialized='table', tags=['finance', 'daily']) }}
{%- set payment_methods = ['credit_card', 'coupon', 'bank_transfer', 'gift_card'] -%}

with orders as (
    select * from {{ ref('stg_orders') }}
),

payments as (
    select * from {{ ref('stg_payments') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.order_date,
        orders.status,
        {% for method in payment_methods -%}
        sum(case when payments.payment_method = '{{ method }}' then payments.amount else 0 end) as {{ method }}_amount,
        {% endfor -%}
        sum(payments.amount) as amount
    from orders
    left join payments on orders.order_id = payments.order_id
    {% if is_incremental() %}
    where orders.order_date >= (select max(order_date) from {{ this }})
    {% endif %}
    group by 1, 2, 3, 4
)

select *, {{ cents_to_dollars('amount') }} as amount_dollars from final
