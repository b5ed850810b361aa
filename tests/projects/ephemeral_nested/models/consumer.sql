with b as (
    select id from {{ ref('eph_b') }}
), c as (
    select id from {{ ref('eph_c') }}
)
select id from b union all select id from c
