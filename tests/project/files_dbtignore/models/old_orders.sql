select 4
