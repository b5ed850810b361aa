{#- Rows where the expression (about column_name, when given) is not true. -#}
{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'silt_utils')(model, expression, column_name)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name) %}
{% set column_list = '*' if should_store_failures() else '1 as failing' %}
select {{ column_list }}
from {{ model }}
{% if column_name is none %}
where not ({{ expression }})
{% else %}
where not ({{ column_name }} {{ expression }})
{% endif %}
{% endmacro %}
