-- {{ show_vars() }}
select 1 as id
