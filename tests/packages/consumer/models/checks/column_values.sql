{%- set statuses = silt_utils.get_column_values(ref('stg_orders'), 'status', order_by='value') -%}
{%- set top = silt_utils.get_column_values(ref('stg_orders'), 'status', max_records=1, where="amount > 10") -%}
{%- set totals = silt_utils.get_query_results_as_dict("select status, sum(amount) as total from " ~ ref('stg_orders') ~ " group by status order by status") -%}
{%- set first_rows = silt_utils.rows_as_dicts("select order_id, status from " ~ ref('stg_orders') ~ " order by order_id limit 2") -%}
select
    '{{ statuses | join(",") }}' as statuses,
    '{{ top | join(",") }}' as top_status,
    '{{ tojson(totals) }}' as totals,
    '{{ tojson(first_rows) }}' as first_rows,
    {{ silt_utils.pivot('status', statuses) }}
from {{ ref('stg_orders') }}
