{{ config(materialized='table') }}
select id, amount * 2 as doubled from {{ ref('stg') }}
