{% test row_count_between(model, low, high) %}
select 1 from (select count(*) as n from {{ model }}) where n < {{ low }} or n > {{ high }}
{% endtest %}
