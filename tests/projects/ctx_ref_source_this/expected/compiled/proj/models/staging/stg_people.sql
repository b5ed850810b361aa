
select * from "main"."raw__raw_customers" join "other"."events" using (id)
-- "main"."main_staging__people" | main_staging | people | people