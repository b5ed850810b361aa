{{ config(materialized='table', tags=['x']) }} select 1 as id
