{{ config(tags=['nightly'], materialized='table') }}
select * from {{ ref('stg') }} join {{ ref('stg_view') }} using (id)
