with __dbt__cte__eph as (
select 1 as id -- "main"."eph"
) select id from __dbt__cte__eph