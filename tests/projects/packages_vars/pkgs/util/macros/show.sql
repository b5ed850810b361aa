{% macro show_vars() -%}
{{ var('shared') }} {{ var('scoped', 'none') }} {{ var('own', 'default') }} {{ var('cli', 'none') }}
{%- endmacro %}
