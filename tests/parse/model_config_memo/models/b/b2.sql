{{ config(tags=['x']) }} select 2 as id
