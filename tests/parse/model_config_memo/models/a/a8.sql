select 8 as id
