select payment_method, count(*) as payments, sum(amount) as amount
from {{ ref('stg_payments') }}
group by payment_method
