{{ config(tags=['t']) }}
select * from {{ ref('a') }}
