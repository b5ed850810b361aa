select
  {% if true %}
    1 as id
  {% endfor %}
