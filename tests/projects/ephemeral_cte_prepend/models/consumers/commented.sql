-- a leading comment
with x as (select id from {{ ref('eph') }}) select * from x
