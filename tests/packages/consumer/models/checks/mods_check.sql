{%- set next_day = modules.datetime.date(2024, 1, 31) + modules.datetime.timedelta(days=1) -%}
{%- set parsed = fromyaml("a: 1\nb: [x, y]\n") -%}
{%- set data = fromjson('{"k": [1, 2, {"n": null}]}') -%}
{%- if execute -%}
    {%- do silt_utils.pretty_log("mods_check compiled for " ~ this.identifier) -%}
{%- endif -%}
select
    '{{ next_day.isoformat() }}' as next_day,
    '{{ modules.datetime.datetime(2024, 3, 5, 14, 30).strftime("%Y/%m/%d %H:%M") }}' as stamp,
    '{{ modules.re.findall("[0-9]+", "a1b22c333") | join("|") }}' as digits,
    '{{ silt_utils.slugify("  Hello, World! 2024 ") }}' as slug,
    '{{ tojson(parsed) }}' as json_text,
    '{{ toyaml(data) | trim | replace("\n", "; ") }}' as yaml_text,
    '{{ data.k[2].n is none }}' as null_is_none
