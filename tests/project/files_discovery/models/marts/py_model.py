def model(dbt, session):
    return None
