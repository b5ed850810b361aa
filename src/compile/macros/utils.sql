{#- Cross-database macros: the names dbt's global project gives packages such as dbt_utils and
    dbt_expectations, each dispatched (adapter prefix, then default__) so an adapter or a project
    can replace one. The default__ forms are ANSI SQL; sqlite__ forms fill what SQLite lacks
    (dates are ISO text, no ::casts, no date_trunc). -#}

{% macro type_string() %}{{ return(adapter.dispatch('type_string', 'dbt')()) }}{% endmacro %}
{% macro default__type_string() %}{{ return("text") }}{% endmacro %}
{% macro type_timestamp() %}{{ return(adapter.dispatch('type_timestamp', 'dbt')()) }}{% endmacro %}
{% macro default__type_timestamp() %}{{ return("timestamp") }}{% endmacro %}
{% macro type_float() %}{{ return(adapter.dispatch('type_float', 'dbt')()) }}{% endmacro %}
{% macro default__type_float() %}{{ return("float") }}{% endmacro %}
{% macro sqlite__type_float() %}{{ return("real") }}{% endmacro %}
{% macro type_numeric() %}{{ return(adapter.dispatch('type_numeric', 'dbt')()) }}{% endmacro %}
{% macro default__type_numeric() %}{{ return("numeric(28,6)") }}{% endmacro %}
{% macro sqlite__type_numeric() %}{{ return("numeric") }}{% endmacro %}
{% macro type_bigint() %}{{ return(adapter.dispatch('type_bigint', 'dbt')()) }}{% endmacro %}
{% macro default__type_bigint() %}{{ return("bigint") }}{% endmacro %}
{% macro type_int() %}{{ return(adapter.dispatch('type_int', 'dbt')()) }}{% endmacro %}
{% macro default__type_int() %}{{ return("integer") }}{% endmacro %}
{% macro type_boolean() %}{{ return(adapter.dispatch('type_boolean', 'dbt')()) }}{% endmacro %}
{% macro default__type_boolean() %}{{ return("boolean") }}{% endmacro %}

{% macro current_timestamp() -%}{{ adapter.dispatch('current_timestamp', 'dbt')() }}{%- endmacro %}
{% macro default__current_timestamp() -%}current_timestamp{%- endmacro %}
{% macro sqlite__current_timestamp() -%}datetime('now'){%- endmacro %}
{% macro current_timestamp_backcompat() -%}{{ adapter.dispatch('current_timestamp_backcompat', 'dbt')() }}{%- endmacro %}
{% macro default__current_timestamp_backcompat() -%}{{ current_timestamp() }}{%- endmacro %}
{% macro current_timestamp_in_utc_backcompat() -%}{{ adapter.dispatch('current_timestamp_in_utc_backcompat', 'dbt')() }}{%- endmacro %}
{% macro default__current_timestamp_in_utc_backcompat() -%}{{ current_timestamp() }}{%- endmacro %}

{% macro cast(field, type) -%}{{ adapter.dispatch('cast', 'dbt')(field, type) }}{%- endmacro %}
{% macro default__cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro %}
{% macro safe_cast(field, type) -%}{{ adapter.dispatch('safe_cast', 'dbt')(field, type) }}{%- endmacro %}
{% macro default__safe_cast(field, type) -%}cast({{ field }} as {{ type }}){%- endmacro %}
{% macro cast_bool_to_text(field) -%}{{ adapter.dispatch('cast_bool_to_text', 'dbt')(field) }}{%- endmacro %}
{% macro default__cast_bool_to_text(field) -%}cast({{ field }} as {{ api.Column.translate_type('string') if api.Column is defined else type_string() }}){%- endmacro %}
{% macro sqlite__cast_bool_to_text(field) -%}case when {{ field }} is null then null when {{ field }} then 'true' else 'false' end{%- endmacro %}

{% macro concat(fields) -%}{{ adapter.dispatch('concat', 'dbt')(fields) }}{%- endmacro %}
{% macro default__concat(fields) -%}{{ fields | join(' || ') }}{%- endmacro %}

{% macro hash(field) -%}{{ adapter.dispatch('hash', 'dbt')(field) }}{%- endmacro %}
{% macro default__hash(field) -%}md5(cast({{ field }} as {{ type_string() }})){%- endmacro %}
{#- SQLite has no md5(): a hex of the text keeps hash() deterministic and collision-free. -#}
{% macro sqlite__hash(field) -%}lower(hex(cast({{ field }} as text))){%- endmacro %}

{% macro length(expression) -%}{{ adapter.dispatch('length', 'dbt')(expression) }}{%- endmacro %}
{% macro default__length(expression) -%}length({{ expression }}){%- endmacro %}

{% macro replace(field, old_chars, new_chars) -%}{{ adapter.dispatch('replace', 'dbt')(field, old_chars, new_chars) }}{%- endmacro %}
{% macro default__replace(field, old_chars, new_chars) -%}replace({{ field }}, {{ old_chars }}, {{ new_chars }}){%- endmacro %}

{% macro right(string_text, length_expression) -%}{{ adapter.dispatch('right', 'dbt')(string_text, length_expression) }}{%- endmacro %}
{% macro default__right(string_text, length_expression) -%}right({{ string_text }}, {{ length_expression }}){%- endmacro %}
{% macro sqlite__right(string_text, length_expression) -%}substr({{ string_text }}, -({{ length_expression }})){%- endmacro %}

{% macro position(substring_text, string_text) -%}{{ adapter.dispatch('position', 'dbt')(substring_text, string_text) }}{%- endmacro %}
{% macro default__position(substring_text, string_text) -%}position({{ substring_text }} in {{ string_text }}){%- endmacro %}
{% macro sqlite__position(substring_text, string_text) -%}instr({{ string_text }}, {{ substring_text }}){%- endmacro %}

{% macro split_part(string_text, delimiter_text, part_number) -%}{{ adapter.dispatch('split_part', 'dbt')(string_text, delimiter_text, part_number) }}{%- endmacro %}
{% macro default__split_part(string_text, delimiter_text, part_number) -%}split_part({{ string_text }}, {{ delimiter_text }}, {{ part_number }}){%- endmacro %}
{#- SQLite: a recursive CTE walks the string; negative parts count from the end. -#}
{% macro sqlite__split_part(string_text, delimiter_text, part_number) -%}
(with recursive silt_split(rest, part, n) as (
    select {{ string_text }} || {{ delimiter_text }}, null, 0
    union all
    select substr(rest, instr(rest, {{ delimiter_text }}) + length({{ delimiter_text }})),
           substr(rest, 1, instr(rest, {{ delimiter_text }}) - 1), n + 1
    from silt_split where instr(rest, {{ delimiter_text }}) > 0
)
select part from silt_split
where n = case when {{ part_number }} > 0 then {{ part_number }}
               else (select max(n) from silt_split) + 1 + ({{ part_number }}) end)
{%- endmacro %}

{% macro string_literal(value) -%}{{ adapter.dispatch('string_literal', 'dbt')(value) }}{%- endmacro %}
{% macro default__string_literal(value) -%}'{{ value }}'{%- endmacro %}
{% macro escape_single_quotes(expression) -%}{{ adapter.dispatch('escape_single_quotes', 'dbt')(expression) }}{%- endmacro %}
{% macro default__escape_single_quotes(expression) -%}{{ expression | replace("'", "''") }}{%- endmacro %}

{% macro except() -%}{{ adapter.dispatch('except', 'dbt')() }}{%- endmacro %}
{% macro default__except() -%}except{%- endmacro %}
{% macro intersect() -%}{{ adapter.dispatch('intersect', 'dbt')() }}{%- endmacro %}
{% macro default__intersect() -%}intersect{%- endmacro %}

{% macro equals(expr1, expr2) -%}{{ adapter.dispatch('equals', 'dbt')(expr1, expr2) }}{%- endmacro %}
{% macro default__equals(expr1, expr2) -%}(({{ expr1 }} = {{ expr2 }}) or ({{ expr1 }} is null and {{ expr2 }} is null)){%- endmacro %}

{% macro any_value(expression) -%}{{ adapter.dispatch('any_value', 'dbt')(expression) }}{%- endmacro %}
{% macro default__any_value(expression) -%}any_value({{ expression }}){%- endmacro %}
{% macro sqlite__any_value(expression) -%}min({{ expression }}){%- endmacro %}

{% macro bool_or(expression) -%}{{ adapter.dispatch('bool_or', 'dbt')(expression) }}{%- endmacro %}
{% macro default__bool_or(expression) -%}bool_or({{ expression }}){%- endmacro %}
{% macro sqlite__bool_or(expression) -%}max({{ expression }}){%- endmacro %}

{% macro listagg(measure, delimiter_text="','", order_by_clause=none, limit_num=none) -%}
    {{ return(adapter.dispatch('listagg', 'dbt')(measure, delimiter_text, order_by_clause, limit_num)) }}
{%- endmacro %}
{% macro default__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
    array_to_string((array_agg({{ measure }} {% if order_by_clause -%}{{ order_by_clause }}{%- endif %}))[1:{{ limit_num }}], {{ delimiter_text }})
    {%- else -%}
    string_agg({{ measure }}, {{ delimiter_text }} {% if order_by_clause -%}{{ order_by_clause }}{%- endif %})
    {%- endif -%}
{%- endmacro %}
{% macro sqlite__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
    {%- do exceptions.raise_compiler_error("listagg with limit_num is not supported on sqlite") -%}
    {%- endif -%}
    {#- an ORDER BY inside an aggregate call came with SQLite 3.44; older ones say only "syntax error" -#}
    {%- if order_by_clause and execute -%}
        {%- set version = run_query("select sqlite_version()").columns[0].values()[0] -%}
        {%- set v = version.split('.') | map('int') | list -%}
        {%- if v[0] < 3 or (v[0] == 3 and v[1] < 44) -%}
        {%- do exceptions.raise_compiler_error("listagg with an order_by_clause needs SQLite 3.44 or later; this is SQLite " ~ version) -%}
        {%- endif -%}
    {%- endif -%}
    group_concat({{ measure }}, {{ delimiter_text }} {% if order_by_clause -%}{{ order_by_clause }}{%- endif %})
{%- endmacro %}

{#- Dates. SQLite keeps dates and timestamps as ISO text: datetime() and julianday() do the
    arithmetic, strftime() the truncation. -#}
{% macro dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(adapter.dispatch('dateadd', 'dbt')(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
{% macro default__dateadd(datepart, interval, from_date_or_timestamp) -%}
    dateadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}
{% macro sqlite__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'quarter' -%}
        {%- set part, interval = 'month', '(' ~ interval ~ ') * 3' -%}
    {%- elif part == 'week' -%}
        {%- set part, interval = 'day', '(' ~ interval ~ ') * 7' -%}
    {%- endif -%}
    {%- if part not in ['year', 'month', 'day', 'hour', 'minute', 'second'] -%}
        {%- do exceptions.raise_compiler_error("Unsupported datepart for macro dateadd on sqlite: " ~ datepart) -%}
    {%- endif -%}
    datetime({{ from_date_or_timestamp }}, printf('%+d {{ part }}s', {{ interval }}))
{%- endmacro %}

{% macro datediff(first_date, second_date, datepart) -%}
    {{ return(adapter.dispatch('datediff', 'dbt')(first_date, second_date, datepart)) }}
{%- endmacro %}
{% macro default__datediff(first_date, second_date, datepart) -%}
    datediff({{ datepart }}, {{ first_date }}, {{ second_date }})
{%- endmacro %}
{#- Calendar boundaries crossed, as dbt's adapters count them. -#}
{% macro sqlite__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'year' -%}
    (cast(strftime('%Y', {{ second_date }}) as integer) - cast(strftime('%Y', {{ first_date }}) as integer))
    {%- elif part == 'quarter' -%}
    ((cast(strftime('%Y', {{ second_date }}) as integer) - cast(strftime('%Y', {{ first_date }}) as integer)) * 4
     + ((cast(strftime('%m', {{ second_date }}) as integer) - 1) / 3) - ((cast(strftime('%m', {{ first_date }}) as integer) - 1) / 3))
    {%- elif part == 'month' -%}
    ((cast(strftime('%Y', {{ second_date }}) as integer) - cast(strftime('%Y', {{ first_date }}) as integer)) * 12
     + cast(strftime('%m', {{ second_date }}) as integer) - cast(strftime('%m', {{ first_date }}) as integer))
    {%- elif part == 'week' -%}
    cast((julianday(date({{ second_date }}, '-' || strftime('%w', {{ second_date }}) || ' days')) - julianday(date({{ first_date }}, '-' || strftime('%w', {{ first_date }}) || ' days'))) / 7 as integer)
    {%- elif part == 'day' -%}
    cast(julianday(date({{ second_date }})) - julianday(date({{ first_date }})) as integer)
    {%- elif part == 'hour' -%}
    cast((julianday(strftime('%Y-%m-%d %H:00:00', {{ second_date }})) - julianday(strftime('%Y-%m-%d %H:00:00', {{ first_date }}))) * 24 + 0.5 as integer)
    {%- elif part == 'minute' -%}
    cast((julianday(strftime('%Y-%m-%d %H:%M:00', {{ second_date }})) - julianday(strftime('%Y-%m-%d %H:%M:00', {{ first_date }}))) * 1440 + 0.5 as integer)
    {%- elif part == 'second' -%}
    cast((julianday(strftime('%Y-%m-%d %H:%M:%S', {{ second_date }})) - julianday(strftime('%Y-%m-%d %H:%M:%S', {{ first_date }}))) * 86400 + 0.5 as integer)
    {%- else -%}
    {%- do exceptions.raise_compiler_error("Unsupported datepart for macro datediff on sqlite: " ~ datepart) -%}
    {%- endif -%}
{%- endmacro %}

{% macro date_trunc(datepart, date) -%}{{ return(adapter.dispatch('date_trunc', 'dbt')(datepart, date)) }}{%- endmacro %}
{% macro default__date_trunc(datepart, date) -%}date_trunc('{{ datepart }}', {{ date }}){%- endmacro %}
{% macro sqlite__date_trunc(datepart, date) -%}
    {%- set part = datepart | lower -%}
    {%- if part == 'year' -%}date({{ date }}, 'start of year')
    {%- elif part == 'quarter' -%}date({{ date }}, 'start of month', '-' || ((cast(strftime('%m', {{ date }}) as integer) - 1) % 3) || ' months')
    {%- elif part == 'month' -%}date({{ date }}, 'start of month')
    {%- elif part == 'week' -%}date({{ date }}, '-' || ((cast(strftime('%w', {{ date }}) as integer) + 6) % 7) || ' days')
    {%- elif part == 'day' -%}date({{ date }})
    {%- elif part == 'hour' -%}strftime('%Y-%m-%d %H:00:00', {{ date }})
    {%- elif part == 'minute' -%}strftime('%Y-%m-%d %H:%M:00', {{ date }})
    {%- else -%}{%- do exceptions.raise_compiler_error("Unsupported datepart for macro date_trunc on sqlite: " ~ datepart) -%}
    {%- endif -%}
{%- endmacro %}

{% macro last_day(date, datepart) -%}{{ return(adapter.dispatch('last_day', 'dbt')(date, datepart)) }}{%- endmacro %}
{% macro default__last_day(date, datepart) -%}
    cast({{ dateadd('day', '-1', dateadd(datepart, '1', date_trunc(datepart, date))) }} as date)
{%- endmacro %}
{% macro sqlite__last_day(date, datepart) -%}
    date({{ dateadd(datepart, '1', date_trunc(datepart, date)) }}, '-1 day')
{%- endmacro %}

{#- Numbers 1..upper_bound as generated_number, from powers of two cross-joined (dbt's way). -#}
{% macro get_powers_of_two(upper_bound) -%}{{ return(adapter.dispatch('get_powers_of_two', 'dbt')(upper_bound)) }}{%- endmacro %}
{% macro default__get_powers_of_two(upper_bound) -%}
    {%- if upper_bound <= 0 -%}
    {%- do exceptions.raise_compiler_error("upper bound must be positive") -%}
    {%- endif -%}
    {{ return(modules.math.ceil(modules.math.log(upper_bound, 2)) if modules.math is defined else (upper_bound | string | length) * 4) }}
{%- endmacro %}

{% macro generate_series(upper_bound) -%}{{ return(adapter.dispatch('generate_series', 'dbt')(upper_bound)) }}{%- endmacro %}
{% macro default__generate_series(upper_bound) -%}
    {%- set n = namespace(p=0) -%}
    {%- for i in range(64) if 2 ** n.p < upper_bound -%}{%- set n.p = n.p + 1 -%}{%- endfor -%}
    {%- set n_of_two = [n.p, 1] | max -%}
    with p as (
        select 0 as generated_number union all select 1
    ), unioned as (
    select
    {% for i in range(n_of_two) %}
    p{{ i }}.generated_number * power(2, {{ i }})
    {% if not loop.last %} + {% endif %}
    {% endfor %}
    + 1
    as generated_number
    from
    {% for i in range(n_of_two) %}
    p as p{{ i }}
    {% if not loop.last %} cross join {% endif %}
    {% endfor %}
    )
    select *
    from unioned
    where generated_number <= {{ upper_bound }}
    order by generated_number
{%- endmacro %}
{#- SQLite has no power(): a recursive CTE counts instead. -#}
{% macro sqlite__generate_series(upper_bound) -%}
    with recursive silt_series(generated_number) as (
        select 1
        union all
        select generated_number + 1 from silt_series where generated_number < {{ upper_bound }}
    )
    select generated_number from silt_series
{%- endmacro %}

{% macro date(year, month, day) -%}{{ return(adapter.dispatch('date', 'dbt')(year, month, day)) }}{%- endmacro %}
{% macro default__date(year, month, day) -%}
    {%- set dt = modules.datetime.date(year, month, day) -%}
    {%- set iso_8601_formatted_date = dt.strftime('%Y-%m-%d') -%}
    to_date('{{ iso_8601_formatted_date }}', 'YYYY-MM-DD')
{%- endmacro %}
{% macro sqlite__date(year, month, day) -%}
    date('{{ modules.datetime.date(year, month, day).strftime('%Y-%m-%d') }}')
{%- endmacro %}

{% macro array_construct(inputs=[], data_type=api.Column.translate_type('integer') if api.Column is defined else 'integer') -%}
    {{ return(adapter.dispatch('array_construct', 'dbt')(inputs, data_type)) }}
{%- endmacro %}
{% macro default__array_construct(inputs, data_type) -%}
    {%- if inputs | length > 0 -%}array[ {{ inputs | join(' , ') }} ]{%- else -%}array[]::{{ data_type }}[]{%- endif -%}
{%- endmacro %}
{#- SQLite has no arrays: a JSON array stands in. -#}
{% macro sqlite__array_construct(inputs, data_type) -%}json_array({{ inputs | join(', ') }}){%- endmacro %}
{% macro array_append(array, new_element) -%}{{ return(adapter.dispatch('array_append', 'dbt')(array, new_element)) }}{%- endmacro %}
{% macro default__array_append(array, new_element) -%}array_append({{ array }}, {{ new_element }}){%- endmacro %}
{% macro sqlite__array_append(array, new_element) -%}json_insert({{ array }}, '$[#]', {{ new_element }}){%- endmacro %}
{% macro array_concat(array_1, array_2) -%}{{ return(adapter.dispatch('array_concat', 'dbt')(array_1, array_2)) }}{%- endmacro %}
{% macro default__array_concat(array_1, array_2) -%}array_cat({{ array_1 }}, {{ array_2 }}){%- endmacro %}
{% macro sqlite__array_concat(array_1, array_2) -%}(select json_group_array(value) from (select value from json_each({{ array_1 }}) union all select value from json_each({{ array_2 }}))){%- endmacro %}
