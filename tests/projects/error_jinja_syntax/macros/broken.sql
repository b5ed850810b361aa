{% macro broken() %}
  {{ 1 + }}
{% endmacro %}
