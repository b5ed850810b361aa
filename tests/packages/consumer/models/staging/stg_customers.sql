select
    {{ silt_utils.star(from=ref('raw_customers'), except=['signup_date'], prefix='customer_') }},
    signup_date
from {{ ref('raw_customers') }}
