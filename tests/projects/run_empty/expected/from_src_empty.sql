
select count(*) as n from (select * from "main"."raw" where false limit 0) _dbt_limit_subq_raw