{{ config(materialized='table') }}
select 1 as id, 10 as k, 'a' as name, {{ ts('2024-01-01 00:00:00') }} as updated_at
union all select 2, 20, 'b', {{ ts('2024-01-01 00:00:00') }}
union all select 3, 30, 'c', {{ ts('2024-01-01 00:00:00') }}
