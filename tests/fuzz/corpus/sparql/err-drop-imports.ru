DROP GRAPH <https://w3id.org/labgraph/id/graph/imports>
