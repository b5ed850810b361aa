select * from {{ ref('mart') }} where id < 0
