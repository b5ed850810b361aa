{{ config(materialized='incremental', unique_key=['id', 'day'], on_schema_change='append_new_columns') }}
select * from {{ ref('a') }}
