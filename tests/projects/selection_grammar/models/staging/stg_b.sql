{{ config(tags=['staging']) }}
select 2 as id
