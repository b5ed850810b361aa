{%- set ns = namespace(models=[]) -%}
{%- if execute -%}
{%- for uid, n in graph.nodes.items() | sort if n.resource_type == 'model' -%}
{%- do ns.models.append(n.name ~ ':' ~ n.depends_on.nodes | join('+')) -%}
{%- endfor -%}
{%- endif -%}
select '{{ ns.models | join(" ") }}' as models,
       '{{ graph.nodes["model.proj.b"].description }}' as b_description,
       '{{ graph.nodes["model.proj.b"].columns.id.description }}' as b_col,
       '{{ model.unique_id }}' as me,
       '{{ model.name }}' as my_name,
       '{{ model.config.materialized }}' as my_mat,
       '{{ model.original_file_path }}' as my_path,
       '{{ model.depends_on.nodes | length }}' as my_deps
-- {{ ref('b') }}
