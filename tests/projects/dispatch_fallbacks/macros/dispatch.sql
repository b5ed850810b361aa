{% macro concat_cols(a, b) %}{{ return(adapter.dispatch('concat_cols')(a, b)) }}{% endmacro %}
{% macro default__concat_cols(a, b) %}concat({{ a }}, {{ b }}){% endmacro %}
{% macro sqlite__concat_cols(a, b) %}{{ a }} || {{ b }}{% endmacro %}

{% macro only_default(x) %}{{ adapter.dispatch('only_default', 'proj')(x) }}{% endmacro %}
{% macro default__only_default(x) %}coalesce({{ x }}, 0){% endmacro %}

{% macro default__greet() %}'root override'{% endmacro %}
