{{ config(
    pre_hook="insert into audit values ('model pre')",
    post_hook=["insert into audit values ('post ' || (select count(*) from {{ this }}))"]
) }}
select 1 as id union all select 2
