{% test is_even(model, column_name, allow_null=false) %}
select * from {{ model }} where {{ column_name }} % 2 != 0{% if not allow_null %} or {{ column_name }} is null{% endif %}
{% endtest %}
