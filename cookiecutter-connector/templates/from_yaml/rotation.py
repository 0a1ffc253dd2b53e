    pool = config.pools["chat"]
    connector_id, options = pool.strategy, pool_rotation_options(pool)