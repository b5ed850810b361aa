{% macro comment_text() %}{{ return(var('comment_text', 'from a macro')) }}{% endmacro %}
