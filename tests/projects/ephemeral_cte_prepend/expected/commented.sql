-- a leading comment
with __dbt__cte__eph as (
select 1 as id -- "main"."eph"
),  x as (select id from __dbt__cte__eph) select * from x