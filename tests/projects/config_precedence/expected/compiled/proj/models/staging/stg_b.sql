
-- table "main"."main_from_yml__stg_b" file/proj/staging/yml {"level": "file", "owner": "yml"}
select id from "main"."main_stg__stg_a"