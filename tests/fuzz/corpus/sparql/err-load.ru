LOAD <https://example.org/data.ttl> INTO GRAPH <graph/notes>
