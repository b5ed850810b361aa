-- {{ util.show_vars() }}
select * from {{ ref('util_model') }}
