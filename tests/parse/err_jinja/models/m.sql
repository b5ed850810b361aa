select 1
{% if x %}
where 1
