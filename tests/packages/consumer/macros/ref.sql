{#- The project's own ref(): names listed in var('ref_aliases') stand for other models; the real
    lookup is builtins.ref, so the DAG follows the aliased model. -#}
{% macro ref() %}
    {%- set name = varargs[-1] -%}
    {%- set name = var('ref_aliases', {}).get(name, name) -%}
    {%- if varargs | length > 1 -%}
        {%- set rel = builtins.ref(varargs[0], name, **kwargs) -%}
    {%- else -%}
        {%- set rel = builtins.ref(name, **kwargs) -%}
    {%- endif -%}
    {{ return(rel) }}
{% endmacro %}
