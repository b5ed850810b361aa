{#- One failing row when the share of non-null values of column_name falls outside
    [at_least, at_most]. -#}
{% test not_null_proportion(model, column_name, at_least, at_most=1.0) %}
    {{ return(adapter.dispatch('test_not_null_proportion', 'silt_utils')(model, column_name, at_least, at_most)) }}
{% endtest %}

{% macro default__test_not_null_proportion(model, column_name, at_least, at_most) %}
{%- if at_least > at_most -%}
    {%- do exceptions.raise_compiler_error("not_null_proportion: at_least (" ~ at_least ~ ") is above at_most (" ~ at_most ~ ")") -%}
{%- endif -%}
with proportions as (
    select
        {{ silt_utils.safe_divide('sum(case when ' ~ column_name ~ ' is null then 0 else 1 end)', 'count(*)') }} as not_null_proportion
    from {{ model }}
)
select not_null_proportion
from proportions
where not_null_proportion < {{ at_least }} or not_null_proportion > {{ at_most }}
{% endmacro %}
