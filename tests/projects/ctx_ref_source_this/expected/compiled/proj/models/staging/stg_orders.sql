select * from "main"."raw__orders"
-- "main"."stg_orders" | main | stg_orders | stg_orders | main