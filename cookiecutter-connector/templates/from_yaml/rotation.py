    pool = config.pools["chat"]
    connector_id, options = pool.strategy, pool.strategy_options