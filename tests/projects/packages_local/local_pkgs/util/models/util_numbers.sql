select 1250 as cents, '{{ config.get("materialized") }}' as mat, {{ cents_to_dollars('1250') }} as dollars, {{ whoami() }} as who
