select 5
