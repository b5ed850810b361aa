with __dbt__cte__leg as (
select 2 as id -- ephemeral stg proj/staging
),  unioned as (
    select id from __dbt__cte__leg
    union all
    select id from "main"."main_from_yml__stg_b"
)
select id from unioned
-- table "main"."report" proj {"level": "project", "owner": "project"}