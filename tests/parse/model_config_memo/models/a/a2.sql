{{ config(materialized='table', tags=['x']) }} select 2 as id
