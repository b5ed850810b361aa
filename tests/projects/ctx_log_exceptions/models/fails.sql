{%- if var('fail', false) -%}
{{ exceptions.raise_compiler_error("fails was told to fail") }}
{%- endif -%}
select * from {{ ref('loud') }}
