    (discovery,) = config.discovery.connectors
    connector_id, options = discovery.connector, discovery.options