{% macro cents_to_dollars(x) -%}
    ({{ x }} / 100.0)
{%- endmacro %}
