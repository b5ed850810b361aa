select * from {{ ref('util_model') }}
