{{ config(materialized='incremental') }}
{% if is_incremental() %}
select 2 as id, cast('abcdef' as varchar(6)) as s, cast('xy' as char(2)) as c
{% else %}
select 1 as id, cast('abc' as varchar(3)) as s, cast('x' as char(1)) as c
{% endif %}
