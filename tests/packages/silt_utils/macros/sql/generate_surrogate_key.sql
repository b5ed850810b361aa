{#- A hash of the fields, each cast to text with nulls replaced by a marker and '-' between them,
    so (null, 'a') and ('a', null) differ. The marker comes from var('surrogate_key_null_token'),
    then var('silt_utils_null_token'), then '_silt_utils_null_'. -#}
{% macro generate_surrogate_key(field_list) -%}
    {{ return(adapter.dispatch('generate_surrogate_key', 'silt_utils')(field_list)) }}
{%- endmacro %}

{% macro default__generate_surrogate_key(field_list) -%}
    {%- if field_list is string or field_list is not iterable -%}
        {%- do exceptions.raise_compiler_error("generate_surrogate_key() wants a list of fields, got: " ~ field_list) -%}
    {%- endif -%}
    {%- set null_token = var('surrogate_key_null_token', var('silt_utils_null_token', '_silt_utils_null_')) -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- do parts.append("coalesce(" ~ dbt.safe_cast(field, dbt.type_string()) ~ ", '" ~ null_token ~ "')") -%}
        {%- if not loop.last -%}
            {%- do parts.append("'-'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
