with __dbt__cte__eph_a as (
select 1 as id
),  __dbt__cte__eph_b as (
select id + 1 as id from __dbt__cte__eph_a
),  __dbt__cte__eph_c as (
with inner_cte as (select id from __dbt__cte__eph_a) select id * 10 as id from inner_cte
),  b as (
    select id from __dbt__cte__eph_b
), c as (
    select id from __dbt__cte__eph_c
)
select id from b union all select id from c