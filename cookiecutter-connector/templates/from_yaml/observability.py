    (sink,) = config.observability.sinks
    connector_id = sink.connector
    options = {**sink.options, "file_path": str(tmp_path / "records.jsonl")}