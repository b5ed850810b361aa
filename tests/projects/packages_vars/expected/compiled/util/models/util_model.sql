-- root_global root_scoped_for_util pkg_scoped from_cli
select 1 as id