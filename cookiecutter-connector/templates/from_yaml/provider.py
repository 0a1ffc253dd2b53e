    provider = config.providers["{{ cookiecutter.connector_id.split(".")[0] }}"]
    connector_id = provider.connector
    options = {"base_url": provider.base_url, "api_key": provider.api_key, **provider.options}