{#- Running SQL from templates. statement() runs its caller's text on the node's connection and
    keeps the result under its name for load_result(); 'main' is the SQL target/run/ shows. -#}

{% macro statement(name=none, fetch_result=false, auto_begin=true, language='sql') -%}
    {%- if execute -%}
        {%- set compiled_code = caller() -%}
        {%- if language != 'sql' -%}
            {%- do exceptions.raise_compiler_error("silt runs SQL models only; got a " ~ language ~ " statement") -%}
        {%- endif -%}
        {%- if name == 'main' -%}
            {%- do write(compiled_code) -%}
        {%- endif -%}
        {%- set response, table = adapter.execute(compiled_code, auto_begin=auto_begin, fetch=fetch_result) -%}
        {%- if name is not none -%}
            {%- do store_result(name, response=response, agate_table=table) -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A statement that runs nothing but leaves a result, for materializations with nothing to do. -#}
{% macro noop_statement(name=none, message=none, code=none, rows_affected=none, res=none) -%}
    {%- set sql = caller() -%}
    {%- if name == 'main' -%}
        {%- do write(sql) -%}
    {%- endif -%}
    {%- if name is not none -%}
        {%- do store_result(name, response=message, agate_table=res) -%}
    {%- endif -%}
{%- endmacro %}

{#- The rows of a query, as an agate-like table (.rows, .columns, row.dict()). -#}
{% macro run_query(sql) %}
    {% call statement("run_query_statement", fetch_result=true, auto_begin=false) %}{{ sql }}{% endcall %}
    {% do return(load_result("run_query_statement").table) %}
{% endmacro %}
