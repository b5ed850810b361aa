select 'model.proj.report' as me,
       'report' as my_name,
       'view' as my_mat,
       'models/report.sql' as my_path,
       'model.proj.a' as my_deps,
       'the report' as descr,
       'daily' as tags,
       'model' as rtype,
       'proj' as pkg,
       'proj.report' as fqn
from "main"."a"