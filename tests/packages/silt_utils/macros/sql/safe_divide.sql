{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'silt_utils')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    ( {{ numerator }} ) / nullif( ( {{ denominator }} ), 0)
{%- endmacro %}

{#- SQLite divides integers as integers: make the division real. -#}
{% macro sqlite__safe_divide(numerator, denominator) -%}
    ( {{ numerator }} ) * 1.0 / nullif( ( {{ denominator }} ), 0)
{%- endmacro %}
