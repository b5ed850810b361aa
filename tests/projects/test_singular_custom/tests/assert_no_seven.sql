{{ config(severity='warn') }}
select * from {{ ref('nums') }} where n = 7
