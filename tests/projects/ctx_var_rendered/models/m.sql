select '{{ var("templated") }}' as templated, '{{ var("from_target") }}' as t, '{{ var("cli") }}' as cli
