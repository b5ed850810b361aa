
select id, kind from "main"."events"

where id > (select max(id) from "main"."inc")
