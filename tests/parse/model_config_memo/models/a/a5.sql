{{ config(materialized='table', tags=['x']) }} select 5 as id
