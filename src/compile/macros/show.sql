{#- dbt show: the query that previews a node — its compiled code after the configured
    sql_header, with a limit appended unless the limit is none (--limit -1). A project overrides
    get_show_sql, or <adapter>__get_limit_sql / default__get_limit_sql for the limit clause. -#}
{% macro get_show_sql(compiled_code, sql_header, limit) -%}
  {%- if sql_header is not none -%}
  {{ sql_header }}
  {%- endif %}
  {{ get_limit_subquery_sql(compiled_code, limit) }}
{% endmacro %}

{%- macro get_limit_subquery_sql(sql, limit) -%}
  {{ adapter.dispatch('get_limit_sql', 'dbt')(sql, limit) }}
{%- endmacro -%}

{% macro default__get_limit_sql(sql, limit) %}
  {{ sql }}
  {% if limit is not none %}
  limit {{ limit }}
  {%- endif -%}
{% endmacro %}
