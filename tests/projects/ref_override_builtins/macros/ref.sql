{% macro ref(model_name) %}
  {%- set rel = builtins.ref(model_name) -%}
  {%- if model_name.startswith('legacy_') -%}
    {%- do return(rel ~ ' /* legacy */') -%}
  {%- endif -%}
  {%- do return(rel) -%}
{% endmacro %}
