select 1 as id, 10 as amount, '2024-01-01' as ordered_at
