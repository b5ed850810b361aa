{{ config(materialized='table', tags=['file'], meta={'level': 'file'}) }}
-- {{ config.get('materialized') }} {{ this }} {{ config.get('tags') | sort | join('/') }} {{ tojson(config.get('meta'), sort_keys=true) }}
select id from {{ ref('stg_a') }}
