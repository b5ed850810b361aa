select {{ util.shout('name') }} from {{ ref('util_dates') }} join {{ ref('util', 'util_dates') }} using (id)
