select 3
