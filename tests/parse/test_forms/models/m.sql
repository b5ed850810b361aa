select 1 as id, 'a' as kind, 1 as raw_id
