{{ config(materialized='incremental', unique_key='order_id', post_hook=["insert into hook_log (model, kind) values ('{{ this.identifier }}', '{{ \"incremental\" if is_incremental() else \"full\" }}')"]) }}
select order_id, ordered_at, status, {{ silt_utils.bucket('amount') }} as size
from {{ ref('stg_orders') }}
{% if is_incremental() %}
where ordered_at > (select max(ordered_at) from {{ this }})
{% endif %}
