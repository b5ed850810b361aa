select id, name from {{ ref('ts_snap') }} where dbt_valid_to is null
