select 1 as id, 30 as amount
