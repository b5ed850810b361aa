{{ config(materialized='incremental') }}
select id, kind from {{ ref('events') }}
{% if is_incremental() %}
where id > (select max(id) from {{ this }})
{% endif %}
