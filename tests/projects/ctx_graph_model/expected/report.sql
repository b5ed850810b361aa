select 'a: b:model.proj.a report:model.proj.b' as models,
       'the b model' as b_description,
       'key' as b_col,
       'model.proj.report' as me,
       'report' as my_name,
       'view' as my_mat,
       'models/report.sql' as my_path,
       '1' as my_deps
-- "main"."b"