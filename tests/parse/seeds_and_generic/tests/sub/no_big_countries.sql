select * from {{ ref('countries') }} where population > 1000
