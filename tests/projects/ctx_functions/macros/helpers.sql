{% macro double(x) %}{{ return(x * 2) }}{% endmacro %}
{% macro pick(d, k) %}{% do return(d.get(k, 'none')) %}{% endmacro %}
{% macro as_list() %}{{ return([1, 2, 3]) }}{% endmacro %}
