{{ config(alias='countries_v2') }}
select * from {{ ref('dim_countries') }}
