{#- on-run-end: one row per result in run_log (unique_id, status, failures). -#}
{% macro record_results(results) %}
    {%- if execute -%}
        {%- do run_query("create table if not exists run_log (unique_id text, status text, failures integer)") -%}
        {%- do run_query("delete from run_log") -%}
        {%- for r in results -%}
            {%- do run_query("insert into run_log values ('" ~ r.node.unique_id ~ "', '" ~ r.status ~ "', " ~ (r.failures if r.failures is not none else 'null') ~ ")") -%}
        {%- endfor -%}
        {%- do log("recorded " ~ results | length ~ " results", info=true) -%}
    {%- endif -%}
{% endmacro %}
