{%- do log("loud at execute: " ~ execute, info=true) -%}
{%- do print("printed at execute: " ~ execute) -%}
{%- if execute %}{% do exceptions.warn("careful with " ~ model.name) %}{% endif -%}
select 1 as id
