select
    order_id,
    {{ dbt.dateadd('day', 7, 'ordered_at') }} as due_at,
    {{ dbt.datediff("'2024-01-01'", 'ordered_at', 'day') }} as day_index,
    {{ dbt.date_trunc('month', 'ordered_at') }} as order_month,
    {{ dbt.split_part('ordered_at', "'-'", 2) }} as month_text,
    {{ dbt.safe_cast('amount', dbt.type_string()) }} || '' as amount_text,
    cast(amount as {{ dbt.type_float() }}) / 4 as quarter_amount,
    cast('7' as {{ dbt.type_int() }}) + 1 as eight
from {{ ref('stg_orders') }}
