
select id, amount * 2 as doubled from "main"."stg"