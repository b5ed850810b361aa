with p as (select * from {{ ref('eph_people') }}) select name from p
