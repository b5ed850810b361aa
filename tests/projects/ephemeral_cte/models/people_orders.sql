with people as (
    select * from {{ ref('eph_people') }}
),
orders as (
    select * from {{ ref('eph_orders') }}
)
select name, amount from people join orders using (id)
