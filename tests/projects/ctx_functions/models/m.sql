{%- set cfg = fromyaml("a: 1\nb: [x, y]\nc: {d: true}") -%}
{%- set js = fromjson('{"k": [1, 2.5, null], "s": "v"}') -%}
select {{ double(21) }} as doubled,
       '{{ pick({"a": "A"}, "a") }}' as picked,
       {{ as_list() | sum }} as summed,
       '{{ cfg.b | join("|") }}' as yaml_list,
       '{{ cfg.c.d }}' as yaml_bool,
       '{{ js.k[1] }}' as json_float,
       '{{ js.k[2] is none }}' as json_null,
       '{{ tojson({"b": 1, "a": [true, none]}) }}' as to_json,
       '{{ tojson({"b": 1, "a": 2}, sort_keys=true) }}' as sorted_json,
       '{{ local_md5("silt") }}' as md5,
       '{{ modules.datetime.date(2024, 2, 28) + modules.datetime.timedelta(days=2) }}' as next_day,
       '{{ modules.re.sub("[aeiou]", "_", "database") }}' as re_sub,
       {{ modules.re.match("^v(\\d+)$", "v12").group(1) }} as re_group,
       {{ invocation_id | length }} as id_len,
       {{ run_started_at.year >= 2024 }} as started,
       '{{ "%05.1f" | format(3.14159) }}' as fmt
