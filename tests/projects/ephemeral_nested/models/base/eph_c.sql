with inner_cte as (select id from {{ ref('eph_a') }}) select id * 10 as id from inner_cte
