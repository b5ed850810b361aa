{#- Probes of adapter.dispatch. label_adapter has default__ and sqlite__ forms, so on SQLite the
    sqlite__ one wins. greeting and bucket exist here as default__ (and bucket also as sqlite__);
    a project that lists itself first in `dispatch: search_order` replaces them with its own. -#}
{% macro label_adapter() -%}
    {{ return(adapter.dispatch('label_adapter', 'silt_utils')()) }}
{%- endmacro %}
{% macro default__label_adapter() -%}{{ return('default') }}{%- endmacro %}
{% macro sqlite__label_adapter() -%}{{ return('sqlite') }}{%- endmacro %}

{% macro greeting(name) -%}
    {{ return(adapter.dispatch('greeting', 'silt_utils')(name)) }}
{%- endmacro %}
{% macro default__greeting(name) -%}'hello, ' || {{ name }}{%- endmacro %}

{% macro bucket(expr) -%}
    {{ return(adapter.dispatch('bucket', 'silt_utils')(expr)) }}
{%- endmacro %}
{% macro default__bucket(expr) -%}case when {{ expr }} < 10 then 'small' else 'large' end{%- endmacro %}
{% macro sqlite__bucket(expr) -%}case when {{ expr }} < 10 then 'sqlite-small' else 'sqlite-large' end{%- endmacro %}
