-- depends_on: {{ ref('raw_customers') }}
{% set rel = silt_utils.relation_from_parts(target.schema, 'raw_customers') -%}
select
    '{{ rel.identifier }}' as identifier,
    '{{ rel.schema }}' as schema_name,
    '{{ rel.type }}' as relation_type,
    count(*) as n_rows
from {{ rel }}
