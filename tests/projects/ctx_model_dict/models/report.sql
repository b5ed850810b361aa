select '{{ model.unique_id }}' as me,
       '{{ model.name }}' as my_name,
       '{{ model.config.materialized }}' as my_mat,
       '{{ model.original_file_path }}' as my_path,
       '{{ model.depends_on.nodes | join(",") }}' as my_deps,
       '{{ model.description }}' as descr,
       '{{ model.tags | join(",") }}' as tags,
       '{{ model.resource_type }}' as rtype,
       '{{ model.package_name }}' as pkg,
       '{{ model.fqn | join(".") }}' as fqn
from {{ ref('a') }}
