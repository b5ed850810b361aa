{{ config(materialized='table', tags=['y']) }} select 3 as id
