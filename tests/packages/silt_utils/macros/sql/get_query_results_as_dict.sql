{#- {column name: [values...]} for a query, through run_query's agate table. -#}
{% macro get_query_results_as_dict(sql) -%}
    {{ return(adapter.dispatch('get_query_results_as_dict', 'silt_utils')(sql)) }}
{%- endmacro %}

{% macro default__get_query_results_as_dict(sql) -%}
    {%- set out = {} -%}
    {%- set result = run_query(sql) -%}
    {%- if execute -%}
        {%- for name in result.column_names -%}
            {%- do out.update({name: result.columns[name].values() | list}) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(out) }}
{%- endmacro %}

{#- The rows of a query as a list of dicts (agate's Row.dict()). -#}
{% macro rows_as_dicts(sql) -%}
    {%- set rows = [] -%}
    {%- if execute -%}
        {%- for row in run_query(sql).rows -%}
            {%- do rows.append(row.dict()) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(rows) }}
{%- endmacro %}
