    pool = config.pools["chat"]
    connector_id, options = pool.strategy, rotation_options(pool)