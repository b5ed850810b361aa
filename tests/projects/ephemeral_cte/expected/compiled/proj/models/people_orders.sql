with __dbt__cte__eph_people as (
select 1 as id, 'ann' as name
),  __dbt__cte__eph_orders as (
select 1 as id, 30 as amount
),  people as (
    select * from __dbt__cte__eph_people
),
orders as (
    select * from __dbt__cte__eph_orders
)
select name, amount from people join orders using (id)