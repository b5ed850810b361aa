select count(*) from {{ ref('countries') }}
