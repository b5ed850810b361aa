-- root_global none default from_cli
select * from "main"."util_model"