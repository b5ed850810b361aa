{#- The columns of a relation as a select list, leaving out `except` (case-insensitive), each
    optionally qualified by an alias and renamed with a prefix/suffix. At parse time the columns
    are unknown, so it answers '*'. -#}
{% macro star(from, relation_alias=none, except=[], prefix='', suffix='', quote_identifiers=true) -%}
    {{ return(adapter.dispatch('star', 'silt_utils')(from, relation_alias, except, prefix, suffix, quote_identifiers)) }}
{%- endmacro %}

{% macro default__star(from, relation_alias, except, prefix, suffix, quote_identifiers) -%}
    {%- do silt_utils._require_relation('star', from) -%}
    {%- if not execute -%}
        {{ return('*') }}
    {%- endif -%}
    {%- set skip = except | map('lower') | list -%}
    {%- set cols = [] -%}
    {%- for col in adapter.get_columns_in_relation(from) if col.name | lower not in skip -%}
        {%- set ident = adapter.quote(col.name) if quote_identifiers else col.name -%}
        {%- set qualified = (relation_alias ~ '.' if relation_alias else '') ~ ident -%}
        {%- if prefix or suffix -%}
            {%- do cols.append(qualified ~ ' as ' ~ adapter.quote(prefix ~ col.name ~ suffix)) -%}
        {%- else -%}
            {%- do cols.append(qualified) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if cols | length == 0 -%}
        {%- do exceptions.raise_compiler_error("star() found no columns in " ~ from ~ " after leaving out " ~ except | join(', ')) -%}
    {%- endif -%}
    {{ return(cols | join(',\n    ')) }}
{%- endmacro %}

{#- Raises dbt_utils' style of error unless obj is a relation (ref, source, api.Relation.create). -#}
{% macro _require_relation(macro_name, obj) -%}
    {%- if obj is string or obj.identifier is not defined -%}
        {%- do exceptions.raise_compiler_error("Macro " ~ macro_name ~ " expected a Relation but received the value: " ~ obj) -%}
    {%- endif -%}
{%- endmacro %}
