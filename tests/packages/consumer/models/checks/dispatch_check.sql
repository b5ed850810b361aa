select
    '{{ silt_utils.label_adapter() }}' as label,
    {{ silt_utils.greeting("'consumer'") }} as greeting,
    {{ silt_utils.bucket('5') }} as small_bucket
