{{ config(materialized='table') }}
select * from missing_table
