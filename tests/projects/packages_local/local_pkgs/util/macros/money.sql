{% macro cents_to_dollars(col, scale=100) -%}
    round({{ col }} / {{ scale }}.0, 2)
{%- endmacro %}

{% macro whoami() -%}
    '{{ project_name }}:{{ model.package_name }}'
{%- endmacro %}
