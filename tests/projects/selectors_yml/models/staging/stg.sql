{{ config(tags=['staging'], materialized='table') }}
select 1 as id
