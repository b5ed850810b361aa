
    
    



select id
from "main"."orders"
where id is null


