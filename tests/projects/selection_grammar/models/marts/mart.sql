{{ config(materialized='table', tags=['marts']) }}
select * from {{ ref('int_ab') }}
