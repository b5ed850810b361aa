with unioned as (
    select id from {{ ref('leg') }}
    union all
    select id from {{ ref('stg_b') }}
)
select id from unioned
-- {{ config.get('materialized') }} {{ this }} {{ config.get('tags') | sort | join('/') }} {{ tojson(config.get('meta'), sort_keys=true) }}
