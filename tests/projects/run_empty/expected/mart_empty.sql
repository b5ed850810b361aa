
select id, amount * 2 as doubled from (select * from "main"."stg" where false limit 0) _dbt_limit_subq_stg