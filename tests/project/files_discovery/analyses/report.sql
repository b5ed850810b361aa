select 42
