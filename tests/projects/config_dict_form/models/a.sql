{{ config({'materialized': 'table', 'tags': ['dict'], 'alias': 'a_table', 'meta': {'owner': 'ann'}}) }}
select 1 as id
