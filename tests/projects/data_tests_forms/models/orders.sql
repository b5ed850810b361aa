select 2 as id, 'open' as status, 1 as customer_id
