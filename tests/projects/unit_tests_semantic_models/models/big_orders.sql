select * from {{ ref('orders') }} where amount > 5
