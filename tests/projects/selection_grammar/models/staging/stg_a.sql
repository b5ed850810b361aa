{{ config(tags=['staging']) }}
select * from {{ ref('raw_a') }}
