{{ config(materialized='table') }}
select 1 as id, 'a' as name, {{ ts('2024-01-01 00:00:00') }} as updated_at
union all select 2, 'b', {{ ts('2024-01-01 00:00:00') }}
