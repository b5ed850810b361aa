{%- do log("loud at execute: " ~ execute, info=true) -%}
{%- do log("quiet message") -%}
{%- if execute %}{% do exceptions.warn("careful with " ~ model.name) %}{% endif -%}
select 1 as id
