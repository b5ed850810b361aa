select * from {{ ref('stg_countries') }} -- {{ this }}
