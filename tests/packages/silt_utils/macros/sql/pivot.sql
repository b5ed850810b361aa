{#- One aggregate per value of `column`: sum(case when column = 'v' then 1 else 0 end) as v. -#}
{% macro pivot(column, values, alias=true, agg='sum', cmp='=', prefix='', suffix='', then_value=1, else_value=0, quote_identifiers=true) -%}
    {{ return(adapter.dispatch('pivot', 'silt_utils')(column, values, alias, agg, cmp, prefix, suffix, then_value, else_value, quote_identifiers)) }}
{%- endmacro %}

{% macro default__pivot(column, values, alias, agg, cmp, prefix, suffix, then_value, else_value, quote_identifiers) -%}
    {%- for value in values -%}
    {{ agg }}(case when {{ column }} {{ cmp }} '{{ dbt.escape_single_quotes(value) }}' then {{ then_value }} else {{ else_value }} end)
    {%- if alias %} as {{ adapter.quote(prefix ~ silt_utils.slugify(value) ~ suffix) if quote_identifiers else prefix ~ silt_utils.slugify(value) ~ suffix }}{% endif -%}
    {%- if not loop.last %},
    {% endif -%}
    {%- endfor -%}
{%- endmacro %}
