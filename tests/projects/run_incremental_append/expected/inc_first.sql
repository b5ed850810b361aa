
select id, kind from "main"."events"
