
select * from "main"."main_marts__marts_dim_countries"