{{ config(materialized='table', tags=['x']) }} select 6 as id
