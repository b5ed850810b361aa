{{ config(schema=var('sch'), materialized=var('mat'), tags=[var('missing', 'fallback')]) }}
select 1 as id
