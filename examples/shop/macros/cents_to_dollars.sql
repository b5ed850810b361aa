{#- An amount in cents as dollars, rounded to two places; dispatched so adapters can differ. -#}
{% macro cents_to_dollars(column_name, scale=2) -%}
    {{ return(adapter.dispatch('cents_to_dollars', 'shop')(column_name, scale)) }}
{%- endmacro %}

{% macro default__cents_to_dollars(column_name, scale) -%}
    round(cast({{ column_name }} as numeric) / 100, {{ scale }})
{%- endmacro %}

{% macro sqlite__cents_to_dollars(column_name, scale) -%}
    round({{ column_name }} / 100.0, {{ scale }})
{%- endmacro %}
