{%- set r = ref('stg_people') -%}
select * from {{ ref('stg_orders') }} o join {{ r }} p using (id)
-- {{ r.schema }}.{{ r.identifier }} {{ r.database }} {{ ref('proj', 'stg_orders').identifier }}
