{#- Rows of the model whose column_name has no match in `to`.`field` (a relationships test
    whose `to` is any relation: ref(...), source(...) or api.Relation.create). -#}
{% test has_match(model, column_name, to, field) %}
    {{ return(adapter.dispatch('test_has_match', 'silt_utils')(model, column_name, to, field)) }}
{% endtest %}

{% macro default__test_has_match(model, column_name, to, field) %}
{%- do silt_utils._require_relation('has_match', to) -%}
select child.{{ column_name }}
from {{ model }} as child
left join {{ to }} as parent on parent.{{ field }} = child.{{ column_name }}
where child.{{ column_name }} is not null and parent.{{ field }} is null
{% endmacro %}
