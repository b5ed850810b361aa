{#- The distinct values of `column` in `table`, most frequent first, through statement() and
    load_result(). Outside execute, or when the relation does not exist yet, `default` (or []). -#}
{% macro get_column_values(table, column, order_by='count(*) desc', max_records=none, default=none, where=none) -%}
    {{ return(adapter.dispatch('get_column_values', 'silt_utils')(table, column, order_by, max_records, default, where)) }}
{%- endmacro %}

{% macro default__get_column_values(table, column, order_by, max_records, default, where) -%}
    {%- set fallback = default if default is not none else [] -%}
    {%- if not execute -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- do silt_utils._require_relation('get_column_values', table) -%}
    {%- set existing = adapter.get_relation(database=table.database, schema=table.schema, identifier=table.identifier) -%}
    {%- if existing is none -%}
        {{ return(fallback) }}
    {%- endif -%}
    {%- call statement('get_column_values', fetch_result=true) -%}
        select {{ column }} as value
        from {{ existing }}
        {% if where is not none %}where {{ where }}{% endif %}
        group by {{ column }}
        order by {{ order_by }}
        {% if max_records is not none %}limit {{ max_records }}{% endif %}
    {%- endcall -%}
    {%- set found = load_result('get_column_values') -%}
    {{ return(found['table'].columns[0].values() | list) }}
{%- endmacro %}
