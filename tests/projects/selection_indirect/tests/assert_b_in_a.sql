select * from {{ ref('b') }} where id not in (select id from {{ ref('a') }})
