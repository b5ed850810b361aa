select 'main_audit' as s, 'log' as i, 'main' as d
-- "main"."main_audit__log"
-- a:
- 1
- 2