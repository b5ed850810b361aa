select 6
