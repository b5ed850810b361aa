{{ config(materialized='table', tags=['x']) }} select 7 as id
