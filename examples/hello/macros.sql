{% macro cents_to_dollars(column_name, scale=2) -%}
    round(cast({{ column_name }} as numeric) / 100, {{ scale }})
{%- endmacro %}

{% macro config(materialized='view', tags=[]) -%}
    {#- the real dbt context records these; the demo only shows them -#}
{%- endmacro %}

{% macro ref(name) -%}
    "main"."{{ target_schema }}__{{ name }}"
{%- endmacro %}

{% macro is_incremental() %}{{ return(false) }}{% endmacro %}
