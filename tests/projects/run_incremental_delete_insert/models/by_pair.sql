{{ config(materialized='incremental', unique_key=['id', 'day']) }}
select id, day, v from {{ ref('src') }}
