INSERT { GRAPH ?g { <urn:a> <urn:b> "d" } } WHERE { BIND(<https://w3id.org/labgraph/id/graph/notes> AS ?g) }
