{{ config(materialized='table') }}
select * from {{ ref('a') }} join nonexistent_table using (id)
