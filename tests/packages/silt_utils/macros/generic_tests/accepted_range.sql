{#- Rows whose column_name lies outside [min_value, max_value] (bounds exclusive when
    inclusive=false). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {{ return(adapter.dispatch('test_accepted_range', 'silt_utils')(model, column_name, min_value, max_value, inclusive)) }}
{% endtest %}

{% macro default__test_accepted_range(model, column_name, min_value, max_value, inclusive) %}
{%- if min_value is none and max_value is none -%}
    {%- do exceptions.raise_compiler_error("accepted_range needs min_value, max_value or both") -%}
{%- endif -%}
select *
from {{ model }}
where 1 = 0
{%- if min_value is not none %}
    or not ({{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }})
{%- endif -%}
{%- if max_value is not none %}
    or not ({{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }})
{%- endif %}
{% endmacro %}
