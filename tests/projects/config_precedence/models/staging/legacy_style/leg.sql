select 2 as id -- {{ config.get('materialized') }} {{ config.get('schema') }} {{ config.get('tags') | sort | join('/') }}
