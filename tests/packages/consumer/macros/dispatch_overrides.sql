{#- Overrides of silt_utils' dispatched macros, found first because dbt_project.yml lists this
    project before silt_utils in the search order. -#}
{% macro default__greeting(name) -%}'hi, ' || {{ name }} || ' (from consumer)'{%- endmacro %}
{% macro default__bucket(expr) -%}case when {{ expr }} < 10 then 'consumer-small' else 'consumer-large' end{%- endmacro %}
