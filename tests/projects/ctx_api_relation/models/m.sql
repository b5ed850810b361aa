{%- set r = audit_relation('log') -%}
select '{{ r.schema }}' as s, '{{ r.identifier }}' as i, '{{ r.database }}' as d
-- {{ r }}
-- {{ toyaml({"a": [1, 2]}) | trim }}
