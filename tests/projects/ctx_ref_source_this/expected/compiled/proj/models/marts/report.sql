select * from "main"."stg_orders" o join "main"."main_staging__people" p using (id)
-- main_staging.people main stg_orders