{% macro ts(text) -%}
  {%- if target.type == 'postgres' -%}timestamp '{{ text }}'{%- else -%}'{{ text }}'{%- endif -%}
{%- endmacro %}
