-- {{ config.get('materialized') }} {{ this }} {{ config.get('tags') | sort | join('/') }} {{ tojson(config.get('meta'), sort_keys=true) }}
select 1 as id
