{#- ref('customers_latest') goes through the project's ref() override to customers. -#}
select count(*) as n_customers, sum(n_orders) as n_orders
from {{ ref('customers_latest') }}
