{%- set t = run_query("select count(*) as n, max(id) as mx from " ~ ref('nums')) -%}
{%- call statement('names', fetch_result=True) -%}
  select name from {{ ref('nums') }} order by id
{%- endcall -%}
{%- set ns = namespace(names=[], cols=[], found=false, colnames=[], mx=0) -%}
{%- if execute -%}
  {%- for r in load_result('names')['data'] -%}{%- do ns.names.append(r[0]) -%}{%- endfor -%}
  {%- for c in adapter.get_columns_in_relation(ref('nums')) -%}{%- do ns.cols.append(c.name) -%}{%- endfor -%}
  {%- set ns.found = adapter.get_relation(database=target.database, schema=target.schema, identifier='nums') is not none -%}
  {%- set ns.colnames = t.column_names -%}
  {%- set ns.mx = t.rows[0]['mx'] -%}
{%- endif -%}
select {{ count_rows(ref('nums')) }} as n,
       {{ ns.mx }} as mx,
       '{{ ns.names | join(",") }}' as names,
       '{{ ns.cols | join(",") }}' as cols,
       '{{ ns.found }}' as found,
       '{{ ns.colnames | join(",") }}' as colnames,
       '{{ adapter.get_relation(database=target.database, schema=target.schema, identifier="nope") is none }}' as missing
