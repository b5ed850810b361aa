with __dbt__cte__eph_people as (
select 1 as id, 'ann' as name
),  p as (select * from __dbt__cte__eph_people) select name from p